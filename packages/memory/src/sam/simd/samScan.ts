import type * as tf from '@tensorflow/tfjs';
import { simdKernelsEnabled } from '@engram/tensor';
import { KEY_NORM_EPSILON } from '../../constants.ts';
import type { ContentTopkDims } from '../fused/contentTopkMath.ts';
import { SAM_WASM_BASE64 } from './samWasm.ts';

/**
 * The host of SAM's WebAssembly content scan (assembly/sam.ts): it keeps a mirror of one
 * memory `[B, N, M]` and its rows' inverse norms in the module's linear memory, and knows which
 * memory tensor the mirror holds. A step whose input memory is the one the mirror holds copies
 * in only the rows it wrote; any other memory is copied in whole. The mirror is a cache of an
 * immutable tensor's values (tensors never change, and a tensor's dataId object is its own), so
 * the per-step API keeps its meaning: a user may step from any state, the scan only gets slower.
 */

interface SamExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  samRowNorms(count: number, M: number, rows: number, inverseNorms: number, rowFloorSq: number): void;
  samRefreshRows(count: number, M: number, mirror: number, inverseNorms: number, rowList: number, rowFloorSq: number): void;
  samTopk(
    B: number,
    H: number,
    N: number,
    M: number,
    K: number,
    mirror: number,
    inverseNorms: number,
    written: number,
    keys: number,
    inverseKeyNorms: number,
    candidates: number,
    ranks: number,
  ): void;
}

/** Byte offsets of the module's buffers for one set of sizes. */
interface Layout {
  readonly sizes: string;
  readonly mirror: number;
  readonly inverseNorms: number;
  readonly written: number;
  readonly keys: number;
  readonly inverseKeyNorms: number;
  readonly candidates: number;
  readonly ranks: number;
  readonly rowList: number;
  readonly rowListLength: number;
  /** δ the norms were computed with. */
  readonly rowNormFloor: number;
}

const align16 = (n: number): number => (n + 15) & ~15;

let module: SamExports | undefined;
let unavailable: string | undefined;
let layout: Layout | undefined;
/** The dataId of the memory tensor the mirror holds (undefined: none, or not known). */
let holds: object | undefined;
/** True when the last scan ran here: the step's output memory is what the mirror now holds. */
let scanned = false;

function load(): SamExports | undefined {
  if (module || unavailable) return module;
  try {
    const api = (
      globalThis as {
        WebAssembly?: { validate(b: Uint8Array): boolean; Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: object } };
      }
    ).WebAssembly;
    if (!api) throw new Error('this runtime has no WebAssembly');
    const bytes = Uint8Array.from(atob(SAM_WASM_BASE64), (c) => c.charCodeAt(0));
    if (!api.validate(bytes)) throw new Error('this runtime does not validate WebAssembly SIMD');
    const instance = new api.Instance(new api.Module(bytes), {
      env: {
        abort: () => {
          throw new Error('@engram/memory SAM scan: a WebAssembly kernel aborted');
        },
      },
    });
    module = instance.exports as SamExports;
  } catch (e) {
    unavailable = e instanceof Error ? e.message : String(e);
    console.warn(`engram: the SAM content scan cannot run as WebAssembly here (${unavailable}); it uses its JavaScript loops`);
  }
  return module;
}

/** Lays the buffers out for `d` (and `rowListLength` written rows per call), growing the module's memory; a new layout holds no memory. */
function layoutFor(wasm: SamExports, d: ContentTopkDims, rowListLength: number): Layout {
  const { batch: B, heads: H, slots: N, width: M, k: K } = d;
  const sizes = `${B},${H},${N},${M},${K},${rowListLength}`;
  if (layout?.sizes === sizes && layout.rowNormFloor === d.rowNormFloor) return layout;
  holds = undefined;
  let end = align16(wasm.heapBase());
  const take = (floats: number) => {
    const at = end;
    end = align16(end + floats * 4);
    return at;
  };
  layout = {
    sizes,
    mirror: take(B * N * M),
    inverseNorms: take(B * N),
    written: take(B * N),
    keys: take(B * H * M),
    inverseKeyNorms: take(B * H),
    candidates: take(B * H * K),
    ranks: take(K),
    rowList: take(rowListLength),
    rowListLength,
    rowNormFloor: d.rowNormFloor,
  };
  const bytes = wasm.memory.buffer.byteLength;
  if (end > bytes) wasm.memory.grow(Math.ceil((end - bytes) / 65536));
  return layout;
}

/** True when the mirror holds `memory`: a step from it copies in only the rows it writes. */
export function mirrorHolds(memory: tf.Tensor): boolean {
  return holds !== undefined && holds === memory.dataId;
}

/**
 * After a step kernel: the mirror now holds that step's output memory when its scan ran here,
 * and nothing known otherwise (the JavaScript loops ran, or the kernel failed).
 */
export function mirrorNowHolds(memory: tf.Tensor): void {
  holds = scanned ? memory.dataId : undefined;
  scanned = false;
}

/**
 * The k candidate rows of each head (unsorted; the caller rescores them in float64), by the
 * WebAssembly scan over the mirror.
 * @param memory `[B, N, M]` the memory to score; written `[B, N]`; keys `[B, H, M]`.
 * @param changedRows when the mirror held this memory before these rows (numbers b N + n) were
 *   written, only they are copied in; undefined copies the whole memory in.
 * @param candidates `[B, H, k]` out.
 * @returns false, having done nothing, when the twins are off or the module cannot load here.
 */
export function scanTopkSimd(
  d: ContentTopkDims,
  memory: Float32Array,
  written: Float32Array,
  keys: Float32Array,
  changedRows: Int32Array | undefined,
  candidates: Int32Array,
): boolean {
  holds = undefined;
  scanned = false;
  if (!simdKernelsEnabled()) return false;
  const wasm = load();
  if (!wasm) return false;
  const { batch: B, heads: H, slots: N, width: M, k: K } = d;
  const rowListLength = Math.max(changedRows?.length ?? 0, layout?.rowListLength ?? 0);
  const before = layout;
  const at = layoutFor(wasm, d, rowListLength);
  const f32 = new Float32Array(wasm.memory.buffer);
  const i32 = new Int32Array(wasm.memory.buffer);
  const floorSq = d.rowNormFloor * d.rowNormFloor;
  if (changedRows && at === before) {
    for (let u = 0; u < changedRows.length; u++) {
      const r = changedRows[u]! * M;
      f32.set(memory.subarray(r, r + M), at.mirror / 4 + r);
    }
    i32.set(changedRows, at.rowList / 4);
    wasm.samRefreshRows(changedRows.length, M, at.mirror, at.inverseNorms, at.rowList, floorSq);
  } else {
    f32.set(memory, at.mirror / 4);
    wasm.samRowNorms(B * N, M, at.mirror, at.inverseNorms, floorSq);
  }
  f32.set(written, at.written / 4);
  f32.set(keys, at.keys / 4);
  for (let bh = 0; bh < B * H; bh++) {
    let kk = 0;
    for (let j = 0; j < M; j++) kk += keys[bh * M + j]! * keys[bh * M + j]!;
    f32[at.inverseKeyNorms / 4 + bh] = 1 / Math.sqrt(kk + KEY_NORM_EPSILON);
  }
  wasm.samTopk(B, H, N, M, K, at.mirror, at.inverseNorms, at.written, at.keys, at.inverseKeyNorms, at.candidates, at.ranks);
  candidates.set(i32.subarray(at.candidates / 4, at.candidates / 4 + B * H * K));
  scanned = true;
  return true;
}
