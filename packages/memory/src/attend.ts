import * as tf from '@tensorflow/tfjs';
import { shapes } from '@engram/tensor';
import { cosine, type ScoreFn } from './similarity.ts';
import { softmax, type Normalizer } from './normalize.ts';

/** How {@link attend} scores and normalises. */
export interface AttendOptions {
  /** Score of each query against each key; default cosine. */
  readonly score?: ScoreFn;
  /** Scores to weights; default softmax. */
  readonly normalize?: Normalizer;
  /** Optional key strength beta `[B, H]` multiplying the scores before normalising (NTM's beta). */
  readonly strength?: tf.Tensor2D;
}

/**
 * Attention weights: normalize(strength * score(keys, query)).
 * @param query `[B, H, K]`
 * @param keys `[B, N, K]`
 * @returns weights `[B, H, N]`, >= 0, summing to 1 over N.
 */
export function attentionWeights(query: tf.Tensor3D, keys: tf.Tensor3D, options: AttendOptions = {}): tf.Tensor3D {
  const s = shapes('attentionWeights');
  s.check('query', query, ['B', 'H', 'K']);
  s.check('keys', keys, ['B', 'N', 'K']);
  if (options.strength) s.check('strength', options.strength, ['B', 'H']);
  return tf.tidy(() => {
    let scores: tf.Tensor = (options.score ?? cosine)(keys, query);
    if (options.strength) scores = tf.mul(scores, tf.expandDims(options.strength, -1));
    return (options.normalize ?? softmax)(scores) as tf.Tensor3D;
  });
}

/**
 * The weights' average of the values: out[b,h] = sum_n weights[b,h,n] values[b,n].
 * An NTM read is this with values = memory.
 * @param values `[B, N, V]`
 * @param weights `[B, H, N]`
 * @returns `[B, H, V]`
 */
export function weightedSum(values: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('weightedSum');
  s.check('values', values, ['B', 'N', 'V']);
  s.check('weights', weights, ['B', 'H', 'N']);
  return tf.matMul(weights, values);
}

/**
 * Attention in its general form: each query is scored against each key on its own, the scores
 * are normalised to weights that sum to 1, and the output is the weights' average of the
 * values. Keys and values may differ (key-value memory); an NTM read has keys = values = memory.
 * @param query `[B, H, K]`
 * @param keys `[B, N, K]`
 * @param values `[B, N, V]`
 * @returns output `[B, H, V]` and weights `[B, H, N]`.
 */
export function attend(query: tf.Tensor3D, keys: tf.Tensor3D, values: tf.Tensor3D, options: AttendOptions = {}): { output: tf.Tensor3D; weights: tf.Tensor3D } {
  shapes('attend').check('keys', keys, ['B', 'N', 'K']);
  shapes('attend').check('values', values, [keys.shape[0], keys.shape[1], 'V']);
  const weights = attentionWeights(query, keys, options);
  const output = weightedSum(values, weights);
  return { output, weights };
}
