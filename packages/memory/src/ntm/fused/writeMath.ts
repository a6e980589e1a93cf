/**
 * The NTM write for all write heads of a group, as plain loops over Float32Arrays, and its
 * vector-Jacobian product. Same math as `write` (readWrite.ts): every head erases, then every
 * head adds:
 *
 *     M'_ij = M_ij prod_h (1 - w_hi e_hj) + sum_h w_hi a_hj
 *
 * Dimension names: B batch, W write heads, N slots, M width.
 */
import { scratch, zeroed } from './scratch.ts';

/** Sizes of one write call. */
export interface WriteDims {
  /** B */
  readonly batch: number;
  /** W */
  readonly heads: number;
  /** N */
  readonly slots: number;
  /** M */
  readonly width: number;
}

/** The inputs of one write call, all float32, row-major. */
export interface WriteInputs {
  /** `[B, N, M]` */
  readonly memory: Float32Array;
  /** `[B, W, N]` */
  readonly weights: Float32Array;
  /** `[B, W, M]` in [0, 1] */
  readonly erase: Float32Array;
  /** `[B, W, M]` */
  readonly add: Float32Array;
}

/** The gradients of one write call, same shapes as {@link WriteInputs}. */
export interface WriteGrads {
  readonly memory: Float32Array;
  readonly weights: Float32Array;
  readonly erase: Float32Array;
  readonly add: Float32Array;
}

/**
 * Forward pass.
 * @param out `[B, N, M]` the new memory.
 */
export function writeForward(d: WriteDims, x: WriteInputs, out: Float32Array): void {
  const { batch: B, heads: W, slots: N, width: M } = d;
  const { memory, weights, erase, add } = x;
  for (let b = 0; b < B; b++) {
    const mb = b * N * M;
    if (W === 1) {
      const eb = b * M;
      const wb = b * N;
      for (let i = 0; i < N; i++) {
        const w = weights[wb + i]!;
        const r = mb + i * M;
        if (w === 0) {
          for (let j = 0; j < M; j++) out[r + j] = memory[r + j]!;
          continue;
        }
        for (let j = 0; j < M; j++) out[r + j] = memory[r + j]! * (1 - w * erase[eb + j]!) + w * add[eb + j]!;
      }
      continue;
    }
    for (let i = 0; i < N; i++) {
      const r = mb + i * M;
      for (let j = 0; j < M; j++) {
        let keep = 1;
        let added = 0;
        for (let h = 0; h < W; h++) {
          const w = weights[(b * W + h) * N + i]!;
          const hb = (b * W + h) * M + j;
          keep *= 1 - w * erase[hb]!;
          added += w * add[hb]!;
        }
        out[r + j] = memory[r + j]! * keep + added;
      }
    }
  }
}

/**
 * Backward pass: with f_hij = 1 - w_hi e_hj and P_hij = prod_{h' != h} f_h'ij,
 *     dM_ij  = dy_ij prod_h f_hij
 *     dw_hi  = sum_j dy_ij (a_hj - M_ij e_hj P_hij)
 *     de_hj  = -sum_i dy_ij M_ij w_hi P_hij
 *     da_hj  = sum_i dy_ij w_hi
 * (products over the other heads are formed directly, never by division, so a fully erased
 * cell, f = 0, is exact).
 * @param dy `[B, N, M]` the gradient with respect to the new memory.
 * @param memoryGrad false: leave `g.memory` alone (a group kernel forms dM in its addressing
 *   backward's sweep instead).
 */
export function writeBackward(d: WriteDims, dy: Float32Array, x: WriteInputs, g: WriteGrads, memoryGrad = true): void {
  const { batch: B, heads: W, slots: N, width: M } = d;
  const { memory, weights, erase, add } = x;
  const { memory: gMemory, weights: gWeights, erase: gErase, add: gAdd } = g;
  const f = scratch('writeGrad.f', W);
  for (let b = 0; b < B; b++) {
    const mb = b * N * M;
    const de = zeroed('writeGrad.de', W * M);
    const da = zeroed('writeGrad.da', W * M);
    if (W === 1) {
      const eb = b * M;
      const wb = b * N;
      for (let i = 0; i < N; i++) {
        const w = weights[wb + i]!;
        const r = mb + i * M;
        let dw = 0;
        for (let j = 0; j < M; j++) {
          const gy = dy[r + j]!;
          const m = memory[r + j]!;
          const e = erase[eb + j]!;
          if (memoryGrad) gMemory[r + j] = gy * (1 - w * e);
          dw += gy * (add[eb + j]! - m * e);
          de[j] = de[j]! - gy * m * w;
          da[j] = da[j]! + gy * w;
        }
        gWeights[wb + i] = dw;
      }
    } else {
      for (let i = 0; i < N; i++) {
        const r = mb + i * M;
        for (let h = 0; h < W; h++) gWeights[(b * W + h) * N + i] = 0;
        for (let j = 0; j < M; j++) {
          const gy = dy[r + j]!;
          const m = memory[r + j]!;
          let keep = 1;
          for (let h = 0; h < W; h++) {
            const fh = 1 - weights[(b * W + h) * N + i]! * erase[(b * W + h) * M + j]!;
            f[h] = fh;
            keep *= fh;
          }
          if (memoryGrad) gMemory[r + j] = gy * keep;
          for (let h = 0; h < W; h++) {
            let others = 1;
            for (let q = 0; q < W; q++) if (q !== h) others *= f[q]!;
            const w = weights[(b * W + h) * N + i]!;
            const hb = (b * W + h) * M + j;
            const wi = (b * W + h) * N + i;
            gWeights[wi] = gWeights[wi]! + gy * (add[hb]! - m * erase[hb]! * others);
            de[h * M + j] = de[h * M + j]! - gy * m * w * others;
            da[h * M + j] = da[h * M + j]! + gy * w;
          }
        }
      }
    }
    for (let h = 0; h < W; h++) {
      for (let j = 0; j < M; j++) {
        gErase[(b * W + h) * M + j] = de[h * M + j]!;
        gAdd[(b * W + h) * M + j] = da[h * M + j]!;
      }
    }
  }
}
