import * as tf from '@tensorflow/tfjs';
import { activate } from './activation.ts';
import type { Cell, CellContext } from './cell.ts';

/**
 * One dense layer of the feed-forward controller (the NTM paper's FF controller: no recurrence,
 * the memory is its only state). With x `[B, X]`, kernel `[X, U]`, bias `[U]`:
 *
 *     y = activation(x · kernel + bias)        output = y `[B, U]`
 *
 * Weights: `<path>/kernel` (Glorot-uniform), `<path>/bias` (zeros).
 */
export function denseCell(ctx: CellContext): Cell<never> {
  const { path, inputSize, units: u, rng, variables, activation } = ctx;
  const kernel = variables(`${path}/kernel`, () => rng.glorotTensor([inputSize, u]));
  const bias = variables(`${path}/bias`, () => tf.zeros([u]));
  return {
    stateKeys: [],
    units: u,
    initial: {},
    step(x) {
      return { output: activate(activation, tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D), state: {} };
    },
  };
}
