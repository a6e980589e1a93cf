import * as tf from '@tensorflow/tfjs';
import { shapes, type VariableFactory } from '@engram/tensor';

/**
 * The learned baseline of REINFORCE addressing: a control variate for each sequence's loss,
 * b = v0 + v1 * (scored steps / 100), trained by squared error against the loss. Longer
 * sequences cost more, so the scored length is the one feature; the baseline never sees the
 * sampled slots, so the estimator stays unbiased.
 */
export class ReinforceBaseline {
  /** `[2]`: bias and slope. */
  readonly weights: tf.Variable;

  constructor(variables: VariableFactory) {
    this.weights = variables('reinforce/baseline', () => tf.zeros([2]));
  }

  /**
   * @param mask `[T, B]` the scored steps.
   * @returns `[B]` the baseline of each sequence.
   */
  apply(mask: tf.Tensor2D): tf.Tensor1D {
    shapes('ReinforceBaseline.apply').check('mask', mask, ['T', 'B']);
    return tf.tidy(() => {
      const scored = tf.div(tf.sum(mask, 0), 100);
      const [bias, slope] = tf.unstack(this.weights) as [tf.Scalar, tf.Scalar];
      return tf.add(bias, tf.mul(slope, scored)) as tf.Tensor1D;
    });
  }
}
