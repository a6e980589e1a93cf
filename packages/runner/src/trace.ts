import * as tf from '@tensorflow/tfjs';
import { Rng, tidy } from '@engram/tensor';
import { unroll } from '@engram/model';
import { makeTask } from './build.ts';
import { loadTaskModule } from './taskRegistry.ts';
import { readRun } from './runs.ts';
import { restoreModel } from './restore.ts';
import type { DncStatePlot } from './plots/index.ts';

/** One example's inputs, targets, outputs and per-head weightings, as plain arrays over time. */
export interface TracedExample {
  readonly inputs: number[][];
  readonly targets: number[][];
  readonly outputs: number[][];
  /** [head][T][N] */
  readonly writeWeights: number[][][];
  readonly readWeights: number[][][];
  /** [head][T][M]: what each read head returned. */
  readonly readVectors: number[][][];
  /** The checkpoint's step. */
  readonly step: number;
  readonly text: string;
  /** DNC runs: usage, read modes and the last link matrix (DncStatePlot without its title). */
  readonly dnc?: Omit<DncStatePlot, 'title'>;
}

/** A DNC trace of one example (batch 1) as plain arrays: usage [T][N], read modes [R][T][2W+1], write head 0's last link [N][N]. */
function dncTrace(extras: Readonly<Record<string, tf.Tensor>>): Omit<DncStatePlot, 'title'> {
  return tf.tidy(() => {
    const link = extras['link'] as tf.Tensor; // [T, 1, W, N, N]
    const t = link.shape[0] as number;
    const n = link.shape[3] as number;
    return {
      usage: tf.squeeze(extras['usage'] as tf.Tensor, [1]).arraySync() as number[][],
      readModes: (tf.unstack(tf.squeeze(extras['readModes'] as tf.Tensor, [1]), 1) as tf.Tensor2D[]).map((h) => h.arraySync()),
      link: tf.reshape(tf.slice(link, [t - 1, 0, 0, 0, 0], [1, 1, 1, -1, -1]), [n, n]).arraySync() as number[][],
    };
  });
}

/** Runs a run's model (newest checkpoint, evaluation mode) on one fresh example and traces it. */
export async function traceExample(runDir: string, seed = 0): Promise<TracedExample | undefined> {
  const { dir, config } = readRun(runDir);
  await loadTaskModule(config.spec.task);
  const task = makeTask(config.spec);
  const { model, step } = await restoreModel(dir, config);
  const batch = task.sample(1, new Rng(`${config.seed}/report/${seed}`));
  const { outputs, trace } = unroll(model, batch.inputs, { training: false, trace: true });
  // plain arrays out, every intermediate tensor (squeezes, unstacks, the sigmoid) disposed
  const example = tidy(() => {
    const perHead = (w: tf.Tensor4D) => (tf.unstack(tf.squeeze(w, [1]), 1) as tf.Tensor2D[]).map((h) => h.arraySync()); // [T,1,H,N] -> H x [T][N]
    return trace
      ? {
          inputs: tf.squeeze(batch.inputs, [1]).arraySync() as number[][],
          targets: tf.squeeze(batch.targets, [1]).arraySync() as number[][],
          outputs: tf.sigmoid(tf.squeeze(outputs, [1])).arraySync() as number[][],
          writeWeights: perHead(trace.writeWeights),
          readWeights: perHead(trace.readWeights),
          readVectors: perHead(trace.readVectors),
          step,
          text: task.render(batch, 0, outputs),
          ...(trace?.extras?.['link'] ? { dnc: dncTrace(trace.extras) } : {}),
        }
      : undefined;
  });
  tf.dispose([batch.inputs, batch.targets, batch.mask, outputs, trace as unknown as tf.TensorContainer]);
  model.dispose();
  return example;
}
