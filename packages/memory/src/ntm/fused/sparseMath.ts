/**
 * Reads and writes that touch only the k addressed rows of each head, as plain loops: the
 * same functions as `sparseRead` / `sparseWrite` (readWrite.ts) and their vector-Jacobian
 * products. Besides the copy of the memory that an immutable update makes (a native memcpy),
 * the work is O(B H k M), independent of N.
 *
 * The backward passes read the memory only through `rows` `[B, H, k, M]`, the addressed rows
 * as they were when the forward pass ran (the forward kernels gather them), so a training step
 * keeps k rows per head and step alive for backpropagation instead of a copy of the memory.
 *
 * Dimension names: B batch, H heads of the group, k rows per head, N slots, M width.
 * A row named by several entries (of one head or of several heads) gets, from each head,
 * the sum of that head's values on it, exactly as the dense weights would give.
 */
import { scratch, scratchInt } from './scratch.ts';

/** Sizes of one sparse read or write. */
export interface SparseDims {
  /** B */
  readonly batch: number;
  /** H */
  readonly heads: number;
  /** k */
  readonly k: number;
  /** N */
  readonly slots: number;
  /** M */
  readonly width: number;
}

/**
 * Copies the addressed rows: rows[b,h,l,:] = memory[b, indices[b,h,l], :].
 * @param memory `[B, N, M]`; indices `[B, H, k]`; rows `[B, H, k, M]`.
 */
export function gatherRows(d: SparseDims, memory: Float32Array, indices: Int32Array, rows: Float32Array): void {
  const { batch: B, heads: H, k: K, slots: N, width: M } = d;
  for (let b = 0; b < B; b++) {
    for (let e = b * H * K; e < (b + 1) * H * K; e++) {
      const r = (b * N + indices[e]!) * M;
      rows.set(memory.subarray(r, r + M), e * M);
    }
  }
}

/**
 * Forward read: out[b,h,:] = sum_l values[b,h,l] memory[b, indices[b,h,l], :].
 * @param memory `[B, N, M]`; indices, values `[B, H, k]`; out `[B, H, M]`.
 */
export function sparseReadForward(d: SparseDims, memory: Float32Array, indices: Int32Array, values: Float32Array, out: Float32Array): void {
  const { batch: B, heads: H, k: K, slots: N, width: M } = d;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const o = (b * H + h) * M;
      for (let j = 0; j < M; j++) out[o + j] = 0;
      for (let l = 0; l < K; l++) {
        const e = (b * H + h) * K + l;
        const v = values[e]!;
        const r = (b * N + indices[e]!) * M;
        for (let j = 0; j < M; j++) out[o + j] = out[o + j]! + v * memory[r + j]!;
      }
    }
  }
}

/**
 * Backward read: dMemory (`[B, N, M]`, zero outside the addressed rows) and dValues (`[B, H, k]`).
 * @param dy `[B, H, M]` the gradient with respect to the read vectors.
 * @param rows `[B, H, k, M]` the addressed rows (gatherRows).
 */
export function sparseReadBackward(
  d: SparseDims,
  dy: Float32Array,
  rows: Float32Array,
  indices: Int32Array,
  values: Float32Array,
  dMemory: Float32Array,
  dValues: Float32Array,
): void {
  const { batch: B, heads: H, k: K, slots: N, width: M } = d;
  dMemory.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const o = (b * H + h) * M;
      for (let l = 0; l < K; l++) {
        const e = (b * H + h) * K + l;
        const v = values[e]!;
        const r = (b * N + indices[e]!) * M;
        let dv = 0;
        for (let j = 0; j < M; j++) {
          const g = dy[o + j]!;
          dv += g * rows[e * M + j]!;
          dMemory[r + j] = dMemory[r + j]! + v * g;
        }
        dValues[e] = dv;
      }
    }
  }
}

/** row -> position in the current batch row's list of distinct addressed rows (-1: not addressed). */
let rowMark = new Int32Array(0);

function marks(n: number): Int32Array {
  if (rowMark.length < n) {
    rowMark = new Int32Array(n);
    rowMark.fill(-1);
  }
  return rowMark;
}

/**
 * The distinct rows addressed in batch row b and the weight each head puts on them:
 * rows[u] for u < count, weight[u * H + h], entryRow[h * k + l] = u, and firstEntry[u], the
 * first entry h * k + l naming row u.
 */
interface AddressedRows {
  readonly count: number;
  readonly rows: Int32Array;
  readonly firstEntry: Int32Array;
  readonly weight: Float64Array;
  readonly entryRow: Int32Array;
}

function addressedRows(d: SparseDims, b: number, indices: Int32Array, values: Float32Array): AddressedRows {
  const { heads: H, k: K } = d;
  const mark = marks(d.slots);
  const rows = scratchInt('sparse.rows', H * K);
  const entryRow = scratchInt('sparse.entryRow', H * K);
  const firstEntry = scratchInt('sparse.firstEntry', H * K);
  const weight = scratch('sparse.weight', H * K * H);
  let count = 0;
  for (let h = 0; h < H; h++) {
    for (let l = 0; l < K; l++) {
      const e = (b * H + h) * K + l;
      const i = indices[e]!;
      let u = mark[i]!;
      if (u < 0) {
        u = count++;
        mark[i] = u;
        rows[u] = i;
        firstEntry[u] = h * K + l;
        for (let q = 0; q < H; q++) weight[u * H + q] = 0;
      }
      entryRow[h * K + l] = u;
      weight[u * H + h] = weight[u * H + h]! + values[e]!;
    }
  }
  for (let u = 0; u < count; u++) mark[rows[u]!] = -1;
  return { count, rows, firstEntry, weight, entryRow };
}

/**
 * Forward write: the memory copied, then on every addressed row i
 *     M'_ij = M_ij prod_h (1 - w_hi e_hj) + sum_h w_hi a_hj
 * with w_hi the head's summed values on row i.
 * @param memory `[B, N, M]`; indices, values `[B, H, k]`; erase, add `[B, H, M]`; out `[B, N, M]`.
 */
export function sparseWriteForward(
  d: SparseDims,
  memory: Float32Array,
  indices: Int32Array,
  values: Float32Array,
  erase: Float32Array,
  add: Float32Array,
  out: Float32Array,
): void {
  const { batch: B, heads: H, slots: N, width: M } = d;
  out.set(memory);
  for (let b = 0; b < B; b++) {
    const { count, rows, weight } = addressedRows(d, b, indices, values);
    for (let u = 0; u < count; u++) {
      const r = (b * N + rows[u]!) * M;
      for (let j = 0; j < M; j++) {
        let keep = 1;
        let added = 0;
        for (let h = 0; h < H; h++) {
          const w = weight[u * H + h]!;
          keep *= 1 - w * erase[(b * H + h) * M + j]!;
          added += w * add[(b * H + h) * M + j]!;
        }
        out[r + j] = memory[r + j]! * keep + added;
      }
    }
  }
}

/** The gradients of a sparse write. */
export interface SparseWriteGrads {
  /** `[B, N, M]` */
  readonly memory: Float32Array;
  /** `[B, H, k]` */
  readonly values: Float32Array;
  /** `[B, H, M]` */
  readonly erase: Float32Array;
  /** `[B, H, M]` */
  readonly add: Float32Array;
}

/**
 * Backward write (f_hij = 1 - w_hi e_hj, P_hij = prod_{h' != h} f_h'ij, on addressed rows):
 *     dM_ij = dy_ij prod_h f_hij  (dy_ij elsewhere)
 *     dw_hi = sum_j dy_ij (a_hj - M_ij e_hj P_hij);  each entry naming row i gets dw_hi
 *     de_hj = -sum_i dy_ij M_ij w_hi P_hij;  da_hj = sum_i dy_ij w_hi
 * @param dy `[B, N, M]` the gradient with respect to the new memory.
 * @param old `[B, H, k, M]` the addressed rows before the write (gatherRows of the old memory).
 */
export function sparseWriteBackward(
  d: SparseDims,
  dy: Float32Array,
  old: Float32Array,
  indices: Int32Array,
  values: Float32Array,
  erase: Float32Array,
  add: Float32Array,
  g: SparseWriteGrads,
): void {
  const { batch: B, heads: H, k: K, slots: N, width: M } = d;
  g.memory.set(dy);
  g.erase.fill(0);
  g.add.fill(0);
  const f = scratch('sparseWriteGrad.f', H);
  for (let b = 0; b < B; b++) {
    const { count, rows, firstEntry, weight, entryRow } = addressedRows(d, b, indices, values);
    const dw = scratch('sparseWriteGrad.dw', count * H);
    dw.fill(0);
    for (let u = 0; u < count; u++) {
      const r = (b * N + rows[u]!) * M;
      const o = (b * H * K + firstEntry[u]!) * M;
      for (let j = 0; j < M; j++) {
        const gy = dy[r + j]!;
        const m = old[o + j]!;
        let keep = 1;
        for (let h = 0; h < H; h++) {
          const fh = 1 - weight[u * H + h]! * erase[(b * H + h) * M + j]!;
          f[h] = fh;
          keep *= fh;
        }
        g.memory[r + j] = gy * keep;
        for (let h = 0; h < H; h++) {
          let others = 1;
          for (let q = 0; q < H; q++) if (q !== h) others *= f[q]!;
          const hb = (b * H + h) * M + j;
          const w = weight[u * H + h]!;
          dw[u * H + h] = dw[u * H + h]! + gy * (add[hb]! - m * erase[hb]! * others);
          g.erase[hb] = g.erase[hb]! - gy * m * w * others;
          g.add[hb] = g.add[hb]! + gy * w;
        }
      }
    }
    for (let h = 0; h < H; h++) {
      for (let l = 0; l < K; l++) g.values[(b * H + h) * K + l] = dw[entryRow[h * K + l]! * H + h]!;
    }
  }
}
