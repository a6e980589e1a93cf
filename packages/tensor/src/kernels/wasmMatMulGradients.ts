import * as tf from '@tensorflow/tfjs';

/**
 * Faster matMul gradients on the wasm backend. tfjs computes the gradients of y = a.b as
 * dy.b^T and a^T.dy with transpose flags; tfjs-backend-wasm 4.22 runs only the untransposed
 * batch-1 matMul through XNNPACK and every transposed one through a naive loop (measured here:
 * [32,400].[129,400]^T takes ~4 ms, against ~0.3 ms untransposed). For 2-D operands these
 * gradients use explicit transposes instead:
 *
 *     da = dy . T(b)     T(b) made once per backward pass per weight and reused by every time
 *                        step (so XNNPACK also packs it once)
 *     db = T(a) . dy
 *
 * Other cases, and every other backend, keep tfjs's own gradient. Values are identical up to
 * float32 summation order.
 */

const INSTALLED = Symbol.for('engram.wasmMatMulGradients');

/**
 * Transposes of right operands by data, shared by every gradient of one backward pass. The
 * transposes are created in the backward pass's tidy scope (the gradient function's body runs
 * there), so the engine disposes them when the pass ends; a disposed entry is made again.
 */
const transposes = new Map<tf.DataId, tf.Tensor>();

function cachedTranspose(b: tf.Tensor): tf.Tensor {
  const hit = transposes.get(b.dataId);
  if (hit && !hit.isDisposed) return hit;
  for (const [k, t] of transposes) if (t.isDisposed) transposes.delete(k);
  const t = tf.transpose(b);
  transposes.set(b.dataId, t);
  return t;
}

function eligible(a: tf.Tensor, b: tf.Tensor, attrs: tf.NamedAttrMap): boolean {
  return tf.getBackend() === 'wasm' && a.rank === 2 && b.rank === 2 && !attrs['transposeA'] && !attrs['transposeB'];
}

/**
 * Replaces the BatchMatMul gradient (once per process); tfjs's own serves the cases not covered.
 * (`tf.fused.matMul` differentiates through its own custom gradient, which this does not reach:
 * prefer `tf.matMul` + `tf.add` on wasm.)
 */
export function installWasmMatMulGradients(): void {
  const registry = globalThis as unknown as Record<symbol, boolean>;
  if (registry[INSTALLED]) return;
  const batch = tf.getGradient('BatchMatMul');
  if (!batch) return;
  registry[INSTALLED] = true;

  tf.unregisterGradient('BatchMatMul');
  tf.registerGradient({
    ...batch,
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      if (!eligible(a, b, attrs)) return batch.gradFunc(dy, saved, attrs);
      const bt = cachedTranspose(b);
      const g = dy as tf.Tensor;
      return { a: () => tf.matMul(g, bt), b: () => tf.matMul(tf.transpose(a), g) };
    },
  });
}
