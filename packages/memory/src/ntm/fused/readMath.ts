/**
 * The NTM read for all read heads of a group, as plain loops over Float32Arrays, and its
 * vector-Jacobian product. Same math as `read` (readWrite.ts): r_hj = sum_i w_hi M_ij.
 *
 * Dimension names: B batch, R read heads, N slots, M width.
 */

/** Sizes of one read call. */
export interface ReadDims {
  /** B */
  readonly batch: number;
  /** R */
  readonly heads: number;
  /** N */
  readonly slots: number;
  /** M */
  readonly width: number;
}

/**
 * Forward pass.
 * @param memory `[B, N, M]`
 * @param weights `[B, R, N]`
 * @param out `[B, R, M]` the read vectors.
 */
export function readForward(d: ReadDims, memory: Float32Array, weights: Float32Array, out: Float32Array): void {
  const { batch: B, heads: R, slots: N, width: M } = d;
  out.fill(0);
  for (let b = 0; b < B; b++) {
    const mb = b * N * M;
    for (let h = 0; h < R; h++) {
      const wb = (b * R + h) * N;
      const ob = (b * R + h) * M;
      for (let i = 0; i < N; i++) {
        const w = weights[wb + i]!;
        if (w === 0) continue;
        const r = mb + i * M;
        for (let j = 0; j < M; j++) out[ob + j] = out[ob + j]! + w * memory[r + j]!;
      }
    }
  }
}

/**
 * Backward pass in one sweep over memory: dM_ij = sum_h w_hi dy_hj, dw_hi = sum_j dy_hj M_ij.
 * @param dy `[B, R, M]` the gradient with respect to the read vectors.
 * @param dMemory output `[B, N, M]`
 * @param dWeights output `[B, R, N]`
 */
export function readBackward(d: ReadDims, dy: Float32Array, memory: Float32Array, weights: Float32Array, dMemory: Float32Array, dWeights: Float32Array): void {
  const { batch: B, heads: R, slots: N, width: M } = d;
  for (let b = 0; b < B; b++) {
    const mb = b * N * M;
    if (R === 1) {
      const yb = b * M;
      const wb = b * N;
      for (let i = 0; i < N; i++) {
        const w = weights[wb + i]!;
        const r = mb + i * M;
        let dw = 0;
        for (let j = 0; j < M; j++) {
          const g = dy[yb + j]!;
          dMemory[r + j] = w * g;
          dw += g * memory[r + j]!;
        }
        dWeights[wb + i] = dw;
      }
      continue;
    }
    for (let i = 0; i < N; i++) {
      const r = mb + i * M;
      for (let j = 0; j < M; j++) dMemory[r + j] = 0;
      for (let h = 0; h < R; h++) {
        const w = weights[(b * R + h) * N + i]!;
        const yb = (b * R + h) * M;
        let dw = 0;
        for (let j = 0; j < M; j++) {
          const g = dy[yb + j]!;
          dMemory[r + j] = dMemory[r + j]! + w * g;
          dw += g * memory[r + j]!;
        }
        dWeights[(b * R + h) * N + i] = dw;
      }
    }
  }
}

/**
 * The weights' share of the read backward alone: dw_hi = sum_j dy_hj M_ij (the memory's share,
 * sum_h w_hi dy_hj, is formed by the addressing backward's sweep in a group kernel).
 * @param dy `[B, R, M]`; `dWeights` output `[B, R, N]`.
 */
export function readWeightsGrad(d: ReadDims, dy: Float32Array, memory: Float32Array, dWeights: Float32Array): void {
  const { batch: B, heads: R, slots: N, width: M } = d;
  for (let b = 0; b < B; b++) {
    const mb = b * N * M;
    for (let h = 0; h < R; h++) {
      const yb = (b * R + h) * M;
      const wb = (b * R + h) * N;
      for (let i = 0; i < N; i++) {
        const r = mb + i * M;
        let dw = 0;
        for (let j = 0; j < M; j++) dw += dy[yb + j]! * memory[r + j]!;
        dWeights[wb + i] = dw;
      }
    }
  }
}
