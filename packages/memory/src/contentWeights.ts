import type * as tf from '@tensorflow/tfjs';
import { attentionWeights } from './attend.ts';
import { cosine, type ScoreFn } from './similarity.ts';
import { softmax, type Normalizer } from './normalize.ts';

/**
 * NTM content addressing (Graves et al. 2014, eq. 5): w_c = softmax_N(beta * K(key, M_i)).
 * @param memory `[B, N, M]`
 * @param keys `[B, H, M]` one key per head (k_t).
 * @param beta `[B, H]` key strength (β_t), >= 0.
 * @param score similarity K; default cosine.
 * @param normalize default softmax; sparsemax gives exact zeros.
 * @returns `[B, H, N]`
 */
export function contentWeights(
  memory: tf.Tensor3D,
  keys: tf.Tensor3D,
  beta: tf.Tensor2D,
  score: ScoreFn = cosine,
  normalize: Normalizer = softmax,
): tf.Tensor3D {
  return attentionWeights(keys, memory, { score, normalize, strength: beta });
}
