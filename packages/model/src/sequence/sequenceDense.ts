/**
 * The dense work of the whole-sequence kernel, on the controller module's WebAssembly SIMD twins
 * (packages/controller/assembly/dense.ts) when they run here, else on the JavaScript loops of
 * denseMath.ts and the LSTM gate loops: the same equations either way.
 *
 * The recurrent products (one LSTM step and its interface vector, and their backward) run once
 * per time step with the LSTM kernel and the projection pinned in the module's memory, copied
 * once per sequence; the products that do not recur (x · K_x, the readout, every weight
 * gradient) run once over all T*B rows.
 *
 * Dimension names as in sequenceDims.ts.
 */
import { computeFused } from '@engram/tensor';
import { LSTM_AUX_ROWS, LSTM_GATES, LSTM_GATES_GRAD, lstmSimd } from '@engram/controller';
import { product, productTransposed, transposedProduct } from './denseMath.ts';

/** One LSTM time step and the interface vector, forward and backward, for fixed weights. */
export interface RecurrentStep {
  /**
   * h', c', the gate activations and ξ = h' · P from xk = x · K_x `[B, 4U]` (used as work
   * space), r `[B, R*M]`, h, c `[B, U]` and the gate bias `[4U]`.
   */
  forward(
    xk: Float32Array,
    r: Float32Array,
    h: Float32Array,
    c: Float32Array,
    bias: Float32Array,
    hOut: Float32Array,
    cOut: Float32Array,
    aux: Float32Array,
    xi: Float32Array,
  ): void;
  /**
   * From dh `[B, U]` (the gradient h' has from the readout and the next step; work space),
   * dξ `[B, L]`, dc' `[B, U]`: dz `[B, 4U]`, this step's gate-bias gradient `[4U]`, dc, and the
   * gradients of r `[B, R*M]` and h `[B, U]`.
   */
  backward(
    dh: Float32Array,
    dXi: Float32Array,
    dcNext: Float32Array,
    c: Float32Array,
    aux: Float32Array,
    dz: Float32Array,
    dBias: Float32Array,
    dc: Float32Array,
    dr: Float32Array,
    dhPrev: Float32Array,
  ): void;
  /** Lets go of the pinned weights. */
  release(): void;
}

/** Sizes a {@link RecurrentStep} needs. */
export interface StepSizes {
  readonly B: number;
  readonly X: number;
  /** R*M */
  readonly RM: number;
  readonly U: number;
  readonly L: number;
}

/**
 * The recurrent step for the LSTM kernel `[X + R*M + U, 4U]` and projection `[U, L]`: on the
 * SIMD twins with both pinned when they run here, else in JavaScript.
 */
export function recurrentStep(s: StepSizes, lstmKernel: Float32Array, projection: Float32Array): RecurrentStep {
  const { B, X, RM, U, L } = s;
  const gateShapes = [[B, 4 * U], [4 * U], [B, U]];
  const gradShapes = [
    [B, U],
    [B, U],
    [B, U],
    [B, LSTM_AUX_ROWS * U],
  ];
  const pins = lstmSimd.pin([lstmKernel, projection]);
  if (pins) {
    const sizes = [B, X, RM, U, L, pins[0]!, pins[1]!];
    return {
      forward: (xk, r, h, c, bias, hOut, cOut, aux, xi) => {
        lstmSimd.run('lstmSequenceStep', sizes, [xk, r, h, c, bias], [hOut, cOut, aux, xi]);
      },
      backward: (dh, dXi, dcNext, c, aux, dz, dBias, dc, dr, dhPrev) => {
        lstmSimd.run('lstmSequenceStepGrad', sizes, [dh, dXi, dcNext, c, aux], [dz, dBias, dc, dr, dhPrev]);
      },
      release: () => lstmSimd.unpin(),
    };
  }
  return {
    forward: (xk, r, h, c, bias, hOut, cOut, aux, xi) => {
      product(xk, r, B, RM, lstmKernel, X, 4 * U, true);
      product(xk, h, B, U, lstmKernel, X + RM, 4 * U, true);
      computeFused(LSTM_GATES, [xk, bias, c], [hOut, cOut, aux], gateShapes);
      product(xi, hOut, B, U, projection, 0, L, false);
    },
    backward: (dh, dXi, dcNext, c, aux, dz, dBias, dc, dr, dhPrev) => {
      productTransposed(dh, dXi, B, L, projection, 0, U, true);
      computeFused(LSTM_GATES_GRAD, [dh, dcNext, c, aux], [dz, dBias, dc], gradShapes);
      productTransposed(dr, dz, B, 4 * U, lstmKernel, X, RM, false);
      productTransposed(dhPrev, dz, B, 4 * U, lstmKernel, X + RM, U, false);
    },
    release: () => {},
  };
}

/** out `[rows, J]` = a `[rows, K]` · w[wRow..wRow+K] `[K, J]`, over many rows at once. */
export function batchProduct(out: Float32Array, a: Float32Array, rows: number, K: number, w: Float32Array, wRow: number, J: number): void {
  if (lstmSimd.run('denseForward', [rows, K, J], [a, w.subarray(wRow * J, (wRow + K) * J)], [out])) return;
  product(out, a, rows, K, w, wRow, J, false);
}

/** out `[rows, K]` = dz `[rows, J]` · w[wRow..wRow+K]^T, over many rows at once. */
export function batchProductTransposed(out: Float32Array, dz: Float32Array, rows: number, J: number, w: Float32Array, wRow: number, K: number): void {
  if (lstmSimd.run('denseInputGrad', [rows, J, K, 0], [dz, w.subarray(wRow * J, (wRow + K) * J)], [out])) return;
  productTransposed(out, dz, rows, J, w, wRow, K, false);
}

/** out `[K, J]` = a^T · dz over all rows: a weight gradient. */
export function batchTransposedProduct(out: Float32Array, a: Float32Array, rows: number, K: number, dz: Float32Array, J: number): void {
  if (lstmSimd.run('denseWeightGrad', [rows, K, J], [a, dz], [out])) return;
  transposedProduct(out, a, rows, K, dz, J);
}
