/**
 * The DNC's temporal linkage and directional weights in one sweep over each link matrix, as
 * plain loops over Float32Arrays, and its vector-Jacobian product. Same math as dncLinkage and
 * dncDirectionalWeights (../linkage.ts):
 *   L'[i,j] = (1 - δ_ij) ((1 - w_i - w_j) L[i,j] + w_i p_j),   p' = (1 - Σ w) p + w,
 *   f[r,i] = Σ_j L'[i,j] u[r,j],   b[r,j] = Σ_i L'[i,j] u[r,i]   (u: the previous read weights).
 *
 * Dimension names: B batch, W write heads, R read heads, N slots.
 */

/** Sizes of one call. */
export interface TemporalDims {
  readonly batch: number;
  readonly writeHeads: number;
  readonly readHeads: number;
  readonly slots: number;
}

/** L'[i, :] for one row, into `out` (length N): (1 - w_i - w_j) L[i, j] + w_i p_j, 0 at j = i. */
function newLinkRow(
  link: Float32Array,
  row: number,
  writes: Float32Array,
  precedence: Float32Array,
  wb: number,
  i: number,
  n: number,
  out: Float32Array,
): void {
  const wi = writes[wb + i]!;
  for (let j = 0; j < n; j++) out[j] = (1 - wi - writes[wb + j]!) * link[row + j]! + wi * precedence[wb + j]!;
  out[i] = 0;
}

/**
 * Forward pass. Every inner loop runs along a contiguous row of the link matrix.
 * @param link `[B, W, N, N]`, precedence `[B, W, N]`, writes `[B, W, N]`, reads `[B, R, N]`
 * @param outLink `[B, W, N, N]`, outPrecedence `[B, W, N]`, outForward and outBackward `[B, R, W, N]`
 */
export function temporalForward(
  d: TemporalDims,
  link: Float32Array,
  precedence: Float32Array,
  writes: Float32Array,
  reads: Float32Array,
  outLink: Float32Array,
  outPrecedence: Float32Array,
  outForward: Float32Array,
  outBackward: Float32Array,
): void {
  const { batch: B, writeHeads: W, readHeads: R, slots: N } = d;
  outBackward.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < W; h++) {
      const wb = (b * W + h) * N;
      const lb = wb * N;
      let sum = 0;
      for (let n = 0; n < N; n++) sum += writes[wb + n]!;
      for (let n = 0; n < N; n++) outPrecedence[wb + n] = (1 - sum) * precedence[wb + n]! + writes[wb + n]!;
      for (let i = 0; i < N; i++) {
        const row = lb + i * N;
        const l = outLink.subarray(row, row + N);
        newLinkRow(link, row, writes, precedence, wb, i, N, l);
        for (let r = 0; r < R; r++) {
          const u = (b * R + r) * N;
          const o = ((b * R + r) * W + h) * N;
          const ui = reads[u + i]!;
          let f = 0;
          for (let j = 0; j < N; j++) {
            const lj = l[j]!;
            f += lj * reads[u + j]!;
            outBackward[o + j] = outBackward[o + j]! + lj * ui;
          }
          outForward[o + i] = f;
        }
      }
    }
  }
}

/**
 * Backward pass, one sweep per link matrix, row by row. With G[i,j] = dL'[i,j] + Σ_r (df[r,i]
 * u[r,j] + db[r,j] u[r,i]) the whole gradient reaching L'[i,j]:
 *   du[r,k] = Σ_i L'[i,k] df[r,i] + Σ_j L'[k,j] db[r,j],
 *   dL[i,j] = o_ij (1 - w_i - w_j) G[i,j],   dp_j = Σ_i o_ij w_i G[i,j] + (1 - Σw) dp'_j,
 *   dw_k = Σ_j o_kj (p_j - L[k,j]) G[k,j] - Σ_i o_ik L[i,k] G[i,k] + dp'_k - Σ_n p_n dp'_n.
 * @param dLink `[B, W, N, N]`, dPrecedence `[B, W, N]`, dForward and dBackward `[B, R, W, N]` (gradients of the outputs)
 * @param outs dPrevLink `[B, W, N, N]`, dPrevPrecedence `[B, W, N]`, dWrites `[B, W, N]`, dReads `[B, R, N]`
 */
export function temporalBackward(
  d: TemporalDims,
  link: Float32Array,
  precedence: Float32Array,
  writes: Float32Array,
  reads: Float32Array,
  dLink: Float32Array,
  dPrecedence: Float32Array,
  dForward: Float32Array,
  dBackward: Float32Array,
  dPrevLink: Float32Array,
  dPrevPrecedence: Float32Array,
  dWrites: Float32Array,
  dReads: Float32Array,
): void {
  const { batch: B, writeHeads: W, readHeads: R, slots: N } = d;
  dWrites.fill(0);
  dReads.fill(0);
  const l = new Float32Array(N);
  const g = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < W; h++) {
      const wb = (b * W + h) * N;
      const lb = wb * N;
      let sum = 0;
      let pdp = 0;
      for (let n = 0; n < N; n++) {
        sum += writes[wb + n]!;
        pdp += precedence[wb + n]! * dPrecedence[wb + n]!;
      }
      for (let n = 0; n < N; n++) {
        dPrevPrecedence[wb + n] = (1 - sum) * dPrecedence[wb + n]!;
        dWrites[wb + n] = dWrites[wb + n]! + dPrecedence[wb + n]! - pdp;
      }
      for (let i = 0; i < N; i++) {
        const row = lb + i * N;
        newLinkRow(link, row, writes, precedence, wb, i, N, l);
        for (let j = 0; j < N; j++) g[j] = dLink[row + j]!;
        for (let r = 0; r < R; r++) {
          const u = (b * R + r) * N;
          const o = ((b * R + r) * W + h) * N;
          const ui = reads[u + i]!;
          const dfi = dForward[o + i]!;
          let dui = 0;
          for (let j = 0; j < N; j++) {
            const dbj = dBackward[o + j]!;
            g[j] = g[j]! + dfi * reads[u + j]! + dbj * ui;
            dReads[u + j] = dReads[u + j]! + l[j]! * dfi;
            dui += l[j]! * dbj;
          }
          dReads[u + i] = dReads[u + i]! + dui;
        }
        g[i] = 0; // the diagonal is held at 0
        const wi = writes[wb + i]!;
        let dwi = 0;
        for (let j = 0; j < N; j++) {
          const gj = g[j]!;
          const prev = link[row + j]!;
          dPrevLink[row + j] = (1 - wi - writes[wb + j]!) * gj;
          dPrevPrecedence[wb + j] = dPrevPrecedence[wb + j]! + wi * gj;
          dwi += (precedence[wb + j]! - prev) * gj;
          dWrites[wb + j] = dWrites[wb + j]! - prev * gj;
        }
        dWrites[wb + i] = dWrites[wb + i]! + dwi;
      }
    }
  }
}
