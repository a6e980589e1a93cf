import * as tf from '@tensorflow/tfjs';
import { shapes, stopGradient } from '@engram/tensor';
import { LOG_EPSILON } from '../constants.ts';

/** `[N, N]` 1 off the diagonal, 0 on it. Cached per N, never disposed. */
const offDiagonalCache = new Map<number, tf.Tensor2D>();
function offDiagonal(n: number): tf.Tensor2D {
  let t = offDiagonalCache.get(n);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.tidy(() => tf.sub(1, tf.eye(n)) as tf.Tensor2D));
    offDiagonalCache.set(n, t);
  }
  return t;
}

/**
 * Temporal link matrix and precedence weights of every write head (DNC Methods, "Temporal
 * memory linkage"):
 * - link[i, j] = (1 - w[i] - w[j]) link_{t-1}[i, j] + w[i] p_{t-1}[j], diagonal 0: how much
 *   slot i was written right after slot j;
 * - p = (1 - sum_i w[i]) p_{t-1} + w: how much each slot was the last one written.
 * @param prevLink `[B, W, N, N]`
 * @param prevPrecedence `[B, W, N]`
 * @param writeWeights `[B, W, N]` this step's write weights.
 * @returns link `[B, W, N, N]` (rows and columns sum to at most 1) and precedence `[B, W, N]`.
 */
export function dncLinkage(prevLink: tf.Tensor4D, prevPrecedence: tf.Tensor3D, writeWeights: tf.Tensor3D): { link: tf.Tensor4D; precedence: tf.Tensor3D } {
  const s = shapes('dncLinkage');
  s.check('prevLink', prevLink, ['B', 'W', 'N', 'N']);
  s.check('prevPrecedence', prevPrecedence, ['B', 'W', 'N']);
  s.check('writeWeights', writeWeights, ['B', 'W', 'N']);
  return tf.tidy(() => {
    const wi = tf.expandDims(writeWeights, 3); // [B,W,N,1]
    const wj = tf.expandDims(writeWeights, 2); // [B,W,1,N]
    const scale = tf.sub(tf.sub(1, wi), wj);
    const link = tf.mul(tf.add(tf.mul(scale, prevLink), tf.mul(wi, tf.expandDims(prevPrecedence, 2))), offDiagonal(writeWeights.shape[2])) as tf.Tensor4D;
    const written = tf.sum(writeWeights, 2, true);
    const precedence = tf.add(tf.mul(tf.sub(1, written), prevPrecedence), writeWeights) as tf.Tensor3D;
    return { link, precedence };
  });
}

/**
 * Forward or backward weights of every read head along every write head's links:
 * forward f[i] = sum_j link[i, j] w[j] (the slots written after the ones read), backward
 * b[j] = sum_i link[i, j] w[i].
 * @param link `[B, W, N, N]`
 * @param prevReadWeights `[B, R, N]`
 * @returns `[B, R, W, N]`
 */
export function dncDirectionalWeights(link: tf.Tensor4D, prevReadWeights: tf.Tensor3D, forward: boolean): tf.Tensor4D {
  const s = shapes('dncDirectionalWeights');
  s.check('link', link, ['B', 'W', 'N', 'N']);
  s.check('prevReadWeights', prevReadWeights, ['B', 'R', 'N']);
  return tf.tidy(() => {
    const [b, w, n] = link.shape;
    const r = prevReadWeights.shape[1];
    const reads = w === 1 ? tf.expandDims(prevReadWeights, 1) : tf.tile(tf.expandDims(prevReadWeights, 1), [1, w, 1, 1]); // [B,W,R,N]
    // [B*W, R, N] x [B*W, N, N]: forward multiplies by link^T (sum over j of w[j] link[i, j])
    const out = tf.matMul(tf.reshape(reads, [b * w, r, n]), tf.reshape(link, [b * w, n, n]), false, forward);
    return tf.transpose(tf.reshape(out, [b, w, r, n]), [0, 2, 1, 3]) as tf.Tensor4D;
  });
}

/**
 * DNC-MD's link distribution sharpness control (Csordas & Schmidhuber 2019, eq. 7):
 * S(d, s)[i] = (d[i] + LOG_EPSILON)^s / sum_j (d[j] + LOG_EPSILON)^s, one strength s >= 1 per
 * read head and direction, so a head can undo the blur soft writes leave in the links. The
 * result sums to 1 over N, as in the paper (a head that followed no link gets a uniform row).
 *
 * Each row is divided by its largest entry before the power, so that (1e-8)^20 does not
 * underflow to 0/0; that factor cancels in the ratio, so it is taken without gradient.
 * @param directional `[B, R, W, N]` forward or backward weights.
 * @param strength `[B, R]`, >= 1.
 * @returns `[B, R, W, N]`
 */
export function sharpenDirectional(directional: tf.Tensor4D, strength: tf.Tensor2D): tf.Tensor4D {
  const s = shapes('sharpenDirectional');
  s.check('directional', directional, ['B', 'R', 'W', 'N']);
  s.check('strength', strength, ['B', 'R']);
  return tf.tidy(() => {
    const d = tf.add(directional, LOG_EPSILON);
    const scaled = tf.div(d, stopGradient(tf.max(d, 3, true)));
    const powered = tf.exp(tf.mul(tf.reshape(strength, [...strength.shape, 1, 1]), tf.log(scaled)));
    return tf.div(powered, tf.sum(powered, 3, true)) as tf.Tensor4D;
  });
}
