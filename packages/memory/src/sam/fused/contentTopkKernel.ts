import * as tf from '@tensorflow/tfjs';
import { int32Input, int32Output, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';
import { contentTopkBackward, contentTopkForward, type ContentTopkDims } from './contentTopkMath.ts';

/** The kernels' attributes: k rows kept per head, δ of the cosine's row norm, and (backward) N. */
type TopkAttrs = { k: number; rowNormFloor: number; slots: number };

export const CONTENT_TOPK = 'EngramContentTopk';
export const CONTENT_TOPK_GRAD = 'EngramContentTopkGrad';

/**
 * Registers the content top-k kernel and its gradient (idempotent). Outputs: indices (int32),
 * weights, the kept rows and their scores; the gradient saves the last three, the keys and the
 * strengths, never the memory.
 */
function registerContentTopk(): void {
  registerFusedKernel<TopkAttrs>({
    name: CONTENT_TOPK,
    inputs: ['memory', 'keys', 'strengths', 'written'],
    int32Outputs: [0],
    outputShapes: ([m, key], { k }) => {
      const bhk = [m![0]!, key![1]!, k];
      return [bhk, bhk, [...bhk, m![2]!], bhk];
    },
    compute: ([memory, keys, strengths, written], [indices, weights, rows, scores], [m, key], { k, rowNormFloor }) => {
      const d: ContentTopkDims = { batch: m![0]!, slots: m![1]!, width: m![2]!, heads: key![1]!, k, rowNormFloor };
      contentTopkForward(d, memory!, keys!, strengths!, written!, { indices: int32Output(indices), weights: weights!, rows: rows!, scores: scores! });
    },
  });
  registerFusedKernel<TopkAttrs>({
    name: CONTENT_TOPK_GRAD,
    inputs: ['dWeights', 'indices', 'weights', 'rows', 'scores', 'keys', 'strengths'],
    int32Inputs: ['indices'],
    outputShapes: ([, , , r, , key, beta], { slots }) => [[r![0]!, slots, r![3]!], [...key!], [...beta!]],
    compute: ([dWeights, indices, weights, rows, scores, keys, strengths], [dMemory, dKeys, dStrengths], [, , , r], { k, rowNormFloor, slots }) => {
      const d: ContentTopkDims = { batch: r![0]!, heads: r![1]!, width: r![3]!, slots, k, rowNormFloor };
      contentTopkBackward(
        d,
        dWeights!,
        { indices: int32Input(indices), weights: weights!, rows: rows!, scores: scores!, keys: keys!, strengths: strengths! },
        { memory: dMemory!, keys: dKeys!, strengths: dStrengths! },
      );
    },
  });
  registerFusedGradient({
    kernelName: CONTENT_TOPK,
    inputsToSave: ['keys', 'strengths'],
    outputsToSave: [true, true, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [keys, strengths, indices, weights, rows, scores] = saved as tf.Tensor[];
      const dWeights = (dys as tf.Tensor[])[1]!;
      const [dMemory, dKeys, dStrengths] = runKernel(
        CONTENT_TOPK_GRAD,
        { dWeights, indices: indices!, weights: weights!, rows: rows!, scores: scores!, keys: keys!, strengths: strengths! },
        attrs as TopkAttrs,
      );
      const slots = (attrs as TopkAttrs).slots;
      return {
        memory: () => dMemory as tf.Tensor,
        keys: () => dKeys as tf.Tensor,
        strengths: () => dStrengths as tf.Tensor,
        written: () => tf.zeros([dMemory!.shape[0], slots]), // which rows were written picks rows: no gradient
      };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerContentTopk();

/**
 * SAM's sparse content weights: each head keeps the k written rows most similar to its key
 * (cosine; unwritten rows only while fewer than k are written) and weights them by
 * softmax(β s) over those k. Gradients reach the key, β and the k kept rows; which rows were
 * kept has none.
 * @param memory `[B, N, M]`; keys `[B, H, M]`; strengths β `[B, H]` (positive); written `[B, N]` (> 0: written).
 * @returns indices and weights `[B, H, k]` (indices distinct within a head, best first).
 */
export function contentTopk(
  memory: tf.Tensor3D,
  keys: tf.Tensor3D,
  strengths: tf.Tensor2D,
  written: tf.Tensor2D,
  k: number,
  rowNormFloor: number,
): SparseWeights {
  const attrs: TopkAttrs = { k, rowNormFloor, slots: memory.shape[1] };
  const [indices, weights, rows, scores] = runKernel(CONTENT_TOPK, { memory, keys, strengths, written }, attrs);
  // the gradient holds its own references when a tape records
  rows!.dispose();
  scores!.dispose();
  return { indices: indices as tf.Tensor3D, values: weights as tf.Tensor3D };
}
