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
 * @returns the clipped gradients (new tensors) and the global norm before clipping.
 */
export function clipGradients(grads: Readonly<Record<string, tf.Tensor>>, clip: ClipConfig): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    let out: Record<string, tf.Tensor> = { ...grads };
    if (clip.value !== undefined) {
      const v = clip.value;
      out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.clipByValue(g, -v, v)]));
    }
    const norm = tf.sqrt(tf.addN(Object.values(out).map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    if (clip.globalNorm !== undefined) {
      const scale = tf.minimum(1, tf.div(clip.globalNorm, tf.maximum(norm, 1e-12)));
      out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.mul(g, scale)]));
    } else {
      out = Object.fromEntries(Object.entries(out).map(([k, g]) => [k, tf.clone(g)]));
    }
    return { grads: out, norm };
  });
}
