import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { EngramError } from '@engram/tensor';
import type { ModelConfig } from '@engram/model';
import { processAlive } from '@engram/model/node';
import { runSpecSchema, type RunSpec } from './schema.ts';
import type { RunOutcome } from './summary.ts';

/** What config.json of a run holds: everything needed to rebuild and continue it. */
export interface RunConfig {
  readonly experiment: string;
  readonly experimentFile: string;
  readonly variant: string;
  readonly seed: number;
  readonly spec: RunSpec;
  /** The model config as built (task sizes and seed filled in). */
  readonly model: ModelConfig;
  readonly backend: string;
  readonly versions: { readonly engram: string; readonly tfjs: string; readonly node: string };
  readonly createdAt: string;
  readonly command: string;
}

/** Columns of metrics.csv; the first four are fixed by the CLI's contract. */
export const METRIC_COLUMNS = ['step', 'sequences', 'loss', 'cost', 'train_loss', 'train_cost', 'max_length', 'optimal_cost', 'seconds', 'seq_per_s'] as const;
export type MetricRow = Record<(typeof METRIC_COLUMNS)[number], number>;

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Creates `<outRoot>/<experiment>/<variant>-seed<seed>-<time>-<random>/` (never an existing
 * directory: two runs started at once get different ids).
 */
export function createRunDir(outRoot: string, experiment: string, variant: string, seed: number): string {
  const parent = join(resolve(outRoot), experiment);
  mkdirSync(parent, { recursive: true });
  for (;;) {
    const dir = join(parent, `${variant}-seed${seed}-${stamp()}-${randomBytes(3).toString('hex')}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function writeRunConfig(dir: string, config: RunConfig): void {
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads a run directory's config.json; the error names the argument and what to pass. */
export function readRun(dir: string, field = '<run>'): { dir: string; config: RunConfig } {
  const path = join(resolve(dir), 'config.json');
  if (!existsSync(path)) {
    throw new EngramError(field, `${dir} is not a run directory (no config.json)`, 'pass a directory under results/<experiment>/ (see engram list)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EngramError(field, `${path} is not valid JSON (${(e as Error).message})`, 'the run directory is damaged');
  }
  // eval, report and resume rebuild the run from this file: check it as an experiment is checked
  const shape = runConfigShape.safeParse(raw);
  const spec = shape.success ? runSpecSchema.safeParse(shape.data.spec) : undefined;
  const issue = !shape.success ? shape.error.issues[0] : spec && !spec.success ? spec.error.issues[0] : undefined;
  if (issue) {
    const where = [...(shape.success ? ['spec'] : []), ...issue.path.map(String)].join('.') || 'the file';
    throw new EngramError(field, `${path}: ${where}: ${issue.message}`, 'the run directory is damaged or was edited: restore config.json or start a new run');
  }
  return { dir: resolve(dir), config: raw as RunConfig };
}

/** Appends one row to metrics.csv (writing the header first when the file is new). */
export function appendMetrics(dir: string, row: MetricRow): void {
  const path = join(dir, 'metrics.csv');
  const fresh = !existsSync(path);
  appendFileSync(path, stringify([row], { header: fresh, columns: [...METRIC_COLUMNS] }));
}

/**
 * The rows of metrics.csv. A last line without its newline is a row cut off by a crash in the
 * middle of a write: it is left out (resume rewrites the file up to the checkpoint's step).
 * Any other malformed row is an error naming the file.
 */
export function readMetrics(dir: string): MetricRow[] {
  const path = join(dir, 'metrics.csv');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  try {
    return parse(complete, { columns: true, cast: true }) as MetricRow[];
  } catch (e) {
    throw new EngramError(
      'metrics.csv',
      `${path} is malformed (${(e as Error).message.split('\n')[0]})`,
      'the run directory is damaged: restore the file or start a new run',
    );
  }
}

/**
 * Drops metric rows past `step` (a resumed run continues from its checkpoint), and the row at
 * `step` itself unless `scheduled(step)` (an evaluation an interruption added).
 */
export function truncateMetrics(dir: string, step: number, scheduled: (step: number) => boolean = () => true): void {
  const rows = readMetrics(dir).filter((r) => r.step < step || (r.step === step && scheduled(step)));
  writeFileSync(join(dir, 'metrics.csv'), stringify(rows, { header: true, columns: [...METRIC_COLUMNS] }));
}

/** Every run directory under `outRoot` (depth 2: <experiment>/<run>). */
export function findRuns(outRoot: string): string[] {
  const root = resolve(outRoot);
  if (!existsSync(root)) return [];
  const runs: string[] = [];
  for (const e of readdirSync(root)) {
    const ed = join(root, e);
    if (!statSync(ed).isDirectory()) continue;
    for (const r of readdirSync(ed)) {
      if (existsSync(join(ed, r, 'config.json'))) runs.push(join(ed, r));
    }
  }
  return runs.sort();
}

export function runName(dir: string): string {
  return `${basename(resolve(dir, '..'))}/${basename(dir)}`;
}

/** What a run's config.json must hold for list and compare to use it (other fields pass through). */
const runConfigShape = z
  .object({
    experiment: z.string(),
    variant: z.string(),
    seed: z.number().int(),
    backend: z.string(),
    spec: z.object({ train: z.object({ steps: z.number() }).passthrough() }).passthrough(),
  })
  .passthrough();

/** What outcome.json must hold (finalCost is null for a diverged run). */
const runOutcomeShape = z
  .object({
    step: z.number(),
    sequences: z.number(),
    finalCost: z.number().nullable(),
    interrupted: z.boolean(),
  })
  .passthrough();

/** A run found under a results root: readable, or the reason it is not. */
export type ScannedRun =
  | { readonly dir: string; readonly config: RunConfig; readonly outcome?: RunOutcome; readonly problem?: undefined }
  | { readonly dir: string; readonly problem: string };

function readJson(path: string): { value?: unknown; problem?: string } {
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (e) {
    return { problem: `${basename(path)} is not valid JSON (${(e as Error).message.split('\n')[0]})` };
  }
}

/** Reads one run for listing and comparing; a damaged config.json or outcome.json is a problem, never a throw. */
export function scanRun(dir: string): ScannedRun {
  const config = readJson(join(dir, 'config.json'));
  if (config.problem) return { dir, problem: config.problem };
  const c = runConfigShape.safeParse(config.value);
  if (!c.success)
    return { dir, problem: `config.json: ${c.error.issues[0]?.path.join('.') || 'the file'} ${c.error.issues[0]?.message ?? 'is not a run config'}` };
  const outcomePath = join(dir, 'outcome.json');
  if (!existsSync(outcomePath)) return { dir, config: c.data as unknown as RunConfig };
  const outcome = readJson(outcomePath);
  if (outcome.problem) return { dir, problem: outcome.problem };
  const o = runOutcomeShape.safeParse(outcome.value);
  if (!o.success)
    return { dir, problem: `outcome.json: ${o.error.issues[0]?.path.join('.') || 'the file'} ${o.error.issues[0]?.message ?? 'is not an outcome'}` };
  return { dir, config: c.data as unknown as RunConfig, outcome: o.data as unknown as RunOutcome };
}

/** Every run under `outRoot`, each readable or with its problem (so one damaged run never hides the others). */
export function scanRuns(outRoot: string): ScannedRun[] {
  return findRuns(outRoot).map(scanRun);
}

/** "engram: skipping <run>: <problem>" for each damaged run, on stderr. */
export function reportDamaged(runs: readonly ScannedRun[], write: (line: string) => void = (l) => process.stderr.write(l)): void {
  for (const r of runs) if (r.problem) write(`engram: skipping ${runName(r.dir)}: ${r.problem}\n`);
}

/**
 * How long a lock written on another host may go without its heartbeat before it counts as
 * left behind (a job killed by its scheduler on a cluster node): its process cannot be asked
 * from here. ENGRAM_LOCK_STALE_SECONDS overrides it.
 */
export const LOCK_STALE_SECONDS = 300;

/**
 * Takes the run directory's lock file (`.lock`: the owner's pid and host) for as long as this
 * process trains the run; returns its release. A lock of this host whose process is gone (a
 * crash, kill -9) is taken over; a lock of another host (a shared results folder on a cluster)
 * is taken over once its heartbeat ({@link refreshLock}) is older than
 * {@link LOCK_STALE_SECONDS}. One held by a live process is an error naming it, so two
 * resumes of one run never interleave its files.
 */
export function lockRun(dir: string): () => void {
  const path = join(dir, '.lock');
  const me = `${process.pid} ${hostname()}`;
  const staleMs = 1000 * Number(process.env['ENGRAM_LOCK_STALE_SECONDS'] ?? LOCK_STALE_SECONDS);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${me}\n`, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === me) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, host = hostname()] = readFileSync(path, 'utf8').trim().split(/\s+/);
      const owner = Number(pidText);
      const valid = Number.isInteger(owner) && owner > 0;
      if (valid && host === hostname() && owner !== process.pid && processAlive(owner)) {
        throw new EngramError(
          '--resume',
          `${dir} is being trained by process ${owner}`,
          `wait for it to finish, or stop it (kill -INT ${owner}) and resume then`,
        );
      }
      const ageMs = Date.now() - statSync(path).mtimeMs;
      if (valid && host !== hostname() && ageMs < staleMs) {
        throw new EngramError(
          '--resume',
          `${dir} is being trained by process ${owner} on host ${host} (its lock was renewed ${Math.round(ageMs / 1000)} s ago)`,
          `wait for that job to end; a lock not renewed for ${staleMs / 1000} s is taken over`,
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new EngramError('--resume', `could not take the lock ${path}`, 'remove it if no engram process trains this run');
}

/** The heartbeat of a held lock: renews its time stamp, so other hosts see the run is alive. */
export function refreshLock(dir: string): void {
  const now = new Date();
  try {
    utimesSync(join(dir, '.lock'), now, now);
  } catch {
    /* released meanwhile */
  }
}
