import * as tf from '@tensorflow/tfjs';
import { activate } from './activation.ts';
import type { Cell, CellContext } from './cell.ts';

/**
 * One GRU layer (Cho et al. 2014; Keras `reset_after=false`: the reset gate acts on h before
 * the recurrent matMul). With x `[B, X]`, h `[B, U]`:
 *
 *     [r, u] = σ([x, h] · gateKernel + gateBias)            gateKernel [X+U, 2U], columns r then u
 *     ĥ = tanh([x, r ⊙ h] · candidateKernel + candidateBias)   candidateKernel [X+U, U]
 *     h' = u ⊙ h + (1 − u) ⊙ ĥ                              output = h'
 *
 * Weights: `<path>/gateKernel`, `<path>/candidateKernel` (Glorot-uniform), `<path>/gateBias`,
 * `<path>/candidateBias` (zeros), `<path>/h0` (learned initial state `[1, U]`, zeros).
 */
export function gruCell(ctx: CellContext): Cell<'h'> {
  const { path, inputSize, units: u, rng, variables } = ctx;
  const gateKernel = variables(`${path}/gateKernel`, () => rng.glorotTensor([inputSize + u, 2 * u]));
  const gateBias = variables(`${path}/gateBias`, () => tf.zeros([2 * u]));
  const candidateKernel = variables(`${path}/candidateKernel`, () => rng.glorotTensor([inputSize + u, u]));
  const candidateBias = variables(`${path}/candidateBias`, () => tf.zeros([u]));
  const h0 = variables(`${path}/h0`, () => tf.zeros([1, u]));
  return {
    stateKeys: ['h'],
    units: u,
    initial: { h: h0 },
    step(x, { h }) {
      const gates = activate('sigmoid', tf.add(tf.matMul(tf.concat([x, h], 1), gateKernel), gateBias) as tf.Tensor2D);
      const [r, z] = tf.split(gates, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const candidate = activate('tanh', tf.add(tf.matMul(tf.concat([x, tf.mul(r, h)], 1), candidateKernel), candidateBias) as tf.Tensor2D);
      // u ⊙ h + (1 − u) ⊙ ĥ, written as ĥ + u ⊙ (h − ĥ)
      const hNext = tf.add(candidate, tf.mul(z, tf.sub(h, candidate))) as tf.Tensor2D;
      return { output: hNext, state: { h: hNext } };
    },
  };
}
