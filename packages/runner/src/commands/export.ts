import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkpointArtifacts } from '@engram/model';
import { fileHandler, loadCheckpoint } from '@engram/model/node';
import { EngramError, initBackend } from '@engram/tensor';
import { readRun } from '../runs.ts';

/** Where `engram export` puts a run's trained model by default, and where eval and report look when a run has no checkpoint. */
export const MODEL_DIR = 'model';

/**
 * `engram export <run>`: writes the run's newest weights, without the optimizer's state, as
 * standard tfjs artifacts (`model.json` with the model config as its topology, `weights.bin`)
 * into `<run>/model/` or `out`. That folder is what a results directory commits so a fresh clone
 * can `engram eval` and `engram report` it, and what the playground loads in a browser
 * (`tf.io.browserHTTPRequest`, then `checkpointFromArtifacts` and `assignWeights`).
 * @returns the directory written.
 */
export async function exportRun(runDir: string, o: { out?: string; backend?: string } = {}): Promise<string> {
  const { dir, config } = readRun(runDir);
  const out = o.out;
  if (!existsSync(join(dir, 'checkpoint'))) {
    throw new EngramError(
      '<run>',
      `${dir} has no checkpoint to export`,
      existsSync(join(dir, MODEL_DIR, 'model.json')) ? `its trained model is already in ${join(dir, MODEL_DIR)}` : 'train the run first',
    );
  }
  await initBackend(o.backend);
  const ckpt = await loadCheckpoint(join(dir, 'checkpoint'));
  const target = out ?? join(dir, MODEL_DIR);
  try {
    mkdirSync(target, { recursive: true });
    const meta = {
      experiment: config.experiment,
      variant: config.variant,
      seed: config.seed,
      step: ckpt.meta['step'] ?? null,
      sequences: ckpt.meta['sequences'] ?? null,
    };
    await fileHandler(target).save(await checkpointArtifacts({ modelConfig: ckpt.modelConfig, weights: ckpt.weights, optimizer: {}, meta }));
    return target;
  } finally {
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer)]);
  }
}
