// The NTM read and write of a group of heads and their vector-Jacobian products: the same
// equations as src/ntm/fused/readMath.ts and writeMath.ts, with the loops over the memory width
// four float32 lanes at a time. Dimension names: B batch, H heads, N slots, M width.
import { at, dot, hsum, ld, st, zero32 } from '../../tensor/assembly/simd';

/** r_hj = sum_i w_hi M_ij. memory [B,N,M], weights [B,H,N] -> out [B,H,M]. */
export function readForward(B: i32, H: i32, N: i32, M: i32, memory: usize, weights: usize, out: usize): void {
  for (let b = 0; b < B; b++) {
    const mb = at(memory, b * N * M);
    for (let h = 0; h < H; h++) {
      const wb = at(weights, (b * H + h) * N);
      const ob = at(out, (b * H + h) * M);
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        let acc = f32x4.splat(0);
        for (let i = 0; i < N; i++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(ld(wb, i)), v128.load(at(mb, i * M + j))));
        v128.store(at(ob, j), acc);
      }
      for (; j < M; j++) {
        let s: f32 = 0;
        for (let i = 0; i < N; i++) s += ld(wb, i) * ld(mb, i * M + j);
        st(ob, j, s);
      }
    }
  }
}

/** dw_hi = sum_j dy_hj M_ij. dy [B,H,M] -> dWeights [B,H,N]. */
export function readWeightsGrad(B: i32, H: i32, N: i32, M: i32, dy: usize, memory: usize, dWeights: usize): void {
  for (let b = 0; b < B; b++) {
    const mb = at(memory, b * N * M);
    for (let h = 0; h < H; h++) {
      const yb = at(dy, (b * H + h) * M);
      const wb = at(dWeights, (b * H + h) * N);
      for (let i = 0; i < N; i++) st(wb, i, <f32>dot(yb, at(mb, i * M), M));
    }
  }
}

/** dM_ij = sum_h w_hi dy_hj and dw_hi = sum_j dy_hj M_ij, in one sweep over memory. */
export function readBackward(B: i32, H: i32, N: i32, M: i32, dy: usize, memory: usize, weights: usize, dMemory: usize, dWeights: usize): void {
  readWeightsGrad(B, H, N, M, dy, memory, dWeights);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const r = at(dMemory, (b * N + i) * M);
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        let acc = f32x4.splat(0);
        for (let h = 0; h < H; h++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(ld(weights, (b * H + h) * N + i)), v128.load(at(dy, (b * H + h) * M + j))));
        v128.store(at(r, j), acc);
      }
      for (; j < M; j++) {
        let s: f32 = 0;
        for (let h = 0; h < H; h++) s += ld(weights, (b * H + h) * N + i) * ld(dy, (b * H + h) * M + j);
        st(r, j, s);
      }
    }
  }
}

/** M'_ij = M_ij prod_h (1 - w_hi e_hj) + sum_h w_hi a_hj. -> out [B,N,M]. */
export function writeForward(B: i32, H: i32, N: i32, M: i32, memory: usize, weights: usize, erase: usize, add: usize, out: usize): void {
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const r = (b * N + i) * M;
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        let keep = one;
        let added = f32x4.splat(0);
        for (let h = 0; h < H; h++) {
          const w = f32x4.splat(ld(weights, (b * H + h) * N + i));
          const hb = (b * H + h) * M + j;
          keep = f32x4.mul(keep, f32x4.sub(one, f32x4.mul(w, v128.load(at(erase, hb)))));
          added = f32x4.add(added, f32x4.mul(w, v128.load(at(add, hb))));
        }
        v128.store(at(out, r + j), f32x4.add(f32x4.mul(v128.load(at(memory, r + j)), keep), added));
      }
      for (; j < M; j++) {
        let keep: f32 = 1;
        let added: f32 = 0;
        for (let h = 0; h < H; h++) {
          const w = ld(weights, (b * H + h) * N + i);
          const hb = (b * H + h) * M + j;
          keep *= 1 - w * ld(erase, hb);
          added += w * ld(add, hb);
        }
        st(out, r + j, ld(memory, r + j) * keep + added);
      }
    }
  }
}

/**
 * The write's backward with f_hij = 1 - w_hi e_hj and P_hij = prod_{h' != h} f_h'ij (formed
 * directly, never by division, so a fully erased cell is exact):
 *     dM_ij = dy_ij prod_h f_hij          (skipped when `memoryGrad` is 0)
 *     dw_hi = sum_j dy_ij (a_hj - M_ij e_hj P_hij)
 *     de_hj = -sum_i dy_ij M_ij w_hi P_hij
 *     da_hj = sum_i dy_ij w_hi
 * `work`: 32 H bytes, 16-byte aligned (the f vectors and the dw accumulators of one row).
 */
export function writeBackward(
  B: i32,
  H: i32,
  N: i32,
  M: i32,
  memoryGrad: i32,
  dy: usize,
  memory: usize,
  weights: usize,
  erase: usize,
  add: usize,
  gMemory: usize,
  gWeights: usize,
  gErase: usize,
  gAdd: usize,
  work: usize,
): void {
  const one = f32x4.splat(1);
  const fv = work; // H vectors f_h
  const dwv = work + (<usize>H << 4); // H accumulators of dw_h
  for (let b = 0; b < B; b++) {
    const de = at(gErase, b * H * M);
    const da = at(gAdd, b * H * M);
    zero32(de, H * M);
    zero32(da, H * M);
    for (let i = 0; i < N; i++) {
      const r = (b * N + i) * M;
      for (let h = 0; h < H; h++) v128.store(dwv + (<usize>h << 4), f32x4.splat(0));
      for (let h = 0; h < H; h++) st(gWeights, (b * H + h) * N + i, 0);
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        const gy = v128.load(at(dy, r + j));
        const m = v128.load(at(memory, r + j));
        let keep = one;
        for (let h = 0; h < H; h++) {
          const f = f32x4.sub(one, f32x4.mul(f32x4.splat(ld(weights, (b * H + h) * N + i)), v128.load(at(erase, (b * H + h) * M + j))));
          v128.store(fv + (<usize>h << 4), f);
          keep = f32x4.mul(keep, f);
        }
        if (memoryGrad) v128.store(at(gMemory, r + j), f32x4.mul(gy, keep));
        for (let h = 0; h < H; h++) {
          let others = one;
          for (let q = 0; q < H; q++) if (q != h) others = f32x4.mul(others, v128.load(fv + (<usize>q << 4)));
          const w = f32x4.splat(ld(weights, (b * H + h) * N + i));
          const hb = (b * H + h) * M + j;
          const e = v128.load(at(erase, hb));
          const gyMP = f32x4.mul(f32x4.mul(gy, m), others);
          const acc = dwv + (<usize>h << 4);
          v128.store(acc, f32x4.add(v128.load(acc), f32x4.sub(f32x4.mul(gy, v128.load(at(add, hb))), f32x4.mul(gyMP, e))));
          v128.store(at(de, h * M + j), f32x4.sub(v128.load(at(de, h * M + j)), f32x4.mul(gyMP, w)));
          v128.store(at(da, h * M + j), f32x4.add(v128.load(at(da, h * M + j)), f32x4.mul(gy, w)));
        }
      }
      for (; j < M; j++) {
        const gy = ld(dy, r + j);
        const m = ld(memory, r + j);
        let keep: f32 = 1;
        for (let h = 0; h < H; h++) keep *= 1 - ld(weights, (b * H + h) * N + i) * ld(erase, (b * H + h) * M + j);
        if (memoryGrad) st(gMemory, r + j, gy * keep);
        for (let h = 0; h < H; h++) {
          let others: f32 = 1;
          for (let q = 0; q < H; q++) if (q != h) others *= 1 - ld(weights, (b * H + q) * N + i) * ld(erase, (b * H + q) * M + j);
          const w = ld(weights, (b * H + h) * N + i);
          const hb = (b * H + h) * M + j;
          const wi = (b * H + h) * N + i;
          st(gWeights, wi, ld(gWeights, wi) + gy * (ld(add, hb) - m * ld(erase, hb) * others));
          st(de, h * M + j, ld(de, h * M + j) - gy * m * w * others);
          st(da, h * M + j, ld(da, h * M + j) + gy * w);
        }
      }
      for (let h = 0; h < H; h++) {
        const wi = (b * H + h) * N + i;
        st(gWeights, wi, ld(gWeights, wi) + hsum(v128.load(dwv + (<usize>h << 4))));
      }
    }
  }
}
