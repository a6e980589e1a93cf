import * as tf from '@tensorflow/tfjs';

/**
 * A normaliser turns scores `[..., N]` into weights `[..., N]` that are >= 0 and sum to 1 over
 * the last axis.
 */
export type Normalizer = (scores: tf.Tensor) => tf.Tensor;

/** Softmax over the last axis. */
export const softmax: Normalizer = (scores) => tf.softmax(scores, -1);

/**
 * Sparsemax over the last axis (Martins & Astudillo 2016): the Euclidean projection of the
 * scores onto the probability simplex. Exact zeros outside the support, differentiable inside:
 * the Jacobian is diag(s) - s s^T / |S| for the support indicator s.
 */
export const sparsemax: Normalizer = (scores) => sparsemaxOp(scores);

const sparsemaxOp = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
  const n = z.shape[z.shape.length - 1] as number;
  const p = tf.tidy(() => {
    const sorted = tf.topk(z, n, true).values; // descending
    const cumsum = tf.cumsum(sorted, z.shape.length - 1);
    const ks = tf.range(1, n + 1, 1, 'float32');
    // support size: the largest k with 1 + k z_(k) > sum_{j<=k} z_(j)
    const inSupport = tf.cast(tf.greater(tf.add(1, tf.mul(ks, sorted)), cumsum), 'float32');
    const kz = tf.sum(inSupport, -1, true);
    const sumSupport = tf.sum(tf.mul(inSupport, sorted), -1, true);
    const tau = tf.div(tf.sub(sumSupport, 1), kz);
    return tf.relu(tf.sub(z, tau));
  });
  save([p]);
  return {
    value: p,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const out = saved[0] as tf.Tensor;
      const s = tf.cast(tf.greater(out, 0), 'float32');
      const mean = tf.div(tf.sum(tf.mul(dy, s), -1, true), tf.sum(s, -1, true));
      return tf.mul(s, tf.sub(dy, mean));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** One-hot at the argmax of the last axis (ties: the lowest index). No gradient. */
export const hardmax: Normalizer = (scores) =>
  tf.tidy(() => {
    const n = scores.shape[scores.shape.length - 1] as number;
    if (n === 1) return tf.onesLike(scores); // tf.oneHot needs a depth >= 2
    const idx = tf.argMax(scores, -1);
    // The wasm OneHot kernel ignores a float32 dtype (all zeros), so make int32 and cast.
    return tf.cast(tf.oneHot(idx, n), 'float32');
  });

/**
 * Straight-through estimator: the forward value is `hard`, the gradient with respect to
 * `soft` is the incoming gradient unchanged (as if the forward value had been `soft`).
 * @param soft `[..., N]` differentiable weights.
 * @param hard `[..., N]` discrete weights of the same shape (treated as a constant).
 */
export function straightThrough(soft: tf.Tensor, hard: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((_soft: tf.Tensor) => ({
    value: tf.clone(hard),
    gradFunc: (dy: tf.Tensor) => [tf.clone(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(soft);
}

export const NORMALIZERS = { softmax, sparsemax, hard: hardmax } as const;
export type NormalizerName = keyof typeof NORMALIZERS;
