import * as tf from '@tensorflow/tfjs';
import { shapes, stopGradient } from '@engram/tensor';

/**
 * Retention (DNC Methods, "Dynamic memory allocation"): how much of each slot the read heads
 * leave allocated, psi = prod_r (1 - f_r w^r_{t-1}).
 * @param freeGate `[B, R]` free gates f_r in [0, 1].
 * @param prevReadWeights `[B, R, N]` the read weights of the previous step.
 * @returns `[B, N]`
 */
export function dncRetention(freeGate: tf.Tensor2D, prevReadWeights: tf.Tensor3D): tf.Tensor2D {
  const s = shapes('dncRetention');
  s.check('freeGate', freeGate, ['B', 'R']);
  s.check('prevReadWeights', prevReadWeights, ['B', 'R', 'N']);
  return tf.tidy(() => tf.prod(tf.sub(1, tf.mul(tf.expandDims(freeGate, -1), prevReadWeights)), 1) as tf.Tensor2D);
}

/**
 * Usage after the previous step's writes, then after this step's frees:
 * u = (u_{t-1} + (1 - u_{t-1}) * w) * psi, with w = 1 - prod_h (1 - w^w_h) the writes of every
 * write head together and psi the {@link dncRetention}.
 *
 * The write weights carry no gradient here (stop-gradient, as deepmind/dnc): usage only says
 * which slots are free, and a path from the allocation back into the previous step's writes
 * would train the write heads to game the allocator instead of to store.
 * @param prevUsage `[B, N]` in [0, 1].
 * @param prevWriteWeights `[B, W, N]` the write weights of the previous step.
 * @param freeGate `[B, R]`
 * @param prevReadWeights `[B, R, N]`
 * @returns usage `[B, N]` in [0, 1].
 */
export function dncUsage(prevUsage: tf.Tensor2D, prevWriteWeights: tf.Tensor3D, freeGate: tf.Tensor2D, prevReadWeights: tf.Tensor3D): tf.Tensor2D {
  const s = shapes('dncUsage');
  s.check('prevUsage', prevUsage, ['B', 'N']);
  s.check('prevWriteWeights', prevWriteWeights, ['B', 'W', 'N']);
  s.check('freeGate', freeGate, ['B', 'R']);
  s.check('prevReadWeights', prevReadWeights, ['B', 'R', 'N']);
  return tf.tidy(() => usageAfter(prevUsage, prevWriteWeights, dncRetention(freeGate, prevReadWeights)));
}

/**
 * {@link dncUsage} given the retention psi already computed (DncAccess needs psi again for
 * DNC-MD's de-allocation, so it computes it once).
 * @param retention `[B, N]`
 */
export function usageAfter(prevUsage: tf.Tensor2D, prevWriteWeights: tf.Tensor3D, retention: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const written = tf.sub(1, tf.prod(tf.sub(1, stopGradient(prevWriteWeights)), 1)); // [B,N]
    const afterWrite = tf.add(prevUsage, tf.mul(tf.sub(1, prevUsage), written));
    return tf.mul(afterWrite, retention) as tf.Tensor2D;
  });
}
