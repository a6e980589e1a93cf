import * as tf from '@tensorflow/tfjs';
import { EngramError, fusedBackend } from '@engram/tensor';
import { activate } from './activation.ts';
import type { Cell, CellContext } from './cell.ts';
import { fusedLstmGates } from './fused/lstmGatesKernel.ts';

/**
 * Whether a step runs the gate math on the fused kernel: `fused`, or `auto` on the cpu and wasm
 * backends; `fused` elsewhere is an EngramError.
 */
export function lstmUsesFusedGates(kernels: CellContext['kernels'], backendName: string = tf.getBackend()): boolean {
  if (kernels === 'reference') return false;
  const ok = fusedBackend(backendName);
  if (kernels === 'fused' && !ok) {
    throw new EngramError(
      'controller.kernels',
      `'fused' was asked for but fused kernels exist for the cpu and wasm backends only, not '${backendName}'`,
      "use kernels 'auto' or 'reference'",
    );
  }
  return ok;
}

/**
 * One LSTM layer (Hochreiter & Schmidhuber 1997 with a forget gate; the Keras/tfjs LSTMCell
 * semantics). With x `[B, X]`, h and c `[B, U]`, a fused kernel `[X+U, 4U]` and bias `[4U]`:
 *
 *     z = [x, h] · kernel + bias          one matMul, columns in gate order i, f, g, o
 *     c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g)
 *     h' = σ(o) ⊙ tanh(c')                output = h'
 *
 * Weights: `<path>/kernel` (Glorot-uniform), `<path>/bias` (1 for the forget gate, else 0),
 * `<path>/h0` and `<path>/c0` (learned initial state `[1, U]`, zeros).
 *
 * With `ctx.kernels` fused (the default on cpu and wasm) the bias add and the gate math run as
 * one kernel (fused/lstmGatesKernel.ts); the composite ops below are the reference.
 */
export function lstmCell(ctx: CellContext): Cell<'h' | 'c'> {
  const { path, inputSize, units: u, rng, variables } = ctx;
  const kernel = variables(`${path}/kernel`, () => rng.glorotTensor([inputSize + u, 4 * u]));
  const bias = variables(`${path}/bias`, () => tf.tensor1d(Array.from({ length: 4 * u }, (_, j) => (j >= u && j < 2 * u ? 1 : 0))));
  const h0 = variables(`${path}/h0`, () => tf.zeros([1, u]));
  const c0 = variables(`${path}/c0`, () => tf.zeros([1, u]));
  return {
    stateKeys: ['h', 'c'],
    units: u,
    initial: { h: h0, c: c0 },
    step(x, { h, c }) {
      if (lstmUsesFusedGates(ctx.kernels)) {
        const next = fusedLstmGates(tf.matMul(tf.concat([x, h], 1), kernel) as tf.Tensor2D, bias as tf.Tensor1D, c);
        return { output: next.h, state: next };
      }
      const z = tf.add(tf.matMul(tf.concat([x, h], 1), kernel), bias) as tf.Tensor2D;
      const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const cNext = tf.add(tf.mul(activate('sigmoid', f), c), tf.mul(activate('sigmoid', i), activate('tanh', g))) as tf.Tensor2D;
      const hNext = tf.mul(activate('sigmoid', o), activate('tanh', cNext)) as tf.Tensor2D;
      return { output: hNext, state: { h: hNext, c: cNext } };
    },
  };
}
