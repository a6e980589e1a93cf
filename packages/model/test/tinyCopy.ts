import * as tf from '@tensorflow/tfjs';
import type { Rng, SequenceBatch, SequenceTask } from '@engram/tensor';

/**
 * A small copy task for tests: `bits`-bit random vectors, length 1..maxLength, then a delimiter
 * on an extra channel; targets are the vectors again after the delimiter. Padded to the longest
 * possible sequence and masked.
 */
export function tinyCopy(bits = 4, maxLength = 3): SequenceTask {
  const steps = 2 * maxLength + 1;
  return {
    name: 'tiny-copy',
    inputSize: bits + 1,
    outputSize: bits,
    sample(batch: number, rng: Rng): SequenceBatch {
      const x = new Float32Array(steps * batch * (bits + 1));
      const y = new Float32Array(steps * batch * bits);
      const m = new Float32Array(steps * batch);
      for (let b = 0; b < batch; b++) {
        const len = rng.int(1, maxLength);
        for (let t = 0; t < len; t++) {
          for (let j = 0; j < bits; j++) {
            const bit = rng.next() < 0.5 ? 1 : 0;
            x[(t * batch + b) * (bits + 1) + j] = bit;
            y[((len + 1 + t) * batch + b) * bits + j] = bit;
          }
          m[(len + 1 + t) * batch + b] = 1;
        }
        x[(len * batch + b) * (bits + 1) + bits] = 1;
      }
      return {
        inputs: tf.tensor3d(x, [steps, batch, bits + 1]),
        targets: tf.tensor3d(y, [steps, batch, bits]),
        mask: tf.tensor2d(m, [steps, batch]),
      };
    },
  };
}
