import * as tf from '@tensorflow/tfjs';
import type { Rng, VariableFactory } from '@engram/tensor';

/** A dense output layer producing logits: `[B, in] -> [B, out]`. */
export interface DenseOutput {
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

export function denseOutput(inSize: number, outSize: number, rng: Rng, variables: VariableFactory, prefix = 'output'): DenseOutput {
  const kernel = variables(`${prefix}/kernel`, () => rng.glorotTensor([inSize, outSize]));
  const bias = variables(`${prefix}/bias`, () => tf.zeros([outSize]));
  return {
    namedVariables: { [`${prefix}/kernel`]: kernel, [`${prefix}/bias`]: bias },
    apply: (x) => tf.tidy(() => tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D),
    dispose: () => {
      kernel.dispose();
      bias.dispose();
    },
  };
}
