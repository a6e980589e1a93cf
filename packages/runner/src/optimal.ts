import * as tf from '@tensorflow/tfjs';
import { Rng, type SequenceBatch } from '@engram/tensor';
import type { RunnerTask } from './tasks.ts';

/** A task that knows the cost of the optimal predictor (ngrams). */
interface WithOptimum {
  optimalCost(batch: SequenceBatch): number;
}

export function hasOptimum(task: RunnerTask): task is RunnerTask & WithOptimum {
  return typeof (task as Partial<WithOptimum>).optimalCost === 'function';
}

/**
 * The optimal predictor's mean cost on the Trainer's evaluation stream (the same seed and batch
 * split, so the very same sequences), or undefined for tasks without one.
 */
export function optimalCostOf(task: RunnerTask, sequences: number, seed: number): number | undefined {
  if (!hasOptimum(task)) return undefined;
  const rng = new Rng(`${seed}/eval`);
  let sum = 0;
  for (let done = 0; done < sequences; ) {
    const b = Math.min(64, sequences - done);
    const batch = task.sample(b, rng);
    sum += task.optimalCost(batch) * b;
    tf.dispose([batch.inputs, batch.targets, batch.mask]);
    done += b;
  }
  return sum / sequences;
}
