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
import { scratch, scratchInt } from '../../ntm/fused/scratch.ts';
import { scanTopkSimd } from '../simd/samScan.ts';

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
 * best first; a tie keeps the lower row), weights softmax(β s) over them. The scan runs as
 * WebAssembly SIMD when it can (simd/samScan.ts), else as the loops of {@link topkCandidates}.
 * @param memory `[B, N, M]`; keys `[B, H, M]`; strengths β `[B, H]`; written `[B, N]` (> 0: written).
 * @param changedRows see scanTopkSimd: the rows written since the scan's mirror held the memory.
 */
export function contentTopkForward(
  d: ContentTopkDims,
  memory: Float32Array,
  keys: Float32Array,
  strengths: Float32Array,
  written: Float32Array,
  out: ContentTopkOutputs,
  changedRows?: Int32Array,
): void {
  const candidates = scratchInt('samTopk.candidates', d.batch * d.heads * d.k);
  if (!scanTopkSimd(d, memory, written, keys, changedRows, candidates)) topkCandidates(d, memory, keys, written, candidates);
  keepTopk(d, memory, keys, strengths, written, candidates, out);
}

/** |key|_ε of head (b, h). */
function keyNorm(keys: Float32Array, key: number, width: number): number {
  let kk = 0;
  for (let j = 0; j < width; j++) kk += keys[key + j]! * keys[key + j]!;
  return Math.sqrt(kk + KEY_NORM_EPSILON);
}

/** s = m·key / (|m|_δ |key|_ε) of row n, in float64. */
function cosine(memory: Float32Array, row: number, keys: Float32Array, key: number, width: number, floor2: number, keyNormValue: number): number {
  let dot = 0;
  let mm = 0;
  for (let j = 0; j < width; j++) {
    const m = memory[row + j]!;
    dot += m * keys[key + j]!;
    mm += m * m;
  }
  return dot / (Math.sqrt(mm + floor2) * keyNormValue);
}

/**
 * The scan as plain loops: the k highest-ranked rows per head, best first, into candidates
 * `[B, H, k]` (the oracle of the WebAssembly scan, and its fallback).
 */
export function topkCandidates(d: ContentTopkDims, memory: Float32Array, keys: Float32Array, written: Float32Array, candidates: Int32Array): void {
  const { batch: B, heads: H, slots: N, width: M, k: K } = d;
  const floor2 = d.rowNormFloor * d.rowNormFloor;
  const rowNorm = scratch('samTopk.rowNorm', N);
  const bestRank = scratch('samTopk.rank', K);
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
      const kn = keyNorm(keys, key, M);
      const bestRow = candidates.subarray((b * H + h) * K, (b * H + h + 1) * K);
      let filled = 0;
      for (let n = 0; n < N; n++) {
        let dot = 0;
        for (let j = 0; j < M; j++) dot += memory[mem + n * M + j]! * keys[key + j]!;
        const s = dot / (rowNorm[n]! * kn);
        const rank = written[b * N + n]! > 0 ? s : s - UNWRITTEN_PENALTY;
        if (filled === K && rank <= bestRank[K - 1]!) continue;
        // insertion into the sorted (descending) list of the best so far
        let p = filled < K ? filled++ : K - 1;
        while (p > 0 && bestRank[p - 1]! < rank) {
          bestRank[p] = bestRank[p - 1]!;
          bestRow[p] = bestRow[p - 1]!;
          p--;
        }
        bestRank[p] = rank;
        bestRow[p] = n;
      }
    }
  }
}

/**
 * From k candidate rows per head (any order): their cosine scores in float64, sorted best
 * first (rank, then the lower row), the weights softmax(β s) and the rows.
 */
export function keepTopk(
  d: ContentTopkDims,
  memory: Float32Array,
  keys: Float32Array,
  strengths: Float32Array,
  written: Float32Array,
  candidates: Int32Array,
  out: ContentTopkOutputs,
): void {
  const { batch: B, heads: H, slots: N, width: M, k: K } = d;
  const floor2 = d.rowNormFloor * d.rowNormFloor;
  const score = scratch('samTopk.score', K);
  const rank = scratch('samTopk.keptRank', K);
  const order = scratchInt('samTopk.order', K);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const e0 = (b * H + h) * K;
      const key = (b * H + h) * M;
      const kn = keyNorm(keys, key, M);
      for (let l = 0; l < K; l++) {
        const n = candidates[e0 + l]!;
        score[l] = cosine(memory, (b * N + n) * M, keys, key, M, floor2, kn);
        rank[l] = written[b * N + n]! > 0 ? score[l]! : score[l]! - UNWRITTEN_PENALTY;
        // insertion sort of positions by rank, descending, the lower row first on a tie
        let p = l;
        while (p > 0) {
          const q = order[p - 1]!;
          if (rank[q]! > rank[l]! || (rank[q] === rank[l] && candidates[e0 + q]! < n)) break;
          order[p] = q;
          p--;
        }
        order[p] = l;
      }
      const beta = strengths[b * H + h]!;
      let max = -Infinity;
      for (let l = 0; l < K; l++) max = Math.max(max, beta * score[l]!);
      let sum = 0;
      for (let l = 0; l < K; l++) sum += Math.exp(beta * score[l]! - max);
      for (let l = 0; l < K; l++) {
        const e = e0 + l;
        const from = order[l]!;
        const n = candidates[e0 + from]!;
        out.indices[e] = n;
        out.scores[e] = score[from]!;
        out.weights[e] = Math.exp(beta * score[from]! - max) / sum;
        out.rows.set(memory.subarray((b * N + n) * M, (b * N + n + 1) * M), e * M);
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
