import * as tf from '@tensorflow/tfjs';
import { shapes } from '@engram/tensor';

/**
 * Masked sigmoid cross-entropy, averaged over scored output bits.
 * @param logits `[T, B, Y]`
 * @param targets `[T, B, Y]` in [0, 1]
 * @param mask `[T, B]`
 * @param scoredBits when the batch is one shard of a larger one (data-parallel training), the
 *   larger batch's sum(mask) * Y, so that the shards' losses and gradients add up to the whole
 *   batch's. Default: this batch's own.
 * @returns scalar: sum(mask * BCE) / (sum(mask) * Y), in nats per scored bit.
 */
export function maskedSigmoidCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor3D, mask: tf.Tensor2D, scoredBits?: number): tf.Scalar {
  const s = shapes('maskedSigmoidCrossEntropy');
  s.check('logits', logits, ['T', 'B', 'Y']);
  s.check('targets', targets, ['T', 'B', 'Y']);
  s.check('mask', mask, ['T', 'B']);
  return tf.tidy(() => {
    // Stable BCE with logits: max(z, 0) - z*t + log(1 + exp(-|z|)).
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const perStep = tf.sum(bce, 2); // [T,B]
    const scored = scoredBits ?? tf.mul(tf.sum(mask), logits.shape[2]);
    return tf.div(tf.sum(tf.mul(perStep, mask)), tf.maximum(scored, 1)) as tf.Scalar;
  });
}

/**
 * The NTM papers' cost: outputs thresholded at 0.5 (logit 0), wrong bits summed over each
 * sequence's scored steps, averaged over the batch. Returns a plain number (bits per sequence).
 * @param logits `[T, B, Y]`
 * @param targets `[T, B, Y]`
 * @param mask `[T, B]`
 */
export function bitsPerSequence(logits: tf.Tensor3D, targets: tf.Tensor3D, mask: tf.Tensor2D): number {
  return tf.tidy(() => {
    const predicted = tf.cast(tf.greater(logits, 0), 'float32');
    const truth = tf.cast(tf.greater(targets, 0.5), 'float32');
    const wrong = tf.sum(tf.abs(tf.sub(predicted, truth)), 2); // [T,B]
    return (tf.sum(tf.mul(wrong, mask)).dataSync()[0] as number) / logits.shape[1];
  });
}

/**
 * Each sequence's masked sigmoid cross-entropy, averaged over its scored bits (REINFORCE's
 * per-sequence loss, the negative reward).
 * @param logits `[T, B, Y]`
 * @param targets `[T, B, Y]`
 * @param mask `[T, B]`
 * @returns `[B]` nats per scored bit.
 */
export function sequenceLosses(logits: tf.Tensor3D, targets: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor1D {
  const s = shapes('sequenceLosses');
  s.check('logits', logits, ['T', 'B', 'Y']);
  s.check('targets', targets, ['T', 'B', 'Y']);
  s.check('mask', mask, ['T', 'B']);
  return tf.tidy(() => {
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const perStep = tf.mul(tf.sum(bce, 2), mask); // [T,B]
    const scored = tf.maximum(tf.mul(tf.sum(mask, 0), logits.shape[2]), 1); // [B]
    return tf.div(tf.sum(perStep, 0), scored) as tf.Tensor1D;
  });
}
