// SAM's content scan (src/sam/fused/contentTopkMath.ts states the equations) as WebAssembly
// SIMD, over a mirror of the memory that this module's linear memory keeps between calls:
// the host copies a whole memory in only when the mirror does not hold the step's input, and
// otherwise the few rows the step wrote, so a step's O(N M) work is the scan alone. The row
// norms are kept beside the mirror and recomputed only for the rows copied in.
// Dimension names: B batch, H heads, N slots, M width, k candidate rows kept per head.
import { at, ld, st } from '../../tensor/assembly/simd';

/** Cosine scores lie in [-1, 1]: an unwritten row ranks by its score minus this (contentTopkMath.ts). */
const UNWRITTEN_PENALTY: f32 = 4;

/** The first free byte after the module's static data: where the host lays out the mirror. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 / sqrt(|row|² + δ²) of `count` rows of `M` floats at `rows`, into `inverseNorms`. */
export function samRowNorms(count: i32, M: i32, rows: usize, inverseNorms: usize, rowFloorSq: f64): void {
  for (let n = 0; n < count; n++) {
    const row = at(rows, n * M);
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= M; j += 4) {
      const v = v128.load(at(row, j));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let mm: f64 = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    for (; j < M; j++) mm += <f64>ld(row, j) * <f64>ld(row, j);
    st(inverseNorms, n, <f32>(1 / Math.sqrt(mm + rowFloorSq)));
  }
}

/**
 * Recomputes the inverse norms of the rows listed in `rowList` (`count` row numbers, each
 * b N + n), whose values the host has just copied into the mirror.
 */
export function samRefreshRows(count: i32, M: i32, mirror: usize, inverseNorms: usize, rowList: usize, rowFloorSq: f64): void {
  for (let u = 0; u < count; u++) {
    const r = load<i32>(rowList + (<usize>u << 2));
    samRowNorms(1, M, at(mirror, r * M), at(inverseNorms, r), rowFloorSq);
  }
}

/**
 * The k candidate rows of each head: the k highest ranks s - 4 [unwritten], where
 * s = m·key / (|m|_δ |key|_ε) in float32 (the host rescores the k it gets in float64 and
 * sorts them). A row displaces the worst kept one only with a strictly higher rank, and the
 * worst of equals is the highest row, so ties keep the lower rows, as the JavaScript loops do.
 * @param mirror `[B, N, M]`; inverseNorms, written `[B, N]`; inverseKeyNorms `[B, H]`; keys `[B, H, M]`;
 *   candidates `[B, H, k]` (int32, out); ranks `[k]` (float32, work).
 */
export function samTopk(
  B: i32, H: i32, N: i32, M: i32, K: i32,
  mirror: usize, inverseNorms: usize, written: usize, keys: usize, inverseKeyNorms: usize,
  candidates: usize, ranks: usize,
): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const key = at(keys, (b * H + h) * M);
      const keyScale = ld(inverseKeyNorms, b * H + h);
      const kept = candidates + (<usize>((b * H + h) * K) << 2);
      let filled = 0;
      let worst: f32 = -Infinity;
      let worstAt = 0;
      for (let n = 0; n < N; n++) {
        const row = at(mirror, (b * N + n) * M);
        let acc = f32x4.splat(0);
        let j = 0;
        for (; j + 4 <= M; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(row, j)), v128.load(at(key, j))));
        let dot: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        for (; j < M; j++) dot += ld(row, j) * ld(key, j);
        let rank = dot * ld(inverseNorms, b * N + n) * keyScale;
        if (ld(written, b * N + n) <= 0) rank -= UNWRITTEN_PENALTY;
        if (filled === K) {
          if (rank <= worst) continue;
          store<i32>(kept + (<usize>worstAt << 2), n);
          st(ranks, worstAt, rank);
        } else {
          store<i32>(kept + (<usize>filled << 2), n);
          st(ranks, filled, rank);
          filled++;
          if (filled < K) continue;
        }
        // the new worst kept row: the lowest rank, the highest row among equals
        worst = Infinity;
        for (let l = 0; l < K; l++) {
          const r = ld(ranks, l);
          if (r < worst || (r === worst && load<i32>(kept + (<usize>l << 2)) > load<i32>(kept + (<usize>worstAt << 2)))) {
            worst = r;
            worstAt = l;
          }
        }
      }
    }
  }
}
