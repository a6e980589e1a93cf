import * as tf from '@tensorflow/tfjs';
import { shapes, stopGradient, tidy, type Rng } from '@engram/tensor';
import { LOG_EPSILON } from '../constants.ts';

/** One draw per head from its weights, as used by REINFORCE addressing. */
export interface SlotSample {
  /** `[B, H, N]` one-hot at the sampled slot (a constant: no gradient flows through it). */
  readonly oneHot: tf.Tensor3D;
  /** `[B]` sum over heads of log w(sampled slot): differentiable with respect to the weights. */
  readonly logProb: tf.Tensor1D;
  /** `[B]` sum over heads of the entropy -sum_i w_i log w_i: differentiable. */
  readonly entropy: tf.Tensor1D;
}

/**
 * Samples one slot per head from `weights` (a distribution over N slots) with a seeded
 * generator, in JavaScript, so the sample depends only on the seed and the weights.
 * @param weights `[B, H, N]` >= 0, summing to 1 over N.
 */
export function sampleSlots(weights: tf.Tensor3D, rng: Rng): SlotSample {
  shapes('sampleSlots').check('weights', weights, ['B', 'H', 'N']);
  const [b, h, n] = weights.shape;
  const w = weights.dataSync();
  const hot = new Float32Array(b * h * n);
  for (let row = 0; row < b * h; row++) {
    const u = rng.next();
    let acc = 0;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      acc += w[row * n + i] as number;
      if (u < acc) {
        pick = i;
        break;
      }
    }
    hot[row * n + pick] = 1;
  }
  return tidy(() => {
    const oneHot = tf.tensor3d(hot, [b, h, n]);
    const logW = tf.log(tf.add(weights, LOG_EPSILON));
    return {
      oneHot,
      logProb: tf.sum(tf.mul(stopGradient(oneHot), logW), [1, 2]) as tf.Tensor1D,
      entropy: tf.neg(tf.sum(tf.mul(weights, logW), [1, 2])) as tf.Tensor1D,
    };
  });
}

/**
 * The REINFORCE surrogate (Williams 1992) whose gradient is the score-function estimate of
 * d E[loss] / d theta: mean_b (loss_b - baseline_b) * logProb_b, with loss and baseline held
 * constant. Its value is not a loss to report; only its gradient matters.
 * @param logProb `[B]` log-probability of the sampled actions of each sequence (differentiable).
 * @param loss `[B]` each sequence's loss (the negative reward).
 * @param baseline `[B]` a control variate that does not depend on the sampled actions.
 * @returns scalar
 */
export function reinforceSurrogate(logProb: tf.Tensor1D, loss: tf.Tensor1D, baseline: tf.Tensor1D): tf.Scalar {
  const s = shapes('reinforceSurrogate');
  s.check('logProb', logProb, ['B']);
  s.check('loss', loss, ['B']);
  s.check('baseline', baseline, ['B']);
  return tf.tidy(() => {
    const advantage = stopGradient(tf.sub(loss, baseline));
    return tf.mean(tf.mul(advantage, logProb)) as tf.Scalar;
  });
}
