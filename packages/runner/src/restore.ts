import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assignWeights, type SequenceModel } from '@engram/model';
import { loadCheckpoint } from '@engram/model/node';
import { makeModel } from './build.ts';
import type { RunConfig } from './runs.ts';

/** Rebuilds a run's model and loads its newest checkpoint's weights. */
export async function restoreModel(dir: string, config: RunConfig): Promise<{ model: SequenceModel; step: number }> {
  const model = makeModel(config.model);
  const ckpt = await loadCheckpoint(join(dir, 'checkpoint'));
  try {
    assignWeights(model.namedVariables, config.model, ckpt);
    return { model, step: Number(ckpt.meta['step']) };
  } finally {
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer)]);
  }
}
