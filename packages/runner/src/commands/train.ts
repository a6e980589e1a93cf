import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { EngramError, initBackend } from '@engram/tensor';
import { MemoryCell, Trainer, type EvalRecord, type GradientShards, type StepRecord } from '@engram/model';
import { fileCheckpoints } from '@engram/model/node';
import { loadExperiment, runSpecFor, variantNames } from '../experiment.ts';
import { applyOverrides, makeModel, makeTask, modelConfigFor, trainingTask, type Overrides } from '../build.ts';
import { makeProgress } from '../progress.ts';
import {
  appendMetrics,
  createRunDir,
  lockRun,
  refreshLock,
  readMetrics,
  readRun,
  truncateMetrics,
  writeRunConfig,
  type MetricRow,
  type RunConfig,
} from '../runs.ts';
import { writeSummary, type RunOutcome } from '../summary.ts';
import { Curriculum } from '../curriculum.ts';
import { loadTaskModule, taskEntry } from '../taskRegistry.ts';
import { optimalCostOf } from '../optimal.ts';
import { trainingShards } from '../threads.ts';
import { firstSolved, solveThreshold, type SolvedAt } from '../solved.ts';
import { versions } from '../versions.ts';
import { checkFits } from '../resources.ts';
import { median } from '../stats.ts';

/** The signals that stop a training run cleanly (checkpoint, outcome, summary), and the exit code each gives: 128 + its number. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export interface TrainOptions extends Overrides {
  readonly seed?: number;
  readonly variant?: string;
  readonly backend?: string;
  readonly out?: string;
  readonly resume?: string;
  /** Called after the run with its directory (the CLI writes plots there). */
  readonly afterRun?: (dir: string) => Promise<void>;
}

/** Everything prepared before a single file is written: bad input fails here. */
interface Prepared {
  config: RunConfig;
  dir?: string;
}

async function prepareNew(target: string, o: TrainOptions, backend: string): Promise<Prepared> {
  const { experiment, path } = loadExperiment(target);
  const variant = o.variant ?? (variantNames(experiment)[0] as string);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new EngramError('--seed', `${o.seed} is not an integer`, 'use an integer seed');
  const seed = o.seed ?? (experiment.seeds[0] as number);
  const spec = applyOverrides(runSpecFor(experiment, variant), o);
  await loadTaskModule(spec.task);
  const task = makeTask(spec);
  const model = modelConfigFor(spec, task, seed);
  checkFits(spec, model, backend); // before the model is built: a configuration that cannot fit allocates nothing
  makeModel(model).dispose(); // validates every model field before anything is written
  return {
    config: {
      experiment: experiment.name,
      experimentFile: path,
      variant,
      seed,
      spec,
      model,
      backend,
      versions: versions(),
      createdAt: new Date().toISOString(),
      command: process.argv.slice(2).join(' '),
    },
  };
}

async function prepareResume(runDir: string, o: TrainOptions, backend: string): Promise<Prepared> {
  const { dir, config } = readRun(runDir, '--resume');
  for (const flag of ['seed', 'variant', 'batch', 'lr', 'threads'] as const) {
    if (o[flag] !== undefined)
      throw new EngramError(`--${flag}`, 'cannot change when resuming', "resume with the run's own settings (only --steps may change)");
  }
  const spec = applyOverrides(config.spec, { steps: o.steps });
  await loadTaskModule(spec.task);
  return { config: { ...config, spec, backend }, dir };
}

/**
 * `engram train`: trains one run (one variant, one seed) and writes its directory.
 * @returns the run directory and its outcome.
 */
export async function train(target: string | undefined, o: TrainOptions): Promise<{ dir: string; outcome: RunOutcome; signal?: StopSignal }> {
  if (!target && !o.resume)
    throw new EngramError('<experiment>', 'missing', 'give an experiment file, an experiment name or a task name (see engram list), or --resume RUN_DIR');
  if (target && o.resume) throw new EngramError('--resume', 'given together with an experiment', 'pass either an experiment or --resume RUN_DIR');
  const choice = await initBackend(o.backend);
  const prepared = o.resume ? await prepareResume(o.resume, o, choice.name) : await prepareNew(target as string, o, choice.name);
  const { config } = prepared;
  const spec = config.spec;

  const task = makeTask(spec);
  const entry = taskEntry(spec.task);
  let curriculum = spec.curriculum ? new Curriculum(spec.curriculum, entry.maxLength(task.options)) : undefined;
  const model = makeModel(config.model);
  // an NTM that cannot run on the whole-sequence kernel steps the per-step kernels: say so, once
  const stepped = model instanceof MemoryCell ? model.sequenceUnsupportedReason() : undefined;
  if (stepped) process.stderr.write(`engram: whole-sequence kernel not used (${stepped}); stepping the per-step kernels\n`);
  let seconds = 0;
  let started = performance.now();
  /** The training steps since the last scheduled evaluation (their mean is the metrics row's train_loss). */
  let window: StepRecord[] = [];
  // train.threads: worker threads for the batch split (or one line on why not, and one thread)
  const shards = trainingShards(spec.train.threads ?? 1, spec.train.batchSize, config.model, choice.name);
  // The Trainer checks the training settings (e.g. train.gumbelTau) before the run directory exists.
  const trainer = newTrainer(
    shards,
    () =>
      new Trainer(
        model,
        task,
        { ...spec.train, seed: config.seed },
        {
          ...(prepared.dir ? { checkpoints: fileCheckpoints(join(prepared.dir, 'checkpoint')) } : {}),
          // the training-loss window since the last regular evaluation goes into the checkpoint, so a
          // resumed run's next metrics row averages the same steps as an uninterrupted run's
          extraMeta: () => ({
            seconds: seconds + (performance.now() - started) / 1000,
            trainWindow: window.map((r) => [r.loss, r.cost]),
            ...(curriculum ? { curriculumMaxLength: curriculum.maxLength } : {}),
          }),
          cost: (logits, batch) => task.cost(logits, batch),
          ...(shards ? { shards } : {}),
        },
      ),
  );
  const dir = prepared.dir ?? createRunDir(o.out ?? 'results', config.experiment, config.variant, config.seed);
  // one process trains a run at a time (a second resume would interleave its files)
  const unlock = lockRun(dir);
  try {
    if (!prepared.dir) {
      writeRunConfig(dir, config);
      Object.assign(trainer.options, { checkpoints: fileCheckpoints(join(dir, 'checkpoint')) });
    }
    const follow = (c?: Curriculum) => trainer.setTask(trainingTask(spec, c?.maxLength));
    follow(curriculum);
    const threshold = solveThreshold(spec.train);
    let solved: SolvedAt | undefined;
    if (prepared.dir) {
      const meta = await trainer.resume();
      // Checked before anything is written: a refused resume leaves the run as it was.
      const done = trainer.solved;
      if (done) {
        throw new EngramError(
          '--resume',
          `the run already stopped solved at step ${done.step} (${done.sequences} sequences, cost ${done.cost.toFixed(4)} < train.stopWhen.cost ${threshold})`,
          'it is finished; to train past the threshold, start a new run with a lower train.stopWhen.cost or without it',
        );
      }
      if (trainer.step >= spec.train.steps) {
        throw new EngramError('--steps', `the run is already at step ${trainer.step}`, `pass --steps greater than ${trainer.step} to continue it`);
      }
      if (curriculum && typeof meta['curriculumMaxLength'] === 'number') {
        curriculum = curriculum.at(meta['curriculumMaxLength']);
        follow(curriculum);
      }
      seconds = Number(meta['seconds'] ?? 0);
      started = performance.now();
      const saved = meta['trainWindow'];
      if (Array.isArray(saved)) window = saved.map(([loss, cost]: number[]) => ({ loss, cost }) as StepRecord);
      writeRunConfig(dir, config);
      // rows past the checkpoint, and the row of the evaluation an interruption added off the
      // evaluation schedule, go: the resumed run then writes what an uninterrupted one would
      truncateMetrics(dir, trainer.step, (step) => step % (spec.train.evalEvery ?? 100) === 0);
      solved = firstSolved(readMetrics(dir), threshold);
    }

    const progress = makeProgress(spec.train.steps, trainer.step);
    process.stderr.write(`engram: training ${config.experiment}/${config.variant} seed ${config.seed} -> ${dir}\n`);
    const stepTimes: number[] = [];
    let peakRss = process.memoryUsage().rss;
    let lastEval: EvalRecord | undefined;
    let lockRenewed = performance.now();
    const onStep = (r: StepRecord) => {
      window.push(r);
      if (performance.now() - lockRenewed > 30_000) {
        refreshLock(dir);
        lockRenewed = performance.now();
      }
      stepTimes.push(r.ms);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const elapsed = seconds + (performance.now() - started) / 1000;
      progress.update(r.step, { sequences: r.sequences, loss: r.loss, cost: r.cost, rate: r.sequences / Math.max(elapsed, 1e-9) });
    };
    // The optimal estimator's cost on the evaluation stream (ngrams), computed once: the floor to compare with.
    const optimal = optimalCostOf(task, spec.train.evalSequences ?? 640, config.seed);
    const onEval = (e: EvalRecord) => {
      const elapsed = seconds + (performance.now() - started) / 1000;
      const mean = (f: (r: StepRecord) => number) => (window.length ? window.reduce((s, r) => s + f(r), 0) / window.length : Number.NaN);
      const trainCost = mean((r) => r.cost);
      const row: MetricRow = {
        step: e.step,
        sequences: e.sequences,
        loss: e.loss,
        cost: e.cost,
        train_loss: mean((r) => r.loss),
        train_cost: trainCost,
        max_length: curriculum?.maxLength ?? entry.maxLength(task.options),
        optimal_cost: optimal ?? Number.NaN,
        seconds: elapsed,
        seq_per_s: e.sequences / Math.max(elapsed, 1e-9),
      };
      appendMetrics(dir, row);
      solved ??= firstSolved([row], threshold);
      if (curriculum) {
        const next = curriculum.observe(trainCost);
        if (next !== curriculum) {
          progress.line(
            `curriculum: training cost ${trainCost.toFixed(3)} < ${next.threshold}; maximum ${entry.lengthOption} ${curriculum.maxLength} -> ${next.maxLength}`,
          );
          curriculum = next;
          follow(curriculum);
        }
      }
      lastEval = e;
      progress.line(
        `step ${e.step}: eval loss ${e.loss.toFixed(4)}, cost ${e.cost.toFixed(3)} bits/seq${optimal !== undefined ? ` (optimal estimator ${optimal.toFixed(3)})` : ''} (${e.sequences} sequences, ${elapsed.toFixed(0)} s)`,
      );
      // an evaluation off the schedule (an interruption's) keeps the window for the checkpoint
      if (e.step % (spec.train.evalEvery ?? 100) === 0) window = [];
    };
    Object.assign(trainer.options, { callbacks: { onStep, onEval } });

    // Ctrl-C, SIGTERM and SIGHUP all stop at the end of the step, checkpoint and write the outcome.
    // The handler then removes itself, so a second signal takes the default action and ends the
    // process at once, even inside the final evaluation (which never yields to the event loop).
    let caught: StopSignal | undefined;
    const interrupt = (signal: StopSignal) => {
      caught ??= signal;
      for (const s of STOP_SIGNALS) process.removeListener(s, interrupt);
      progress.line(
        `engram: ${signal === 'SIGINT' ? 'interrupted' : `got ${signal}`}; finishing the step and saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again aborts at once)`,
      );
      trainer.requestStop();
    };
    for (const s of STOP_SIGNALS) process.on(s, interrupt);
    // A wrapper that dies without passing its signal on (npx, pnpm) leaves this process orphaned:
    // treat the loss of the parent like SIGHUP, so training never runs on unattended.
    // The parent as it was when the process started (bin/engram.js and compare record it; setting
    // up a run takes seconds, long enough for a short-lived wrapper to be gone already).
    const parent = Number(process.env['ENGRAM_PARENT_PID']) || process.ppid;
    const orphanWatch = setInterval(() => {
      if (process.ppid !== parent && !caught) interrupt('SIGHUP');
    }, 1000);
    orphanWatch.unref();
    let diverged: EngramError | undefined;
    try {
      await trainer.run();
    } catch (e) {
      // A non-finite loss or gradient ends the run (weights untouched, last checkpoint intact);
      // its outcome is still written, marked diverged, so studies count it as a failed run.
      if (!(e instanceof EngramError && e.field === 'training')) throw e;
      diverged = e;
      // The weights are the last good ones (the failed step changed nothing): checkpoint them so
      // eval and report still work on the run.
      await trainer.save();
    } finally {
      for (const s of STOP_SIGNALS) process.removeListener(s, interrupt);
      clearInterval(orphanWatch);
      progress.stop();
    }
    const outcome: RunOutcome = {
      ...(diverged ? { diverged: { step: trainer.step + 1, message: diverged.message } } : {}),
      step: trainer.step,
      sequences: trainer.sequences,
      finalCost: lastEval?.cost ?? Number.NaN,
      finalLoss: lastEval?.loss ?? Number.NaN,
      ...(solved ? { solved: { sequences: solved.sequences, seconds: solved.seconds } } : {}),
      solvedAt: solved ?? null,
      stopWhen: spec.train.stopWhen ?? null,
      seconds: seconds + (performance.now() - started) / 1000,
      msPerStep: median(stepTimes) ?? Number.NaN,
      peakRssMb: peakRss / 2 ** 20,
      interrupted: !diverged && !trainer.solved && trainer.step < spec.train.steps,
      ...(optimal !== undefined ? { optimalCost: optimal } : {}),
    };
    writeSummary(dir, config, outcome);
    if (diverged) {
      trainer.dispose();
      model.dispose();
      throw diverged;
    }
    trainer.dispose();
    model.dispose();
    tf.disposeVariables();
    await o.afterRun?.(dir);
    return { dir, outcome, ...(caught && outcome.interrupted ? { signal: caught } : {}) };
  } finally {
    unlock();
    shards?.dispose();
  }
}

/** Builds the trainer; if that fails (a bad training setting), the worker threads end too. */
function newTrainer(shards: GradientShards | undefined, make: () => Trainer): Trainer {
  try {
    return make();
  } catch (e) {
    shards?.dispose();
    throw e;
  }
}
