/**
 * The activation of a memory's interface vector by two control tables (the write heads' and
 * the read heads'), as plain loops: x = clip(z + bias, ±clip), split by head and control, each
 * control's activation applied (tanh, sigmoid, softplus, oneplus = 1 + softplus, softmax over
 * the control, linear), and the vector-Jacobian product. The same function as
 * `activateTable` (interfaceTable.ts) on the two segments of tf.clipByValue(z + bias).
 *
 * Dimension names: B batch, W write heads, R read heads, L interface length.
 */
import type { Activation } from '../../interfaceTable.ts';
import { sigmoid, softplus } from '../../scalarActivations.ts';

/** Activations as numbers (kernel attributes are plain numbers). */
export const ACTIVATION_CODES: readonly Activation[] = ['tanh', 'sigmoid', 'softplus', 'oneplus', 'softmax', 'linear'];

/** One control table as the kernel sees it. */
export interface TableDims {
  /** Heads using the table (0: the group is absent). */
  readonly heads: number;
  /** Each control's length, in table order. */
  readonly lengths: readonly number[];
  /** Each control's activation, as an index into {@link ACTIVATION_CODES}. */
  readonly activations: readonly number[];
}

/** Sizes of one call: the write group's table, then the read group's. */
export interface InterfaceDims {
  readonly batch: number;
  readonly write: TableDims;
  readonly read: TableDims;
  /** The clip of z + bias (Infinity: none). */
  readonly clip: number;
}

export function segment(t: TableDims): number {
  return t.lengths.reduce((a, b) => a + b, 0);
}

/** L = W * write segment + R * read segment. */
export function interfaceWidth(d: InterfaceDims): number {
  return d.write.heads * segment(d.write) + d.read.heads * segment(d.read);
}

/** The output shapes: each write control `[B, W, length]`, then each read control `[B, R, length]`. */
export function interfaceShapes(d: InterfaceDims): number[][] {
  const group = (t: TableDims) => (t.heads > 0 ? t.lengths.map((n) => [d.batch, t.heads, n]) : []);
  return [...group(d.write), ...group(d.read)];
}

/**
 * Visits every control of every head: (row start in z and in bias of the control, its length,
 * activation code, output index, offset into that output).
 */
function forEachControl(d: InterfaceDims, visit: (zAt: number, biasAt: number, n: number, code: number, out: number, outAt: number) => void): void {
  const L = interfaceWidth(d);
  const wSeg = segment(d.write);
  const groups = [
    { t: d.write, start: 0, first: 0, seg: wSeg },
    { t: d.read, start: d.write.heads * wSeg, first: d.write.heads > 0 ? d.write.lengths.length : 0, seg: segment(d.read) },
  ];
  for (let b = 0; b < d.batch; b++) {
    for (const { t, start, first, seg } of groups) {
      for (let h = 0; h < t.heads; h++) {
        let off = start + h * seg;
        t.lengths.forEach((n, c) => {
          visit(b * L + off, off, n, t.activations[c]!, first + c, (b * t.heads + h) * n);
          off += n;
        });
      }
    }
  }
}

/**
 * Forward pass.
 * @param z `[B, L]` the interface vectors before the bias; `bias` `[L]`.
 * @param outs the activated controls, {@link interfaceShapes} order.
 */
export function interfaceForward(d: InterfaceDims, z: Float32Array, bias: Float32Array, outs: readonly Float32Array[]): void {
  const clip = d.clip;
  const x = new Float64Array(Math.max(...[...d.write.lengths, ...d.read.lengths, 1]));
  forEachControl(d, (zAt, biasAt, n, code, out, outAt) => {
    const y = outs[out]!;
    for (let k = 0; k < n; k++) x[k] = Math.min(clip, Math.max(-clip, z[zAt + k]! + bias[biasAt + k]!));
    switch (ACTIVATION_CODES[code]) {
      case 'tanh':
        for (let k = 0; k < n; k++) y[outAt + k] = Math.tanh(x[k]!);
        break;
      case 'sigmoid':
        for (let k = 0; k < n; k++) y[outAt + k] = sigmoid(x[k]!);
        break;
      case 'softplus':
        for (let k = 0; k < n; k++) y[outAt + k] = softplus(x[k]!);
        break;
      case 'oneplus':
        for (let k = 0; k < n; k++) y[outAt + k] = 1 + softplus(x[k]!);
        break;
      case 'linear':
        for (let k = 0; k < n; k++) y[outAt + k] = x[k]!;
        break;
      case 'softmax': {
        let mx = -Infinity;
        for (let k = 0; k < n; k++) mx = Math.max(mx, x[k]!);
        let sum = 0;
        for (let k = 0; k < n; k++) sum += Math.exp(x[k]! - mx);
        for (let k = 0; k < n; k++) y[outAt + k] = Math.exp(x[k]! - mx) / sum;
        break;
      }
    }
  });
}

/**
 * Backward pass: dx by each activation's derivative (tanh 1 - y^2, sigmoid y (1 - y),
 * softplus and oneplus sigmoid(x), softmax y (dy - sum y dy), linear 1), zero where the clip
 * acted (|z + bias| > clip, as tf.clipByValue's gradient); dbias = the batch sum of dz.
 * @param ys the forward outputs and `dys` their gradients, {@link interfaceShapes} order.
 * @param dz output `[B, L]`; `dBias` output `[L]`.
 */
export function interfaceBackward(
  d: InterfaceDims,
  z: Float32Array,
  bias: Float32Array,
  ys: readonly Float32Array[],
  dys: readonly Float32Array[],
  dz: Float32Array,
  dBias: Float32Array,
): void {
  const clip = d.clip;
  forEachControl(d, (zAt, biasAt, n, code, out, outAt) => {
    const y = ys[out]!;
    const dy = dys[out]!;
    switch (ACTIVATION_CODES[code]) {
      case 'tanh':
        for (let k = 0; k < n; k++) dz[zAt + k] = dy[outAt + k]! * (1 - y[outAt + k]! * y[outAt + k]!);
        break;
      case 'sigmoid':
        for (let k = 0; k < n; k++) dz[zAt + k] = dy[outAt + k]! * y[outAt + k]! * (1 - y[outAt + k]!);
        break;
      case 'softplus':
      case 'oneplus':
        // softplus' = sigmoid, at the clipped input (where the clip acted dz is zeroed below)
        for (let k = 0; k < n; k++) dz[zAt + k] = dy[outAt + k]! * sigmoid(Math.min(clip, Math.max(-clip, z[zAt + k]! + bias[biasAt + k]!)));
        break;
      case 'linear':
        for (let k = 0; k < n; k++) dz[zAt + k] = dy[outAt + k]!;
        break;
      case 'softmax': {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += y[outAt + k]! * dy[outAt + k]!;
        for (let k = 0; k < n; k++) dz[zAt + k] = y[outAt + k]! * (dy[outAt + k]! - dot);
        break;
      }
    }
    for (let k = 0; k < n; k++) if (Math.abs(z[zAt + k]! + bias[biasAt + k]!) > clip) dz[zAt + k] = 0;
  });
  const L = interfaceWidth(d);
  dBias.fill(0);
  for (let b = 0; b < d.batch; b++) for (let k = 0; k < L; k++) dBias[k] = dBias[k]! + dz[b * L + k]!;
}
