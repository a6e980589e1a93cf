/**
 * Sparse content addressing (SAM, Rae et al. 2016, §3.1) as plain loops: every head scores
 * every row by cosine similarity, keeps the k best and normalises β times their scores by a
 * softmax over those k alone. The forward pass is one O(N M) scan per head; the backward pass
 * touches only the k kept rows, so it needs those rows, not the memory.
 *
 * Rows never written rank below every written row (they hold the initial memory, no
 * information, and with a constant initial memory they would tie and give a read no gradient);
 * they are read only while fewer than k rows have been written.
 *
 * Cosine as everywhere in engram: s = m·key / (|m|_δ |key|_ε), |m|_δ = sqrt(|m|² + δ²),
 * |key|_ε = sqrt(|key|² + ε) (constants.ts).
 *
 * Dimension names: B batch, H heads, N slots, M width, k rows kept per head.
 */
import { KEY_NORM_EPSILON } from '../../constants.ts';
import { scratch } from '../../ntm/fused/scratch.ts';

/** Sizes of one content top-k call, and the row-norm floor δ. */
export interface ContentTopkDims {
  readonly batch: number;
  readonly heads: number;
  readonly slots: number;
  readonly width: number;
  readonly k: number;
  readonly rowNormFloor: number;
}

/** What the forward pass produces, each `[B, H, k]` (rows `[B, H, k, M]`). */
export interface ContentTopkOutputs {
  readonly indices: Int32Array;
  readonly weights: Float32Array;
  /** The kept rows, as the memory held them. */
  readonly rows: Float32Array;
  /** Their cosine scores s (before β). */
  readonly scores: Float32Array;
}

/** Cosine scores lie in [-1, 1]: an unwritten row ranks by its score minus this, below every written one. */
const UNWRITTEN_PENALTY = 4;

/**
 * Forward: indices of the k highest-ranked rows per head (written rows first, then by score,
 * best first; a tie keeps the lower row), weights softmax(β s) over them.
 * @param memory `[B, N, M]`; keys `[B, H, M]`; strengths β `[B, H]`; written `[B, N]` (> 0: written).
 */
export function contentTopkForward(
  d: ContentTopkDims,
  memory: Float32Array,
  keys: Float32Array,
  strengths: Float32Array,
  written: Float32Array,
  out: ContentTopkOutputs,
): void {
  const { batch: B, heads: H, slots: N, width: M, k: K } = d;
  const floor2 = d.rowNormFloor * d.rowNormFloor;
  const rowNorm = scratch('samTopk.rowNorm', N);
  const bestRank = scratch('samTopk.rank', K);
  const bestScore = scratch('samTopk.best', K);
  const bestRow = new Int32Array(K);
  for (let b = 0; b < B; b++) {
    const mem = b * N * M;
    for (let n = 0; n < N; n++) {
      let mm = 0;
      for (let j = 0; j < M; j++) {
        const v = memory[mem + n * M + j]!;
        mm += v * v;
      }
      rowNorm[n] = Math.sqrt(mm + floor2);
    }
    for (let h = 0; h < H; h++) {
      const key = (b * H + h) * M;
      let kk = 0;
      for (let j = 0; j < M; j++) kk += keys[key + j]! * keys[key + j]!;
      const keyNorm = Math.sqrt(kk + KEY_NORM_EPSILON);
      let filled = 0;
      for (let n = 0; n < N; n++) {
        let dot = 0;
        for (let j = 0; j < M; j++) dot += memory[mem + n * M + j]! * keys[key + j]!;
        const s = dot / (rowNorm[n]! * keyNorm);
        const rank = written[b * N + n]! > 0 ? s : s - UNWRITTEN_PENALTY;
        if (filled === K && rank <= bestRank[K - 1]!) continue;
        // insertion into the sorted (descending) list of the best so far
        let p = filled < K ? filled++ : K - 1;
        while (p > 0 && bestRank[p - 1]! < rank) {
          bestRank[p] = bestRank[p - 1]!;
          bestScore[p] = bestScore[p - 1]!;
          bestRow[p] = bestRow[p - 1]!;
          p--;
        }
        bestRank[p] = rank;
        bestScore[p] = s;
        bestRow[p] = n;
      }
      const e0 = (b * H + h) * K;
      const beta = strengths[b * H + h]!;
      let max = -Infinity;
      for (let l = 0; l < K; l++) max = Math.max(max, beta * bestScore[l]!);
      let sum = 0;
      for (let l = 0; l < K; l++) sum += Math.exp(beta * bestScore[l]! - max);
      for (let l = 0; l < K; l++) {
        const e = e0 + l;
        const n = bestRow[l]!;
        out.indices[e] = n;
        out.scores[e] = bestScore[l]!;
        out.weights[e] = Math.exp(beta * bestScore[l]! - max) / sum;
        out.rows.set(memory.subarray(mem + n * M, mem + (n + 1) * M), e * M);
      }
    }
  }
}

/** The gradients of a content top-k call. */
export interface ContentTopkGrads {
  /** `[B, N, M]`, zero outside the kept rows. */
  readonly memory: Float32Array;
  /** `[B, H, M]` */
  readonly keys: Float32Array;
  /** `[B, H]` */
  readonly strengths: Float32Array;
}

/**
 * Backward from dWeights `[B, H, k]`; the choice of rows has no gradient. With `addToMemory`,
 * the rows' gradients are added to what `g.memory` holds instead of to zeros (the fused SAM
 * step sums every gradient of its new memory in one buffer).
 *     dz_l = w_l (dw_l - sum_l' w_l' dw_l'),   dβ = sum_l dz_l s_l,   ds_l = β dz_l
 *     ds/dm = key / (|m|_δ |key|_ε) - s m / |m|_δ²,   ds/dkey = m / (|m|_δ |key|_ε) - s key / |key|_ε²
 */
export function contentTopkBackward(
  d: ContentTopkDims,
  dWeights: Float32Array,
  saved: { indices: Int32Array; weights: Float32Array; rows: Float32Array; scores: Float32Array; keys: Float32Array; strengths: Float32Array },
  g: ContentTopkGrads,
  addToMemory = false,
): void {
  const { batch: B, heads: H, slots: N, width: M, k: K } = d;
  const floor2 = d.rowNormFloor * d.rowNormFloor;
  if (!addToMemory) g.memory.fill(0);
  g.keys.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const e0 = bh * K;
      const key = bh * M;
      let kk = 0;
      for (let j = 0; j < M; j++) kk += saved.keys[key + j]! * saved.keys[key + j]!;
      const keyNorm2 = kk + KEY_NORM_EPSILON;
      const keyNorm = Math.sqrt(keyNorm2);
      let mean = 0;
      for (let l = 0; l < K; l++) mean += saved.weights[e0 + l]! * dWeights[e0 + l]!;
      const beta = saved.strengths[bh]!;
      let dBeta = 0;
      for (let l = 0; l < K; l++) {
        const e = e0 + l;
        const dz = saved.weights[e]! * (dWeights[e]! - mean);
        const s = saved.scores[e]!;
        dBeta += dz * s;
        const ds = beta * dz;
        let mm = 0;
        for (let j = 0; j < M; j++) mm += saved.rows[e * M + j]! * saved.rows[e * M + j]!;
        const rowNorm2 = mm + floor2;
        const inv = 1 / (Math.sqrt(rowNorm2) * keyNorm);
        const r = (b * N + saved.indices[e]!) * M;
        for (let j = 0; j < M; j++) {
          const m = saved.rows[e * M + j]!;
          const kj = saved.keys[key + j]!;
          g.memory[r + j] = g.memory[r + j]! + ds * (kj * inv - (s * m) / rowNorm2);
          g.keys[key + j] = g.keys[key + j]! + ds * (m * inv - (s * kj) / keyNorm2);
        }
      }
      g.strengths[bh] = dBeta;
    }
  }
}
