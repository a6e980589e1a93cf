/**
 * The DNC's usage, allocation and write weights of one write head, as plain loops, and the
 * vector-Jacobian product. The same function as dncRetention, usageAfter, dncAllocation and
 * the write-weight mix in DncAccess.step (W = 1), per batch row:
 *
 *     psi_n = prod_r (1 - f_r wr_rn)                       retention
 *     u_n   = (u0_n + (1 - u0_n) ww_n) psi_n               usage (ww: previous writes, no gradient)
 *     s_n   = eps + (1 - eps) u_n                          (ALLOCATION_EPSILON, allocation.ts)
 *     a_phi_j = (1 - s_phi_j) prod_{i<j} s_phi_i           allocation along the free list phi
 *     w_n   = gw (ga a_n + (1 - ga) c_n)                   write weights (c: content weights)
 *
 * The free list phi sorts the slots by s ascending, ties in slot order (as allocation.ts's
 * freeList); it carries no gradient. Dimension names: B batch, R read heads, N slots.
 */
import { ALLOCATION_EPSILON } from '../allocation.ts';
import { scratch, scratchInt } from '../../ntm/fused/scratch.ts';

export interface AllocationDims {
  readonly batch: number;
  readonly readHeads: number;
  readonly slots: number;
}

/** Inputs, float32 row-major. */
export interface AllocationInputs {
  /** `[B, N]` u0 */
  readonly usage: Float32Array;
  /** `[B, 1, N]` ww */
  readonly prevWrites: Float32Array;
  /** `[B, R]` f */
  readonly freeGate: Float32Array;
  /** `[B, R, N]` wr */
  readonly prevReads: Float32Array;
  /** `[B, 1, N]` c */
  readonly content: Float32Array;
  /** `[B, 1, 1]` ga */
  readonly allocationGate: Float32Array;
  /** `[B, 1, 1]` gw */
  readonly writeGate: Float32Array;
}

/** The free list of row `b`: `order[j]` the j-th freest slot (ties in slot order). */
function freeList(s: Float32Array, b: number, n: number, order: Int32Array): void {
  for (let i = 0; i < n; i++) order[i] = i;
  const base = b * n;
  // Array.prototype.sort is stable; sort a plain index array, then copy
  const idx = Array.from(order);
  idx.sort((i, j) => s[base + i]! - s[base + j]!);
  for (let i = 0; i < n; i++) order[i] = idx[i]!;
}

/**
 * Forward pass.
 * @param outUsage `[B, N]` u; `outWrites` `[B, 1, N]` w; `outRetention` `[B, N]` psi;
 *   `outSorted` `[B, N]` s at each slot and `outOrder` `[B, N]` the free list (slot indices as
 *   floats, exact below 2^24), both saved for the backward pass.
 */
export function allocationForward(
  d: AllocationDims,
  x: AllocationInputs,
  outUsage: Float32Array,
  outWrites: Float32Array,
  outRetention: Float32Array,
  outSorted: Float32Array,
  outOrder: Float32Array,
): void {
  const { batch: B, readHeads: R, slots: N } = d;
  const order = scratchInt('allocation.order', N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      let psi = 1;
      for (let r = 0; r < R; r++) psi *= 1 - x.freeGate[b * R + r]! * x.prevReads[(b * R + r) * N + n]!;
      const u0 = x.usage[b * N + n]!;
      const u = (u0 + (1 - u0) * x.prevWrites[b * N + n]!) * psi;
      outRetention[b * N + n] = psi;
      outUsage[b * N + n] = u;
      outSorted[b * N + n] = ALLOCATION_EPSILON + (1 - ALLOCATION_EPSILON) * u;
    }
    freeList(outSorted, b, N, order);
    for (let j = 0; j < N; j++) outOrder[b * N + j] = order[j]!;
    const ga = x.allocationGate[b]!;
    const gw = x.writeGate[b]!;
    let before = 1;
    for (let j = 0; j < N; j++) {
      const n = order[j]!;
      const s = outSorted[b * N + n]!;
      const a = (1 - s) * before;
      before *= s;
      outWrites[b * N + n] = gw * (ga * a + (1 - ga) * x.content[b * N + n]!);
    }
  }
}

/**
 * Backward pass, with dUsage `[B, N]`, dWrites `[B, 1, N]`, dRetention `[B, N]` the outputs'
 * gradients. Through the allocation a_j = (1 - s_j) P_j, P_j = prod_{i<j} s_i (sorted order):
 * ds_j = -P_j da_j + (sum_{k>j} da_k a_k) / s_j (as the reference's exp(cumsum(log s)));
 * through psi, the product over the other read heads is formed directly (no division).
 * The previous writes get no gradient (zeros), as in the reference's stop-gradient.
 */
export function allocationBackward(
  d: AllocationDims,
  x: AllocationInputs,
  sorted: Float32Array,
  savedOrder: Float32Array,
  retention: Float32Array,
  dUsage: Float32Array,
  dWrites: Float32Array,
  dRetention: Float32Array,
  /** The inputs' gradients, same names and shapes. */
  g: AllocationInputs,
): void {
  const { batch: B, readHeads: R, slots: N } = d;
  const order = scratchInt('allocationGrad.order', N);
  const alloc = scratch('allocationGrad.a', N);
  const prefix = scratch('allocationGrad.P', N);
  const ds = scratch('allocationGrad.ds', N);
  g.prevWrites.fill(0);
  g.freeGate.fill(0);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < N; j++) order[j] = savedOrder[b * N + j]!;
    const ga = x.allocationGate[b]!;
    const gw = x.writeGate[b]!;
    // allocation again (sorted order), and the gates' gradients
    let before = 1;
    let dga = 0;
    let dgw = 0;
    for (let j = 0; j < N; j++) {
      const n = order[j]!;
      const s = sorted[b * N + n]!;
      prefix[j] = before;
      alloc[j] = (1 - s) * before;
      before *= s;
      const dw = dWrites[b * N + n]!;
      const c = x.content[b * N + n]!;
      dgw += dw * (ga * alloc[j]! + (1 - ga) * c);
      dga += dw * gw * (alloc[j]! - c);
      g.content[b * N + n] = dw * gw * (1 - ga);
    }
    g.allocationGate[b] = dga;
    g.writeGate[b] = dgw;
    // ds in sorted order, with a suffix sum of da_k a_k
    let suffix = 0;
    for (let j = N - 1; j >= 0; j--) {
      const n = order[j]!;
      const da = dWrites[b * N + n]! * gw * ga;
      ds[j] = -prefix[j]! * da + suffix / sorted[b * N + n]!;
      suffix += da * alloc[j]!;
    }
    // back to slots: u, then u0 and psi, then the free gates and the previous reads
    for (let j = 0; j < N; j++) {
      const n = order[j]!;
      const du = dUsage[b * N + n]! + (1 - ALLOCATION_EPSILON) * ds[j]!;
      const u0 = x.usage[b * N + n]!;
      const ww = x.prevWrites[b * N + n]!;
      const psi = retention[b * N + n]!;
      g.usage[b * N + n] = du * psi * (1 - ww);
      const dpsi = dRetention[b * N + n]! + du * (u0 + (1 - u0) * ww);
      for (let r = 0; r < R; r++) {
        let others = 1;
        for (let q = 0; q < R; q++) if (q !== r) others *= 1 - x.freeGate[b * R + q]! * x.prevReads[(b * R + q) * N + n]!;
        const f = x.freeGate[b * R + r]!;
        const wr = x.prevReads[(b * R + r) * N + n]!;
        g.freeGate[b * R + r] = g.freeGate[b * R + r]! - dpsi * wr * others;
        g.prevReads[(b * R + r) * N + n] = -dpsi * f * others;
      }
    }
  }
}
