import type * as tf from '@tensorflow/tfjs';
import { registerFusedKernel, runKernel } from '@engram/tensor';

/**
 * One optimizer update of one variable as one kernel (cpu and wasm backends): the composite
 * update is ~10 ops a variable, so ~130 dispatches a step for the NTM's 13 variables, a third of
 * a batch-1 training step once the sequence itself is one kernel. Same equations as
 * optimizers.ts, each element in float64, stored as float32. No gradient: updates run off the tape.
 */
export const ADAM_UPDATE = 'EngramAdamUpdate';
export const RMSPROP_UPDATE = 'EngramRmspropUpdate';

type AdamAttrs = { lrT: number; beta1: number; beta2: number; epsilon: number };
type RmspropAttrs = { lr: number; decay: number; momentum: number; epsilon: number };

registerFusedKernel<AdamAttrs>({
  name: ADAM_UPDATE,
  inputs: ['w', 'm', 'v', 'g'],
  outputShapes: ([w]) => [[...w!], [...w!], [...w!]],
  compute: ([w, m, v, g], [wOut, mOut, vOut], _, { lrT, beta1, beta2, epsilon }) => {
    for (let i = 0; i < wOut!.length; i++) {
      const gi = g![i]!;
      const mi = m![i]! * beta1 + gi * (1 - beta1); // m_t = β1 m + (1 - β1) g
      const vi = v![i]! * beta2 + gi * gi * (1 - beta2); // v_t = β2 v + (1 - β2) g²
      mOut![i] = mi;
      vOut![i] = vi;
      wOut![i] = w![i]! - (mi * lrT) / (Math.sqrt(vi) + epsilon); // lrT carries the bias correction
    }
  },
});

registerFusedKernel<RmspropAttrs>({
  name: RMSPROP_UPDATE,
  inputs: ['w', 'n', 'a', 'delta', 'g'],
  outputShapes: ([w]) => [[...w!], [...w!], [...w!], [...w!]],
  compute: ([w, n, a, delta, g], [wOut, nOut, aOut, deltaOut], _, { lr, decay, momentum, epsilon }) => {
    for (let i = 0; i < wOut!.length; i++) {
      const gi = g![i]!;
      const ni = n![i]! * decay + gi * gi * (1 - decay); // centred second moment
      const ai = a![i]! * decay + gi * (1 - decay); // mean gradient
      const di = delta![i]! * momentum - (gi * lr) / Math.sqrt(ni - ai * ai + epsilon);
      nOut![i] = ni;
      aOut![i] = ai;
      deltaOut![i] = di;
      wOut![i] = w![i]! + di;
    }
  },
});

/** Adam's new variable, m and v, `[...shape of w]` each. */
export function adamUpdate(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, attrs: AdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return runKernel(ADAM_UPDATE, { w, m, v, g }, attrs) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** RMSProp's new variable, n, a and delta, `[...shape of w]` each. */
export function rmspropUpdate(
  w: tf.Tensor,
  n: tf.Tensor,
  a: tf.Tensor,
  delta: tf.Tensor,
  g: tf.Tensor,
  attrs: RmspropAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  return runKernel(RMSPROP_UPDATE, { w, n, a, delta, g }, attrs) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
}
