/**
 * The backward pass of SAM's write (one write head, E entries) in place: the new memory's
 * gradient `[B, N, M]` becomes the old memory's by changing only the written rows, so a step's
 * backward pass costs O(E M) whatever N is (sparseMath.ts's sparseWriteBackward, for any number
 * of heads, first copies the whole gradient). With one head, on each written row i:
 *     f_ij = 1 - w_i e_j,  dM_ij = dy_ij f_ij,  dw_i = sum_j dy_ij (a_j - M_ij e_j)
 *     de_j = -sum_i dy_ij M_ij w_i,  da_j = sum_i dy_ij w_i
 * with w_i the summed values of the entries naming row i (each of them gets dw_i).
 *
 * Dimension names: B batch, N slots, M width, E write entries.
 */
import { scratch, scratchInt } from '../../ntm/fused/scratch.ts';

/** Sizes of one write. */
export interface WriteDims {
  readonly batch: number;
  readonly slots: number;
  readonly width: number;
  /** E */
  readonly entries: number;
}

/** The gradients besides the memory's. */
export interface WriteGrads {
  /** `[B, 1, E]` */
  readonly values: Float32Array;
  /** `[B, 1, M]` */
  readonly erase: Float32Array;
  /** `[B, 1, M]` */
  readonly add: Float32Array;
}

/**
 * @param gradient `[B, N, M]` in: the gradient of the new memory; out: that of the old memory.
 * @param old `[B, 1, E, M]` the entries' rows before the write; indices, values `[B, 1, E]`; erase, add `[B, 1, M]`.
 */
export function samWriteBackwardInPlace(
  d: WriteDims,
  gradient: Float32Array,
  old: Float32Array,
  indices: Int32Array,
  values: Float32Array,
  erase: Float32Array,
  add: Float32Array,
  g: WriteGrads,
): void {
  const { batch: B, slots: N, width: M, entries: E } = d;
  g.erase.fill(0);
  g.add.fill(0);
  // the first entry naming each entry's row, and the row's summed weight (at that first entry)
  const first = scratchInt('samWriteGrad.first', E);
  const weight = scratch('samWriteGrad.weight', E);
  const dw = scratch('samWriteGrad.dw', E);
  for (let b = 0; b < B; b++) {
    const e0 = b * E;
    for (let e = 0; e < E; e++) {
      let f = 0;
      while (indices[e0 + f] !== indices[e0 + e]) f++;
      first[e] = f;
      weight[e] = 0;
      weight[f] = weight[f]! + values[e0 + e]!;
    }
    for (let e = 0; e < E; e++) {
      dw[e] = 0;
      if (first[e] !== e) continue;
      const r = (b * N + indices[e0 + e]!) * M;
      const w = weight[e]!;
      for (let j = 0; j < M; j++) {
        const gy = gradient[r + j]!;
        const m = old[(e0 + e) * M + j]!;
        const ej = erase[b * M + j]!;
        gradient[r + j] = gy * (1 - w * ej);
        dw[e] = dw[e]! + gy * (add[b * M + j]! - m * ej);
        g.erase[b * M + j] = g.erase[b * M + j]! - gy * m * w;
        g.add[b * M + j] = g.add[b * M + j]! + gy * w;
      }
    }
    for (let e = 0; e < E; e++) g.values[e0 + e] = dw[first[e]!]!;
  }
}
