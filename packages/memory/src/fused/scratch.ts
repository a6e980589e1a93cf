/**
 * Reusable float64 work buffers for the fused kernels' loops, so no kernel call allocates per
 * element or per row. A buffer is only valid until the next `scratch` call with the same name;
 * kernels run one at a time (tfjs is single-threaded), so each kernel owns its names.
 */
const buffers = new Map<string, Float64Array>();

/** A float64 buffer of exactly `length` entries (contents unspecified). */
export function scratch(name: string, length: number): Float64Array {
  let buf = buffers.get(name);
  if (!buf || buf.length < length) {
    buf = new Float64Array(Math.max(length, 16));
    buffers.set(name, buf);
  }
  return buf.length === length ? buf : buf.subarray(0, length);
}

/** A zero-filled float64 buffer of exactly `length` entries. */
export function zeroed(name: string, length: number): Float64Array {
  const buf = scratch(name, length);
  buf.fill(0);
  return buf;
}

const buffers32 = new Map<string, Float32Array>();

/** A float32 buffer of exactly `length` entries (contents unspecified), for intermediates passed between loops. */
export function scratch32(name: string, length: number): Float32Array {
  let buf = buffers32.get(name);
  if (!buf || buf.length < length) {
    buf = new Float32Array(Math.max(length, 16));
    buffers32.set(name, buf);
  }
  return buf.length === length ? buf : buf.subarray(0, length);
}
