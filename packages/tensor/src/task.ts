import type * as tf from '@tensorflow/tfjs';
import type { Rng } from './random.ts';

/**
 * One batch of a sequence task, time-major. Positions where `mask` is 0 are padding or
 * input-only steps: they cost nothing and are not scored.
 */
export interface SequenceBatch {
  /** `[T, B, X]` */
  readonly inputs: tf.Tensor3D;
  /** `[T, B, Y]` in {0, 1} (or probabilities, for ngrams). */
  readonly targets: tf.Tensor3D;
  /** `[T, B]` 1 where the output is scored. */
  readonly mask: tf.Tensor2D;
}

/** What the training loop needs from a task: sizes and a seeded batch generator. */
export interface SequenceTask {
  readonly name: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** A fresh batch; all randomness from `rng`, so the same generator state gives the same batch. */
  sample(batch: number, rng: Rng): SequenceBatch;
}
