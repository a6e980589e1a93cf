import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { EngramError } from '@engram/tensor';
import { PACKAGE_DIR, runSpecFor, variantNames } from '../experiment.ts';
import { runName, type ScannedRun } from '../runs.ts';
import { median } from '../stats.ts';
import type { Experiment, RunSpec } from '../schema.ts';

/** What `engram compare --emit` writes. */
export const EMIT_KINDS = ['jobs', 'slurm'] as const;
export type EmitKind = (typeof EMIT_KINDS)[number];

/** One (variant, seed) of an experiment and where it stands in the results root. */
export interface PlannedRun {
  readonly variant: string;
  readonly seed: number;
  /** A finished run's directory. */
  readonly finished?: string;
  /** An unfinished run with a checkpoint (killed by a time limit or preemption): resumed, not restarted. */
  readonly partial?: string;
}

/**
 * What decides what a run learns and reports: its task, model, curriculum and training settings,
 * without the two that only change how it runs (threads split a batch over workers, checkpoints
 * are where a resume starts). JSON-normalised so an absent field and `undefined` compare equal.
 */
function learningSpec(s: RunSpec): unknown {
  const { threads: _threads, checkpointEvery: _checkpointEvery, ...train } = s.train;
  return JSON.parse(JSON.stringify({ task: s.task, model: s.model, train, curriculum: s.curriculum ?? null }));
}

/**
 * The run belongs to this variant and seed and was trained with the settings the experiment now
 * states: a run from before an edit of the learning rate, the batch or the model is not counted
 * (and not resumed), so a study never mixes two recipes under one name.
 */
function sameRun(r: ScannedRun, experiment: string, variant: string, seed: number, spec: RunSpec): r is Extract<ScannedRun, { config: unknown }> {
  if (r.problem !== undefined) return false;
  const c = r.config;
  return c.experiment === experiment && c.variant === variant && c.seed === seed && isDeepStrictEqual(learningSpec(c.spec), learningSpec(spec));
}

/** Finished: at the cap, diverged, or stopped solved (`train.stopWhen`); never an interrupted one. */
export function isFinished(r: Extract<ScannedRun, { config: unknown }>, train: RunSpec['train']): boolean {
  const o = r.outcome;
  return o !== undefined && !o.interrupted && (o.step === train.steps || o.diverged !== undefined || (!!o.stopWhen && !!o.solvedAt));
}

/** Every (variant, seed) of the experiment: finished, partial (resumable from its checkpoint) or missing. */
export function planRuns(e: Experiment, runs: readonly ScannedRun[]): PlannedRun[] {
  return variantNames(e).flatMap((variant) =>
    e.seeds.map((seed) => {
      const spec = runSpecFor(e, variant);
      const train = spec.train;
      const mine = runs.filter((r) => sameRun(r, e.name, variant, seed, spec)) as Extract<ScannedRun, { config: unknown }>[];
      const finished = mine.find((r) => isFinished(r, train));
      if (finished) return { variant, seed, finished: finished.dir };
      // the newest run with a checkpoint is continued; older leftovers stay as they are
      const partial = mine
        .filter((r) => existsSync(join(r.dir, 'checkpoint', 'latest')))
        .map((r) => r.dir)
        .sort()
        .at(-1);
      return { variant, seed, ...(partial ? { partial } : {}) };
    }),
  );
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** How emitted lines start: this installation's CLI run by `node`, from any working directory. */
export function defaultEngramCommand(): string {
  return `node ${shellWord(join(PACKAGE_DIR, 'bin', 'engram.js'))}`;
}

/**
 * The command that trains (or resumes) one planned run. Each writes its own run directory under
 * `out` (a new one is named by time and a random suffix, so two jobs never share one); a
 * partial run is continued with `--resume`, which refuses while another process holds the run.
 */
export function runCommand(p: PlannedRun, experimentPath: string, out: string, engram: string, backend?: string): string {
  const b = backend ? ['--backend', backend] : [];
  const words = p.partial
    ? ['train', '--resume', resolve(p.partial), '--no-report', ...b]
    : ['train', resolve(experimentPath), '--variant', p.variant, '--seed', String(p.seed), '--out', resolve(out), '--no-report', ...b];
  return `${engram} ${words.map(shellWord).join(' ')}`;
}

/** The `jobs` file: one shell command a line, for GNU parallel, `xargs -P`, or an indexed job. */
export function jobsFile(commands: readonly string[]): string {
  return commands.length ? `${commands.join('\n')}\n` : '';
}

/** What a SLURM array task asks for. */
export interface SlurmResources {
  readonly minutes: number;
  readonly memoryMb: number;
  /** Where the figures came from, written into the script. */
  readonly basis: string;
}

/**
 * Time and memory per array task: from the experiment's finished runs when there are any (the
 * largest step cap x their median ms/step, x 1.5, plus 10 minutes for start-up, checks and
 * evaluation; their largest peak memory x 1.5), otherwise from the flags, which always win.
 */
export function slurmResources(e: Experiment, runs: readonly ScannedRun[], flags: { minutes?: number; memoryMb?: number }): SlurmResources {
  const finished = runs.filter(
    (r): r is Extract<ScannedRun, { config: unknown }> =>
      r.problem === undefined && r.config.experiment === e.name && r.outcome !== undefined && !r.outcome.interrupted,
  );
  const ms = median(finished.map((r) => r.outcome?.msPerStep ?? Number.NaN).filter(Number.isFinite));
  const peak = Math.max(...finished.map((r) => r.outcome?.peakRssMb ?? Number.NaN).filter(Number.isFinite));
  const cap = Math.max(...variantNames(e).map((v) => runSpecFor(e, v).train.steps));
  const measured =
    ms !== undefined && Number.isFinite(peak)
      ? {
          minutes: Math.ceil((cap * ms * 1.5) / 60_000) + 10,
          memoryMb: Math.ceil(peak * 1.5),
          basis: `measured: ${finished.length} finished run(s), median ${ms.toFixed(1)} ms/step x ${cap} steps, peak ${peak.toFixed(0)} MB`,
        }
      : undefined;
  const minutes = flags.minutes ?? measured?.minutes;
  const memoryMb = flags.memoryMb ?? measured?.memoryMb;
  if (minutes === undefined)
    throw new EngramError(
      '--time-per-task',
      `no finished run of ${e.name} to measure the time per task from`,
      'pass --time-per-task MINUTES (and --mem-per-task MB), or finish one run first',
    );
  if (memoryMb === undefined)
    throw new EngramError(
      '--mem-per-task',
      `no finished run of ${e.name} to measure the memory per task from`,
      'pass --mem-per-task MB, or finish one run first',
    );
  const basis =
    flags.minutes !== undefined || flags.memoryMb !== undefined ? `flags${measured ? `; ${measured.basis}` : ''}` : (measured as SlurmResources).basis;
  return { minutes, memoryMb, basis };
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;

/**
 * An `sbatch` job-array script: one array task per command, at most `maxParallel` at once
 * (`--array=0-K%L`), each running its command picked by `SLURM_ARRAY_TASK_ID`. Logs go to
 * `<out>/slurm/`. Submit with `sbatch <file>`.
 */
export function slurmScript(name: string, commands: readonly string[], out: string, r: SlurmResources, maxParallel: number): string {
  if (!commands.length) return '';
  const logs = join(resolve(out), 'slurm');
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=engram-${name}`,
    `#SBATCH --array=0-${commands.length - 1}%${maxParallel}`,
    `#SBATCH --time=${hhmm(r.minutes)}`,
    `#SBATCH --mem=${r.memoryMb}M`,
    '#SBATCH --cpus-per-task=1',
    '#SBATCH --ntasks=1',
    `#SBATCH --output=${logs}/%A_%a.out`,
    `# written by engram compare --emit slurm; time and memory per task: ${r.basis}`,
    '# re-emit after the array ends (time limits, preemption): killed runs are resumed from their checkpoints',
    'set -euo pipefail',
    `mkdir -p ${shellWord(logs)}`,
    'commands=(',
    ...commands.map((c) => `  ${shellWord(c)}`),
    ')',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, for the script
    'eval "${commands[$SLURM_ARRAY_TASK_ID]}"',
    '',
  ].join('\n');
}

/** Stderr lines naming each run a merge lacks, with the command that (re)trains it. */
export function missingReport(planned: readonly PlannedRun[], commandOf: (p: PlannedRun) => string): string[] {
  return planned
    .filter((p) => !p.finished)
    .map((p) => `engram: ${p.partial ? `unfinished (resumable): ${runName(p.partial)}` : 'missing'}: ${p.variant} seed ${p.seed}; run: ${commandOf(p)}`);
}
