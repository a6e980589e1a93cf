import * as tf from '@tensorflow/tfjs';

/** The activations a controller applies; every nonlinearity of every cell goes through {@link activate}. */
export const ACTIVATIONS = ['tanh', 'relu', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Applies the named activation elementwise. */
export function activate<T extends tf.Tensor>(name: Activation, x: T): T {
  switch (name) {
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
  }
}
