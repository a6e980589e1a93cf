import * as tf from '@tensorflow/tfjs';

/**
 * Gradient clipping. `globalNorm`: scale all gradients by min(1, maxNorm / ||g||) where ||g|| is
 * the norm of all gradients together (Collier & Beel use 50). `value`: clip each element to
 * [-value, value] (Graves and pytorch-ntm use 10). Both may be set; value clipping runs first.
 */
export interface ClipConfig {
  readonly globalNorm?: number;
  readonly value?: number;
}

/**
 * sqrt(sum of squares) of all the tensors together, computed as m * sqrt(sum((g / m)^2)) with
 * m the largest |g|, so that finite gradients whose squares overflow float32 (|g| > ~1.8e19,
 * as exploding hard or Gumbel addressing produce) still get a finite norm and are clipped
 * rather than reported as infinite. Infinite or NaN entries still give a non-finite norm.
 */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const m = tf.max(tf.stack(tensors.map((g) => tf.max(tf.abs(g))))) as tf.Scalar;
    const safe = tf.maximum(m, 1e-30);
    const sum = tf.addN(tensors.map((g) => tf.sum(tf.square(tf.div(g, safe)))));
    return tf.mul(safe, tf.sqrt(sum)) as tf.Scalar;
  });
}

/**
 * @returns the clipped gradients (new tensors) and the global norm, taken after value clipping
 *   (when `value` is set) and before the norm clip.
 */
export function clipGradients(grads: Readonly<Record<string, tf.Tensor>>, clip: ClipConfig): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    let out: Record<string, tf.Tensor> = { ...grads };
    if (clip.value !== undefined) {
      const v = clip.value;
      out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.clipByValue(g, -v, v)]));
    }
    const norm = globalNorm(Object.values(out));
    if (clip.globalNorm !== undefined) {
      const scale = tf.minimum(1, tf.div(clip.globalNorm, tf.maximum(norm, 1e-12)));
      out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.mul(g, scale)]));
    } else {
      out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.clone(g)]));
    }
    return { grads: out, norm };
  });
}
