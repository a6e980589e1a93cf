import { EngramError, type Rng } from '@engram/tensor';
import { buildModel, type ModelConfig, type SequenceModel } from '@engram/model';
import { runSpecSchema, type RunSpec } from './schema.ts';
import { schemaError } from './errors.ts';
import { taskEntry } from './taskRegistry.ts';
import type { RunnerTask } from './tasks.ts';

/** Flag overrides of an experiment's settings. */
export interface Overrides {
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly threads?: number;
}

/** Applies --steps/--batch/--lr/--threads to a spec and validates the result (errors name the flag). */
export function applyOverrides(spec: RunSpec, o: Overrides): RunSpec {
  const check = (v: number | undefined, flag: string, ok: (x: number) => boolean, fix: string) => {
    if (v !== undefined && !ok(v)) throw new EngramError(flag, `${v} is not valid`, fix);
  };
  check(o.steps, '--steps', (x) => Number.isInteger(x) && x >= 1, 'use an integer >= 1');
  check(o.batch, '--batch', (x) => Number.isInteger(x) && x >= 1, 'use an integer >= 1');
  check(o.lr, '--lr', (x) => Number.isFinite(x) && x > 0, 'use a positive learning rate, e.g. 1e-3');
  check(o.threads, '--threads', (x) => Number.isInteger(x) && x >= 1 && x <= 16, 'use an integer from 1 to 16, e.g. 2');
  const train = {
    ...spec.train,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.batch !== undefined ? { batchSize: o.batch } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.lr !== undefined ? { optimizer: { ...(spec.train.optimizer ?? { kind: 'adam' as const }), lr: o.lr } } : {}),
  };
  const merged = { ...spec, train };
  const parsed = runSpecSchema.safeParse(merged);
  if (!parsed.success) throw schemaError('experiment', parsed.error, merged);
  return parsed.data;
}

/** The task of a spec, with options at a given max length when a curriculum is active. */
export function makeTask(spec: RunSpec, maxLength?: number): RunnerTask {
  const entry = taskEntry(spec.task);
  const options = spec.task.options ?? {};
  return entry.make(maxLength === undefined ? options : entry.withMaxLength(entry.make(options).options, maxLength));
}

/**
 * The task training batches are drawn from. With `train.lengths: 'per-batch'` every batch has
 * one length (copy: vectors; recall: items) drawn uniformly from the task's range, so no batch
 * spends time steps on padding (pytorch-ntm's copy does the same); the length distribution
 * per sequence is unchanged. Evaluation always uses {@link makeTask} (lengths per sequence).
 * @param maxLength a curriculum's current largest length.
 */
export function trainingTask(spec: RunSpec, maxLength?: number): RunnerTask {
  const task = makeTask(spec, maxLength);
  if (spec.train.lengths !== 'per-batch') return task;
  const entry = taskEntry(spec.task);
  const lo = entry.minLength(task.options);
  const hi = entry.maxLength(task.options);
  // one task per distinct batch shape, made once (make validates its options)
  const shapes = new Map<string, RunnerTask>();
  const at = (options: object) => {
    const key = JSON.stringify(options);
    let t = shapes.get(key);
    if (!t) {
      t = entry.make(options as Record<string, unknown>);
      shapes.set(key, t);
    }
    return t;
  };
  const perBatch = entry.perBatch;
  const draw = perBatch ? (rng: Rng) => perBatch(task.options, rng) : (rng: Rng) => entry.atLength(task.options, rng.int(lo, hi));
  return { ...task, sample: (batch, rng) => at(draw(rng)).sample(batch, rng) };
}

/** The model config of a run: the experiment's model, the task's sizes, the run's seed. */
export function modelConfigFor(spec: RunSpec, task: RunnerTask, seed: number): ModelConfig {
  return { ...spec.model, inputSize: task.inputSize, outputSize: task.outputSize, seed } as ModelConfig;
}

export function makeModel(config: ModelConfig): SequenceModel {
  return buildModel(config);
}
