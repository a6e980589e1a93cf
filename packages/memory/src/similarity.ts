import * as tf from '@tensorflow/tfjs';
import { EngramError, plainVariables, type Rng, type VariableFactory } from '@engram/tensor';
import { KEY_NORM_EPSILON, ROW_NORM_FLOOR } from './constants.ts';

/**
 * A score function. Each query is scored against each key on its own, so the score of one key
 * never depends on how many keys there are (N).
 * @param keys `[B, N, K]` the memory rows (or, in key-value attention, the keys).
 * @param queries `[B, H, K]` one query per head.
 * @returns scores `[B, H, N]`.
 */
export type ScoreFn = (keys: tf.Tensor3D, queries: tf.Tensor3D) => tf.Tensor3D;

/** A named score function plus the trainable weights it owns (none for the fixed ones). */
export interface Similarity {
  readonly name: SimilarityName;
  readonly score: ScoreFn;
  readonly variables: readonly tf.Variable[];
}

export const SIMILARITIES = ['cosine', 'dot', 'scaledDot', 'bilinear', 'additive'] as const;
export type SimilarityName = (typeof SIMILARITIES)[number];

/** sqrt(sum(x^2, last axis) + floorSq), kept as a trailing axis of size 1: `[..., 1]`. */
function flooredNorm(x: tf.Tensor, floorSq: number): tf.Tensor {
  return tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), floorSq));
}

/**
 * Cosine similarity, the NTM's K(u, v) = u.v / (|u| |v|), with the query's norm floored by
 * KEY_NORM_EPSILON and each memory row's by `rowNormFloor` δ, as sqrt(|m|^2 + δ^2)
 * (constants.ts says why; memory.rowNormFloor sets δ).
 */
export function cosineWithFloor(rowNormFloor: number): ScoreFn {
  return (keys, queries) =>
    tf.tidy(() => {
      const dots = tf.matMul(queries, keys, false, true); // [B,H,N]
      const qNorm = flooredNorm(queries, KEY_NORM_EPSILON); // [B,H,1]
      const kNorm = tf.transpose(flooredNorm(keys, rowNormFloor * rowNormFloor), [0, 2, 1]); // [B,1,N]
      return tf.div(dots, tf.mul(qNorm, kNorm)) as tf.Tensor3D;
    });
}

/** {@link cosineWithFloor} at the default floor ROW_NORM_FLOOR. */
export const cosine: ScoreFn = cosineWithFloor(ROW_NORM_FLOOR);

/** Luong's "dot" score: u.v. */
export const dot: ScoreFn = (keys, queries) => tf.matMul(queries, keys, false, true);

/** Scaled dot product: u.v / sqrt(K) (Vaswani et al.). */
export const scaledDot: ScoreFn = (keys, queries) => tf.tidy(() => tf.div(tf.matMul(queries, keys, false, true), Math.sqrt(keys.shape[2])) as tf.Tensor3D);

/**
 * Luong's "general" score q^T W k with a learned `W: [K, K]` (Glorot initialised from `rng`).
 */
export function bilinear(width: number, rng: Rng, variables: VariableFactory = plainVariables): Similarity {
  const w = variables('similarity/W', () => rng.glorotTensor([width, width]));
  const score: ScoreFn = (keys, queries) =>
    tf.tidy(() => {
      const [b, h, k] = queries.shape;
      const qw = tf.reshape(tf.matMul(tf.reshape(queries, [b * h, k]), w), [b, h, k]) as tf.Tensor3D;
      return tf.matMul(qw, keys, false, true);
    });
  return { name: 'bilinear', score, variables: [w] };
}

/**
 * Bahdanau's additive score v^T tanh(Wq q + Wk k) with learned `Wq: [K, A]`, `Wk: [K, A]`,
 * `v: [A]`. Costs O(B H N A) memory for the tanh term.
 */
export function additive(width: number, hidden: number, rng: Rng, variables: VariableFactory = plainVariables): Similarity {
  const wq = variables('similarity/Wq', () => rng.glorotTensor([width, hidden]));
  const wk = variables('similarity/Wk', () => rng.glorotTensor([width, hidden]));
  const v = variables('similarity/v', () => rng.glorotTensor([hidden, 1]));
  const score: ScoreFn = (keys, queries) =>
    tf.tidy(() => {
      const [b, h, k] = queries.shape;
      const n = keys.shape[1];
      const q = tf.reshape(tf.matMul(tf.reshape(queries, [b * h, k]), wq), [b, h, 1, hidden]);
      const kk = tf.reshape(tf.matMul(tf.reshape(keys, [b * n, k]), wk), [b, 1, n, hidden]);
      const t = tf.tanh(tf.add(q, kk)); // [B,H,N,A]
      return tf.reshape(tf.matMul(tf.reshape(t, [b * h * n, hidden]), v), [b, h, n]) as tf.Tensor3D;
    });
  return { name: 'additive', score, variables: [wq, wk, v] };
}

/**
 * Makes a similarity by name. `bilinear` and `additive` create their weights here, from `rng`.
 * @param width K, the key width.
 * @param rowNormFloor cosine only: δ of the row norm (default ROW_NORM_FLOOR).
 */
export function makeSimilarity(
  name: SimilarityName,
  width: number,
  rng: Rng,
  additiveHidden = width,
  variables: VariableFactory = plainVariables,
  rowNormFloor = ROW_NORM_FLOOR,
): Similarity {
  switch (name) {
    case 'cosine':
      return { name, score: rowNormFloor === ROW_NORM_FLOOR ? cosine : cosineWithFloor(rowNormFloor), variables: [] };
    case 'dot':
      return { name, score: dot, variables: [] };
    case 'scaledDot':
      return { name, score: scaledDot, variables: [] };
    case 'bilinear':
      return bilinear(width, rng, variables);
    case 'additive':
      return additive(width, additiveHidden, rng, variables);
    default:
      throw new EngramError('similarity', `unknown similarity '${String(name)}'`, `use one of ${SIMILARITIES.join(', ')}`);
  }
}
