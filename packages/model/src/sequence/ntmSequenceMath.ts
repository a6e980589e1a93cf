/**
 * The NTM with a one-layer LSTM controller over a whole sequence, forward and backward through
 * time, as plain loops: the same model as `unroll(MemoryCell)` on the fused kernels, but one
 * kernel per sequence instead of ~40 kernel dispatches (and as many tape entries) per time step.
 * Each step composes the per-step fused kernels' own loops (controls, addressing + read, addressing +
 * write, and their WebAssembly twins) through `computeFused`, so the equations live in one
 * place; the LSTM step and the dense products run in sequenceDense.ts, the non-recurrent
 * products (x · K_x, the readout, the weight gradients) once over all steps.
 *
 * One step t, as MemoryCore.step and MemoryAccess.step (order read-write):
 *
 *     z_t   = [x_t, r_{t-1}, h_{t-1}] · K                       LSTM pre-activations
 *     h_t, c_t = gates(z_t + b_K, c_{t-1})
 *     ξ_t   = h_t · P                                            interface vector (ξ, before bias)
 *     controls = activate(clip(ξ_t + b_P))
 *     w^r_t, r_t = address+read(M_{t-1}, read controls, w^r_{t-1})
 *     w^w_t, M_t = address+write(M_{t-1}, write controls, w^w_{t-1})
 *     y_t   = clip([h_t, r_t] · O + b_O)
 *
 * (order write-read: the write comes first and the reads see M_t.)
 *
 * Dimension names as in sequenceDims.ts.
 */
import { computeFused } from '@engram/tensor';
import {
  ADDRESS_AUX_ROWS,
  NTM_ADDRESS_READ,
  NTM_ADDRESS_READ_GRAD,
  NTM_ADDRESS_WRITE,
  NTM_ADDRESS_WRITE_GRAD,
  NTM_CONTROLS,
  NTM_CONTROLS_GRAD,
} from '@engram/memory';
import { sumRows } from './denseMath.ts';
import { batchProduct, batchProductTransposed, batchTransposedProduct, recurrentStep } from './sequenceDense.ts';
import { type SEQUENCE_INPUTS, splitControls, tapeAt, tapeLayout, type SequenceDims, type TapeLayout } from './sequenceDims.ts';

/** The kernel's inputs by name (SEQUENCE_INPUTS), as arrays. */
export type SequenceArrays = Readonly<Record<(typeof SEQUENCE_INPUTS)[number], Float32Array>>;

/** The shapes each per-step memory kernel is called with. */
function stepShapes(d: SequenceDims) {
  const { B, R, W, N, M, L } = d;
  const sh = 2 * d.shiftRange + 1;
  const group = (H: number) => [
    [B, H, M],
    [B, H],
    [B, H],
    [B, H, sh],
    [B, H],
    [B, H, N],
  ];
  return {
    controls: [[B, L], [L]],
    read: [[B, N, M], ...group(R)],
    readGrad: [[B, R, N], [B, R, M], [B, R, N], [B, R, ADDRESS_AUX_ROWS, N], [B, N, M], ...group(R)],
    write: [[B, N, M], ...group(W), [B, W, M], [B, W, M]],
    writeGrad: [[B, W, N], [B, N, M], [B, W, N], [B, W, ADDRESS_AUX_ROWS, N], [B, N, M], ...group(W), [B, W, M], [B, W, M]],
  };
}

function controlsAttrs(d: SequenceDims) {
  return { width: d.M, shiftRange: d.shiftRange, writeHeads: d.W, readHeads: d.R, clip: d.interfaceClip };
}

function addressAttrs(d: SequenceDims, normalize: string) {
  return { normalize, rowNormFloor: d.rowNormFloor };
}

/** A float32 work buffer, kept between calls (kernels run one at a time). */
const work = new Map<string, Float32Array>();
function buffer(name: string, n: number, zero = true): Float32Array {
  let buf = work.get(name);
  if (!buf || buf.length < n) {
    buf = new Float32Array(n);
    work.set(name, buf);
  }
  const view = buf.subarray(0, n);
  if (zero) view.fill(0);
  return view;
}

/** Steps `from..from+T-1` of a state part, back to back: `[T*B, stride/B]` (from 1: the states after each step). */
function stateRun(tape: Float32Array, layout: TapeLayout, part: 'h' | 'reads', from: number, T: number): Float32Array {
  const n = layout.stride[part];
  return tape.subarray(layout[part] + from * n, layout[part] + (from + T) * n);
}

/**
 * Forward pass over all T steps.
 * @param logits output `[T, B, Y]`, clipped to ±outputClip.
 * @param tape output, {@link tapeLayout}: everything the backward pass reads.
 */
export function sequenceForward(d: SequenceDims, a: SequenceArrays, logits: Float32Array, tape: Float32Array): void {
  const { T, B, X, U, R, M, Y } = d;
  const RM = R * M;
  const rows = T * B;
  const lay = tapeLayout(d);
  const shapes = stepShapes(d);
  const at = (part: keyof TapeLayout['stride'], t: number) => tapeAt(tape, lay, part, t);
  at('h', 0).set(a.h0);
  at('c', 0).set(a.c0);
  at('reads', 0).set(a.reads0);
  at('memory', 0).set(a.memory0);
  at('readWeights', 0).set(a.readWeights0);
  at('writeWeights', 0).set(a.writeWeights0);
  // x_t · K_x does not recur: every step's at once
  const xk = buffer('xk', rows * 4 * U, false);
  batchProduct(xk, a.x, rows, X, a.lstmKernel, 0, 4 * U);
  const lstm = recurrentStep({ B, X, RM, U, L: d.L }, a.lstmKernel, a.projection);
  try {
    for (let t = 0; t < T; t++) {
      const xi = at('interface', t);
      lstm.forward(
        xk.subarray(t * B * 4 * U, (t + 1) * B * 4 * U),
        at('reads', t),
        at('h', t),
        at('c', t),
        a.lstmBias,
        at('h', t + 1),
        at('c', t + 1),
        at('lstmAux', t),
        xi,
      );
      const ctl = splitControls(at('controls', t), d.controlSizes);
      computeFused(NTM_CONTROLS, [xi, a.projectionBias], ctl, shapes.controls, controlsAttrs(d));
      const [wKey, wBeta, wGate, wShift, wGamma, erase, add] = ctl as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      const write = () =>
        computeFused(
          NTM_ADDRESS_WRITE,
          [at('memory', t), wKey, wBeta, wGate, wShift, wGamma, at('writeWeights', t), erase, add],
          [at('writeWeights', t + 1), at('memory', t + 1), at('writeAux', t)],
          shapes.write,
          addressAttrs(d, d.writeNormalize),
        );
      const read = (memory: Float32Array) =>
        computeFused(
          NTM_ADDRESS_READ,
          [memory, ...ctl.slice(7), at('readWeights', t)],
          [at('readWeights', t + 1), at('reads', t + 1), at('readAux', t)],
          shapes.read,
          addressAttrs(d, d.readNormalize),
        );
      if (d.order === 'read-write') {
        read(at('memory', t));
        write();
      } else {
        write();
        read(at('memory', t + 1));
      }
    }
  } finally {
    lstm.release();
  }
  // the readout for every step at once: y = clip([h, r] · O + b_O)
  const fromH = buffer('yh', rows * Y, false);
  const fromR = buffer('yr', rows * Y, false);
  batchProduct(fromH, stateRun(tape, lay, 'h', 1, T), rows, U, a.outputKernel, 0, Y);
  batchProduct(fromR, stateRun(tape, lay, 'reads', 1, T), rows, RM, a.outputKernel, U, Y);
  const pre = tape.subarray(lay.logits, lay.logits + rows * Y);
  const clip = d.outputClip;
  for (let i = 0; i < rows * Y; i++) {
    const v = fromH[i]! + fromR[i]! + a.outputBias[i % Y]!;
    pre[i] = v;
    logits[i] = v < -clip ? -clip : Math.min(v, clip);
  }
}

/** The kernel's gradients by input name (SEQUENCE_INPUTS), as arrays to fill. */
export type SequenceGrads = SequenceArrays;

/**
 * Backward pass through time: every input's gradient from the logits' gradient dy `[T, B, Y]`
 * and the forward pass's tape.
 */
export function sequenceBackward(d: SequenceDims, a: SequenceArrays, dy: Float32Array, tape: Float32Array, g: SequenceGrads): void {
  const { T, B, X, U, R, W, N, M, L, Y } = d;
  const RM = R * M;
  const rows = T * B;
  const lay = tapeLayout(d);
  const shapes = stepShapes(d);
  const at = (part: keyof TapeLayout['stride'], t: number) => tapeAt(tape, lay, part, t);

  // readout: the clip passes dy where -clip <= y <= clip (as tf.clipByValue)
  const dyc = buffer('dyc', rows * Y, false);
  const pre = tape.subarray(lay.logits, lay.logits + rows * Y);
  for (let i = 0; i < rows * Y; i++) dyc[i] = Math.abs(pre[i]!) <= d.outputClip ? dy[i]! : 0;
  const hAfter = stateRun(tape, lay, 'h', 1, T);
  const rAfter = stateRun(tape, lay, 'reads', 1, T);
  batchTransposedProduct(g.outputKernel.subarray(0, U * Y), hAfter, rows, U, dyc, Y);
  batchTransposedProduct(g.outputKernel.subarray(U * Y), rAfter, rows, RM, dyc, Y);
  sumRows(g.outputBias, dyc, rows, Y);
  const dhOut = buffer('dhOut', rows * U, false);
  batchProductTransposed(dhOut, dyc, rows, Y, a.outputKernel, 0, U);
  const drOut = buffer('drOut', rows * RM, false);
  batchProductTransposed(drOut, dyc, rows, Y, a.outputKernel, U, RM);

  // gradients carried back from step t+1 (zero after the last step)
  const dhNext = buffer('dhNext', B * U);
  const drNext = buffer('drNext', B * RM);
  let dcNext = buffer('dcNext', B * U);
  let dcPrev = buffer('dcPrev', B * U, false);
  const dMemNext = buffer('dMemNext', B * N * M);
  const gMemRead = buffer('gMemRead', B * N * M, false);
  const gMemWrite = buffer('gMemWrite', B * N * M, false);
  let dReadWeightsNext = buffer('dwrNext', B * R * N);
  let dReadWeightsPrev = buffer('dwrPrev', B * R * N, false);
  let dWriteWeightsNext = buffer('dwwNext', B * W * N);
  let dWriteWeightsPrev = buffer('dwwPrev', B * W * N, false);
  const dReads = buffer('dReads', B * RM, false);
  const dCtl = splitControls(buffer('dCtl', lay.stride.controls, false), d.controlSizes);
  const dbXiStep = buffer('dbXiStep', L, false);
  const dh = buffer('dh', B * U, false);
  const dbKStep = buffer('dbKStep', 4 * U, false);
  // every step's dz and dξ, for the weight gradients after the loop
  const dzAll = buffer('dzAll', rows * 4 * U, false);
  const dXiAll = buffer('dXiAll', rows * L, false);
  g.lstmBias.fill(0);
  g.projectionBias.fill(0);

  const lstm = recurrentStep({ B, X, RM, U, L }, a.lstmKernel, a.projection);
  try {
    for (let t = T - 1; t >= 0; t--) {
      const ctl = splitControls(at('controls', t), d.controlSizes);
      const [wKey, wBeta, wGate, wShift, wGamma, erase, add] = ctl as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      const [dwKey, dwBeta, dwGate, dwShift, dwGamma, dErase, dAdd] = dCtl as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      // r_t reaches the readout and step t+1's controller input
      for (let i = 0; i < B * RM; i++) dReads[i] = drOut[t * B * RM + i]! + drNext[i]!;
      const readMemory = d.order === 'read-write' ? at('memory', t) : at('memory', t + 1);
      computeFused(
        NTM_ADDRESS_READ_GRAD,
        [dReadWeightsNext, dReads, at('readWeights', t + 1), at('readAux', t), readMemory, ...ctl.slice(7), at('readWeights', t)],
        [gMemRead, ...dCtl.slice(7), dReadWeightsPrev],
        shapes.readGrad,
        addressAttrs(d, d.readNormalize),
      );
      // write-read: the reads saw M_t, so their memory gradient joins the one M_t gets from step t+1
      if (d.order === 'write-read') for (let i = 0; i < dMemNext.length; i++) dMemNext[i] = dMemNext[i]! + gMemRead[i]!;
      computeFused(
        NTM_ADDRESS_WRITE_GRAD,
        [
          dWriteWeightsNext,
          dMemNext,
          at('writeWeights', t + 1),
          at('writeAux', t),
          at('memory', t),
          wKey,
          wBeta,
          wGate,
          wShift,
          wGamma,
          at('writeWeights', t),
          erase,
          add,
        ],
        [gMemWrite, dwKey, dwBeta, dwGate, dwShift, dwGamma, dWriteWeightsPrev, dErase, dAdd],
        shapes.writeGrad,
        addressAttrs(d, d.writeNormalize),
      );
      // dM_{t-1}: through the write, and (read-write) through the reads of M_{t-1}
      if (d.order === 'read-write') for (let i = 0; i < dMemNext.length; i++) dMemNext[i] = gMemWrite[i]! + gMemRead[i]!;
      else dMemNext.set(gMemWrite);
      [dReadWeightsNext, dReadWeightsPrev] = [dReadWeightsPrev, dReadWeightsNext];
      [dWriteWeightsNext, dWriteWeightsPrev] = [dWriteWeightsPrev, dWriteWeightsNext];

      // controls, then h_t: from the readout, step t+1's LSTM and this step's interface vector
      const dXi = dXiAll.subarray(t * B * L, (t + 1) * B * L);
      computeFused(NTM_CONTROLS_GRAD, [at('interface', t), a.projectionBias, ...ctl, ...dCtl], [dXi, dbXiStep], shapes.controls, controlsAttrs(d));
      for (let j = 0; j < L; j++) g.projectionBias[j] = g.projectionBias[j]! + dbXiStep[j]!;
      for (let i = 0; i < B * U; i++) dh[i] = dhOut[t * B * U + i]! + dhNext[i]!;
      const dz = dzAll.subarray(t * B * 4 * U, (t + 1) * B * 4 * U);
      lstm.backward(dh, dXi, dcNext, at('c', t), at('lstmAux', t), dz, dbKStep, dcPrev, drNext, dhNext);
      [dcNext, dcPrev] = [dcPrev, dcNext];
      for (let j = 0; j < 4 * U; j++) g.lstmBias[j] = g.lstmBias[j]! + dbKStep[j]!;
    }
  } finally {
    lstm.release();
  }
  // the weight gradients over all steps at once: K's rows for x, r_{t-1}, h_{t-1}; then P; then x
  const J = 4 * U;
  batchTransposedProduct(g.lstmKernel.subarray(0, X * J), a.x, rows, X, dzAll, J);
  batchTransposedProduct(g.lstmKernel.subarray(X * J, (X + RM) * J), stateRun(tape, lay, 'reads', 0, T), rows, RM, dzAll, J);
  batchTransposedProduct(g.lstmKernel.subarray((X + RM) * J), stateRun(tape, lay, 'h', 0, T), rows, U, dzAll, J);
  batchTransposedProduct(g.projection, hAfter, rows, U, dXiAll, L);
  batchProductTransposed(g.x, dzAll, rows, J, a.lstmKernel, 0, X);
  g.h0.set(dhNext);
  g.c0.set(dcNext);
  g.reads0.set(drNext);
  g.memory0.set(dMemNext);
  g.readWeights0.set(dReadWeightsNext);
  g.writeWeights0.set(dWriteWeightsNext);
}
