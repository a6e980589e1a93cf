/**
 * The activation of the heads' controls (controls.ts) as plain loops: the interface vector
 * `[B, L]` plus the projection bias `[L]` (all write heads, then all read heads, each head's
 * controls in table order) is clipped to ±clip, split and activated in one pass, and its
 * vector-Jacobian product computed in another:
 * key tanh, beta softplus, gate sigmoid, shift softmax, gamma 1 + softplus, erase sigmoid,
 * add tanh.
 *
 * Dimension names: B batch, W write heads, R read heads, M width, S shift range, L interface length.
 */
import { scratch } from './scratch.ts';
import { sigmoid, softplus } from '../../scalarActivations.ts';

/** Sizes of the interface vector. */
export interface ControlsDims {
  /** B */
  readonly batch: number;
  /** M */
  readonly width: number;
  /** S */
  readonly shiftRange: number;
  /** W (0 = no write group) */
  readonly writeHeads: number;
  /** R (0 = no read group) */
  readonly readHeads: number;
  /** The interface vector is clipped to [-clip, clip] before activation (Infinity: no clip). */
  readonly clip: number;
}

/** Names of one group's activated controls, in the order the kernel emits them. */
export const WRITE_CONTROLS = ['key', 'beta', 'gate', 'shift', 'gamma', 'erase', 'add'] as const;
export const READ_CONTROLS = ['key', 'beta', 'gate', 'shift', 'gamma'] as const;

/** Length of one head's segment: M + 1 + 1 + (2S+1) + 1, plus 2M for a write head. */
export function segmentLength(width: number, shiftRange: number, isWrite: boolean): number {
  return width + 2 * shiftRange + 4 + (isWrite ? 2 * width : 0);
}

/** L = W * write segment + R * read segment. */
export function interfaceLength(d: ControlsDims): number {
  return d.writeHeads * segmentLength(d.width, d.shiftRange, true) + d.readHeads * segmentLength(d.width, d.shiftRange, false);
}

/**
 * The output shapes, write group first: key `[B,W,M]`, beta `[B,W]`, gate `[B,W]`,
 * shift `[B,W,2S+1]`, gamma `[B,W]`, erase `[B,W,M]`, add `[B,W,M]`; then the read group's
 * key, beta, gate, shift, gamma with R heads. A group with no heads emits nothing.
 */
export function controlShapes(d: ControlsDims): number[][] {
  const { batch: B, width: M, shiftRange: S, writeHeads: W, readHeads: R } = d;
  const group = (H: number, isWrite: boolean) => [
    [B, H, M],
    [B, H],
    [B, H],
    [B, H, 2 * S + 1],
    [B, H],
    ...(isWrite
      ? [
          [B, H, M],
          [B, H, M],
        ]
      : []),
  ];
  return [...(W > 0 ? group(W, true) : []), ...(R > 0 ? group(R, false) : [])];
}

/**
 * Visits every head of every group: (batch row, head index, heads in group, segment start in
 * z, segment start in the bias, first output index, isWrite).
 */
function forEachHead(d: ControlsDims, visit: (b: number, h: number, H: number, base: number, biasBase: number, out: number, isWrite: boolean) => void): void {
  const L = interfaceLength(d);
  const wLen = segmentLength(d.width, d.shiftRange, true);
  const rLen = segmentLength(d.width, d.shiftRange, false);
  const readOut = d.writeHeads > 0 ? WRITE_CONTROLS.length : 0;
  for (let b = 0; b < d.batch; b++) {
    for (let h = 0; h < d.writeHeads; h++) visit(b, h, d.writeHeads, b * L + h * wLen, h * wLen, 0, true);
    for (let h = 0; h < d.readHeads; h++) {
      const off = d.writeHeads * wLen + h * rLen;
      visit(b, h, d.readHeads, b * L + off, off, readOut, false);
    }
  }
}

/**
 * Forward pass on x = clip(z + bias, ±d.clip).
 * @param z `[B, L]` the raw interface vectors (without bias).
 * @param bias `[L]`
 * @param outs the activated controls in {@link controlShapes} order.
 */
export function controlsForward(d: ControlsDims, z: Float32Array, bias: Float32Array, outs: readonly Float32Array[]): void {
  const M = d.width;
  const nShift = 2 * d.shiftRange + 1;
  const x = scratch('controls.x', interfaceLength(d));
  forEachHead(d, (b, h, H, zBase, base, o, isWrite) => {
    const n = segmentLength(M, d.shiftRange, isWrite);
    for (let k = 0; k < n; k++) x[base + k] = Math.min(d.clip, Math.max(-d.clip, z[zBase + k]! + bias[base + k]!));
    const bh = b * H + h;
    const key = outs[o]!;
    for (let j = 0; j < M; j++) key[bh * M + j] = Math.tanh(x[base + j]!);
    outs[o + 1]![bh] = softplus(x[base + M]!);
    outs[o + 2]![bh] = sigmoid(x[base + M + 1]!);
    const shift = outs[o + 3]!;
    const s0 = base + M + 2;
    let mx = -Infinity;
    for (let j = 0; j < nShift; j++) if (x[s0 + j]! > mx) mx = x[s0 + j]!;
    let sum = 0;
    for (let j = 0; j < nShift; j++) sum += Math.exp(x[s0 + j]! - mx);
    for (let j = 0; j < nShift; j++) shift[bh * nShift + j] = Math.exp(x[s0 + j]! - mx) / sum;
    outs[o + 4]![bh] = 1 + softplus(x[s0 + nShift]!);
    if (isWrite) {
      const e0 = s0 + nShift + 1;
      const erase = outs[o + 5]!;
      const add = outs[o + 6]!;
      for (let j = 0; j < M; j++) erase[bh * M + j] = sigmoid(x[e0 + j]!);
      for (let j = 0; j < M; j++) add[bh * M + j] = Math.tanh(x[e0 + M + j]!);
    }
  });
}

/**
 * Backward pass: dz from the outputs' gradients (tanh' = 1 - y^2, sigmoid' = y (1 - y),
 * softplus' = sigmoid(z + bias), softmax' = y (dy - sum y dy)), zero where the clip acted
 * (|z + bias| > clip, as tf.clipByValue's gradient); dbias = sum over the batch of dz.
 * @param z `[B, L]` the raw interface vectors (without bias).
 * @param bias `[L]`
 * @param ys the forward outputs, {@link controlShapes} order.
 * @param dys their gradients, same order.
 * @param dz output `[B, L]`; `dBias` output `[L]`.
 */
export function controlsBackward(
  d: ControlsDims,
  z: Float32Array,
  bias: Float32Array,
  ys: readonly Float32Array[],
  dys: readonly Float32Array[],
  dz: Float32Array,
  dBias: Float32Array,
): void {
  const M = d.width;
  const nShift = 2 * d.shiftRange + 1;
  forEachHead(d, (b, h, H, base, biasBase, o, isWrite) => {
    const bh = b * H + h;
    const key = ys[o]!;
    const dKey = dys[o]!;
    for (let j = 0; j < M; j++) {
      const y = key[bh * M + j]!;
      dz[base + j] = dKey[bh * M + j]! * (1 - y * y);
    }
    dz[base + M] = dys[o + 1]![bh]! * sigmoid(z[base + M]! + bias[biasBase + M]!);
    const gate = ys[o + 2]![bh]!;
    dz[base + M + 1] = dys[o + 2]![bh]! * gate * (1 - gate);
    const s0 = base + M + 2;
    const shift = ys[o + 3]!;
    const dShift = dys[o + 3]!;
    let dot = 0;
    for (let j = 0; j < nShift; j++) dot += shift[bh * nShift + j]! * dShift[bh * nShift + j]!;
    for (let j = 0; j < nShift; j++) dz[s0 + j] = shift[bh * nShift + j]! * (dShift[bh * nShift + j]! - dot);
    dz[s0 + nShift] = dys[o + 4]![bh]! * sigmoid(z[s0 + nShift]! + bias[biasBase + M + 2 + nShift]!);
    if (isWrite) {
      const e0 = s0 + nShift + 1;
      const erase = ys[o + 5]!;
      const dErase = dys[o + 5]!;
      const add = ys[o + 6]!;
      const dAdd = dys[o + 6]!;
      for (let j = 0; j < M; j++) {
        const y = erase[bh * M + j]!;
        dz[e0 + j] = dErase[bh * M + j]! * y * (1 - y);
      }
      for (let j = 0; j < M; j++) {
        const y = add[bh * M + j]!;
        dz[e0 + M + j] = dAdd[bh * M + j]! * (1 - y * y);
      }
    }
    const n = segmentLength(M, d.shiftRange, isWrite);
    for (let k = 0; k < n; k++) if (Math.abs(z[base + k]! + bias[biasBase + k]!) > d.clip) dz[base + k] = 0;
  });
  dBias.fill(0);
  const L = interfaceLength(d);
  for (let b = 0; b < d.batch; b++) for (let k = 0; k < L; k++) dBias[k] = dBias[k]! + dz[b * L + k]!;
}
