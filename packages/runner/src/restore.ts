import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assignWeights, checkpointFromArtifacts, type Checkpoint, type SequenceModel } from '@engram/model';
import { fileHandler, loadCheckpoint } from '@engram/model/node';
import { makeModel } from './build.ts';
import { MODEL_DIR } from './commands/export.ts';
import type { RunConfig } from './runs.ts';

/**
 * Rebuilds a run's model and loads its weights: from the newest checkpoint, or, in a run that
 * ships none (a committed reference result), from the model `engram export` wrote into `<run>/model/`.
 */
export async function restoreModel(dir: string, config: RunConfig): Promise<{ model: SequenceModel; step: number }> {
  const exported = join(dir, MODEL_DIR);
  const ckpt: Checkpoint =
    !existsSync(join(dir, 'checkpoint')) && existsSync(join(exported, 'model.json'))
      ? checkpointFromArtifacts(await fileHandler(exported).load(), exported)
      : await loadCheckpoint(join(dir, 'checkpoint'));
  const model = makeModel(config.model);
  try {
    assignWeights(model.namedVariables, config.model, ckpt);
    return { model, step: Number(ckpt.meta['step']) };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer)]);
  }
}
