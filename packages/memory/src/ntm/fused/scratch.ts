/**
 * Reusable float64 work buffers for the fused kernels' loops, so no kernel call allocates per
 * element or per row. A buffer is only valid until the next `scratch` call with the same name;
 * kernels run one at a time (tfjs is single-threaded), so each kernel owns its names.
 */
const buffers = new Map<string, Float64Array>();

/** A float64 buffer of exactly `length` entries (contents unspecified). */
export function scratch(name: string, length: number): Float64Array {
  return pooled(buffers, (n) => new Float64Array(n), name, length);
}

/** A zero-filled float64 buffer of exactly `length` entries. */
export function zeroed(name: string, length: number): Float64Array {
  const buf = scratch(name, length);
  buf.fill(0);
  return buf;
}

type Typed = Float64Array | Float32Array | Int32Array;

/** A buffer of `make`'s kind from `pool`, of exactly `length` entries, grown when too short. */
function pooled<T extends Typed>(pool: Map<string, T>, make: (n: number) => T, name: string, length: number): T {
  let buf = pool.get(name);
  if (!buf || buf.length < length) {
    buf = make(Math.max(length, 16));
    pool.set(name, buf);
  }
  return (buf.length === length ? buf : buf.subarray(0, length)) as T;
}

const buffers32 = new Map<string, Float32Array>();

/** A float32 buffer of exactly `length` entries (contents unspecified), for intermediates passed between loops. */
export function scratch32(name: string, length: number): Float32Array {
  return pooled(buffers32, (n) => new Float32Array(n), name, length);
}

const buffersInt = new Map<string, Int32Array>();

/** An int32 buffer of exactly `length` entries (contents unspecified), for row indices. */
export function scratchInt(name: string, length: number): Int32Array {
  return pooled(buffersInt, (n) => new Int32Array(n), name, length);
}
