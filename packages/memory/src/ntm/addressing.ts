import * as tf from '@tensorflow/tfjs';
import { EngramError, shapes } from '@engram/tensor';
import { LOG_EPSILON } from '../constants.ts';
import { contentWeights } from '../contentWeights.ts';
import { cosine, type ScoreFn } from '../similarity.ts';
import { softmax, type Normalizer } from '../normalize.ts';

/**
 * Interpolation gate (eq. 7): w_g = g * content + (1 - g) * prev.
 * @param content `[B, H, N]`
 * @param prev `[B, H, N]` the head's weights at the previous step.
 * @param gate `[B, H]` in [0, 1] (g_t).
 */
export function interpolate(content: tf.Tensor3D, prev: tf.Tensor3D, gate: tf.Tensor2D): tf.Tensor3D {
  const s = shapes('interpolate');
  s.check('content', content, ['B', 'H', 'N']);
  s.check('prev', prev, ['B', 'H', 'N']);
  s.check('gate', gate, ['B', 'H']);
  return tf.tidy(() => {
    const g = tf.expandDims(gate, -1);
    return tf.add(prev, tf.mul(g, tf.sub(content, prev))) as tf.Tensor3D;
  });
}

const shiftIndexCache = new Map<string, tf.Tensor>();

/** `[2S+1, N]` int32: row j holds (i - s) mod N for s = j - S. Cached, never disposed. */
function shiftIndices(n: number, range: number): tf.Tensor {
  const key = `${n}:${range}`;
  let t = shiftIndexCache.get(key);
  if (!t || t.isDisposed) {
    const idx = new Int32Array((2 * range + 1) * n);
    for (let j = 0; j <= 2 * range; j++) {
      const s = j - range;
      for (let i = 0; i < n; i++) idx[j * n + i] = (((i - s) % n) + n) % n;
    }
    t = tf.keep(tf.tensor2d(idx, [2 * range + 1, n], 'int32'));
    shiftIndexCache.set(key, t);
  }
  return t;
}

/**
 * Circular convolutional shift (eq. 8): out(i) = sum_s w(i - s) * shiftDist[s], with shifts
 * ordered -S..+S along the last axis of `shiftDist`. A positive shift moves attention to
 * higher slot indices, wrapping from N-1 to 0.
 * @param weights `[B, H, N]`
 * @param shiftDist `[B, H, 2S+1]` a distribution over shifts (s_t); 2S+1 <= N.
 */
export function shift(weights: tf.Tensor3D, shiftDist: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('shift');
  s.check('weights', weights, ['B', 'H', 'N']);
  s.check('shiftDist', shiftDist, ['B', 'H', 'S']);
  const n = weights.shape[2];
  const width = shiftDist.shape[2];
  const range = (width - 1) / 2;
  if (!Number.isInteger(range) || width > n) {
    throw new EngramError(
      'shift(shiftDist)',
      `last dimension ${width} must be odd (2S+1) and at most N=${n}`,
      'pass a distribution over shifts -S..+S with 2S+1 <= N',
    );
  }
  return tf.tidy(() => {
    const rolled = tf.gather(weights, shiftIndices(n, range), 2); // [B,H,2S+1,N]
    const dist = tf.expandDims(shiftDist, -1); // [B,H,2S+1,1]
    return tf.sum(tf.mul(rolled, dist), 2) as tf.Tensor3D;
  });
}

/**
 * Sharpening (eq. 9): w_i = (w_i + LOG_EPSILON)^gamma / sum_j (w_j + LOG_EPSILON)^gamma.
 * @param weights `[B, H, N]`
 * @param gamma `[B, H]`, >= 1 (γ_t).
 */
export function sharpen(weights: tf.Tensor3D, gamma: tf.Tensor2D): tf.Tensor3D {
  const s = shapes('sharpen');
  s.check('weights', weights, ['B', 'H', 'N']);
  s.check('gamma', gamma, ['B', 'H']);
  return tf.tidy(() => {
    // = softmax(gamma * log(w + LOG_EPSILON)): the same value, but max-subtracted, so (w + LOG_EPSILON)^gamma
    // cannot underflow to 0/0 in float32 (it does for w = 1/128, gamma > ~21).
    return tf.softmax(tf.mul(tf.log(tf.add(weights, LOG_EPSILON)), tf.expandDims(gamma, -1)), -1) as tf.Tensor3D;
  });
}

/**
 * The NTM addressing pipeline on already-activated controls: content weights, interpolation
 * with the previous weights, circular shift, sharpening.
 * @param memory `[B, N, M]`
 * @param key `[B, H, M]`
 * @param beta `[B, H]` >= 0
 * @param gate `[B, H]` in [0, 1]
 * @param shiftDist `[B, H, 2S+1]` a distribution
 * @param gamma `[B, H]` >= 1
 * @param prev `[B, H, N]`
 * @returns `[B, H, N]`
 */
export function ntmAddress(
  memory: tf.Tensor3D,
  key: tf.Tensor3D,
  beta: tf.Tensor2D,
  gate: tf.Tensor2D,
  shiftDist: tf.Tensor3D,
  gamma: tf.Tensor2D,
  prev: tf.Tensor3D,
  score: ScoreFn = cosine,
  normalize: Normalizer = softmax,
): tf.Tensor3D {
  return tf.tidy(() => {
    const wc = contentWeights(memory, key, beta, score, normalize);
    const wg = interpolate(wc, prev, gate);
    return sharpen(shift(wg, shiftDist), gamma);
  });
}
