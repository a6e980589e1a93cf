import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { EngramError } from '@engram/tensor';
import { loadExperiment, runSpecFor, variantNames } from '../experiment.ts';
import { readMetrics, readRun, reportDamaged, runName, scanRun, scanRuns, type RunConfig, type ScannedRun } from '../runs.ts';
import { firstSolved, solveThreshold } from '../solved.ts';
import type { RunOutcome } from '../summary.ts';
import { evaluateRun } from './eval.ts';
import { CLI_ENTRY, nodeArgs } from '../child.ts';
import { writeStudy } from '../study.ts';
import { median } from '../stats.ts';
import type { CompareRow } from '../rows.ts';
import type { Experiment, RunSpec } from '../schema.ts';
import { initBackend } from '@engram/tensor';

export interface CompareOptions {
  readonly out?: string;
  readonly backend?: string;
  /** Runs to train at once when an experiment has missing runs. Default 1. */
  readonly jobs?: number;
  /** Only compare what exists; train nothing. */
  readonly noTrain?: boolean;
}

export type { CompareRow } from '../rows.ts';

function outcomeOf(dir: string): RunOutcome | undefined {
  const r = scanRun(dir);
  return r.problem === undefined ? r.outcome : undefined;
}

/**
 * A finished run of this experiment, variant and seed with the variant's step cap and stopping
 * rule, if one exists. Finished: at the cap, diverged, or stopped solved (`train.stopWhen`).
 */
function finishedRun(runs: readonly ScannedRun[], experiment: string, variant: string, seed: number, train: RunSpec['train']): string | undefined {
  return runs.find((r) => {
    if (r.problem !== undefined) return false;
    const { config, outcome: o } = r;
    const ended = o !== undefined && !o.interrupted && (o.step === train.steps || o.diverged !== undefined || (!!o.stopWhen && !!o.solvedAt));
    return config.experiment === experiment && config.variant === variant && config.seed === seed && ended
      && config.spec.train.steps === train.steps && config.spec.train.stopWhen?.cost === train.stopWhen?.cost;
  })?.dir;
}

/** The training children running now: they end with compare (a failed sibling, a signal). */
const children = new Set<ChildProcess>();

/** Asks every running child to stop (SIGTERM: each checkpoints and exits; compare's next run resumes nothing, it retrains what is missing). */
function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

function runChild(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [...nodeArgs(CLI_ENTRY), ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ENGRAM_PARENT_PID: String(process.pid) } });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      // Exit 2 after a written outcome is a diverged run: a result, not a failure of the study.
      if (code === 0 || code === 2) return ok();
      const how = signal ? `was killed by ${signal}` : code !== null && code > 128 ? `stopped by a signal (exit ${code})` : `exited with ${code}`;
      fail(new EngramError('compare', `engram ${args.join(' ')} ${how}`, 'see its error above; run engram compare again to train what is missing'));
    });
  });
}

/** Runs `jobs` at a time; the first failure stops the runs still going and starts no more. */
async function pool(tasks: (() => Promise<void>)[], jobs: number): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < tasks.length && failed === undefined) {
      try {
        await (tasks[next++] as () => Promise<void>)();
      } catch (e) {
        failed ??= e;
        stopChildren();
      }
    }
  };
  // A signal to compare is passed on to its children, which checkpoint and exit; compare then reports them.
  const forward = (signal: NodeJS.Signals) => { for (const c of children) c.kill(signal); };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  } finally {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(s, forward);
  }
  if (failed !== undefined) throw failed;
}

function rowOf(dir: string, config: RunConfig): CompareRow {
  const o = outcomeOf(dir);
  const generalisation: Record<string, number> = {};
  const evalPath = join(dir, 'eval.csv');
  if (existsSync(evalPath)) {
    for (const r of parse(readFileSync(evalPath, 'utf8'), { columns: true, cast: true }) as { length: number; cost: number }[]) generalisation[String(r.length)] = r.cost;
  }
  // The train command's rule on the run's own evaluations (so also for outcomes written before stopWhen).
  const solved = firstSolved(readMetrics(dir), solveThreshold(config.spec.train));
  return {
    run: runName(dir), variant: config.variant, seed: config.seed,
    solved: solved !== undefined, sequencesToSolve: solved?.sequences, secondsToSolve: solved?.seconds,
    finalCost: o?.finalCost ?? Number.NaN, generalisation, msPerStep: o?.msPerStep ?? Number.NaN,
    peakRssMb: o?.peakRssMb ?? Number.NaN, steps: o?.step ?? 0,
  };
}

const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** The per-run table and the per-variant summary, as markdown. */
export function compareMarkdown(rows: CompareRow[]): string {
  const lengths = [...new Set(rows.flatMap((r) => Object.keys(r.generalisation)))].sort((a, b) => Number(a) - Number(b));
  const gen = (g: Record<string, number>) => lengths.map((l) => fmt(g[l]));
  const variants = [...new Set(rows.map((r) => r.variant))];
  const out = [
    '| variant | runs solved | median sequences to solve | median seconds to solve | median final cost | ' + lengths.map((l) => `gen. cost @${l}`).join(' | ') + (lengths.length ? ' | ' : '') + 'ms/step | peak MB |',
    '| --- | --- | --- | --- | --- | ' + lengths.map(() => '--- | ').join('') + '--- | --- |',
  ];
  for (const v of variants) {
    const rs = rows.filter((r) => r.variant === v);
    const solved = rs.filter((r) => r.solved);
    const medGen = Object.fromEntries(lengths.map((l) => [l, median(rs.map((r) => r.generalisation[l]).filter((x): x is number => x !== undefined)) ?? Number.NaN]));
    out.push(`| ${v} | ${solved.length}/${rs.length} | ${fmt(median(solved.map((r) => r.sequencesToSolve as number)), 0)} | ${fmt(median(solved.map((r) => r.secondsToSolve as number)), 0)} | ${fmt(median(rs.map((r) => r.finalCost)))} | ${gen(medGen).join(' | ')}${lengths.length ? ' | ' : ''}${fmt(median(rs.map((r) => r.msPerStep)), 1)} | ${fmt(median(rs.map((r) => r.peakRssMb)), 0)} |`);
  }
  out.push('', '| run | solved | sequences to solve | seconds to solve | final cost | ' + lengths.map((l) => `gen. cost @${l}`).join(' | ') + (lengths.length ? ' | ' : '') + 'ms/step | peak MB |',
    '| --- | --- | --- | --- | --- | ' + lengths.map(() => '--- | ').join('') + '--- | --- |');
  for (const r of rows) {
    out.push(`| ${r.run} | ${r.solved ? 'yes' : 'no'} | ${fmt(r.sequencesToSolve, 0)} | ${fmt(r.secondsToSolve, 0)} | ${fmt(r.finalCost)} | ${gen(r.generalisation).join(' | ')}${lengths.length ? ' | ' : ''}${fmt(r.msPerStep, 1)} | ${fmt(r.peakRssMb, 0)} |`);
  }
  return out.join('\n');
}

/**
 * `engram compare <experiment | run dirs...>`: for an experiment, trains every missing
 * (variant, seed) run, evaluates generalisation where the experiment asks for it, and writes
 * compare.md, runs.csv and the study (summary.md, table.csv, plots/) next to the runs; for run
 * directories, compares those.
 */
export async function compare(targets: string[], o: CompareOptions): Promise<{ markdown: string; rows: CompareRow[]; written?: string }> {
  if (!targets.length) throw new EngramError('<experiment|runs...>', 'missing', 'give an experiment (file, name or task) or run directories');
  const out = o.out ?? 'results';
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new EngramError('--jobs', `${jobs} is not a positive integer`, 'e.g. --jobs 2');
  const isRunDir = (t: string) => existsSync(join(resolve(t), 'config.json'));
  let dirs: string[];
  let outDir: string | undefined;
  let experiment: Experiment | undefined;
  if (targets.every(isRunDir)) {
    dirs = targets.map((t) => resolve(t));
  } else if (targets.length === 1) {
    const { experiment: e, path } = loadExperiment(targets[0] as string);
    experiment = e;
    const wanted = variantNames(e).flatMap((v) => e.seeds.map((s) => ({ v, s })));
    const trainOf = (v: string) => runSpecFor(e, v).train;
    const before = scanRuns(out);
    // a damaged run anywhere under the root is named and skipped; it blocks nothing
    reportDamaged(before);
    const missing = wanted.filter(({ v, s }) => !finishedRun(before, e.name, v, s, trainOf(v)));
    if (missing.length && o.noTrain) throw new EngramError('--no-train', `${missing.length} runs are missing`, 'drop --no-train to train them');
    if (missing.length) process.stderr.write(`engram: training ${missing.length} missing run(s), ${jobs} at a time\n`);
    await pool(missing.map(({ v, s }) => () => runChild(['train', path, '--variant', v, '--seed', String(s), '--out', out, '--no-report', ...(o.backend ? ['--backend', o.backend] : [])])), jobs);
    const after = scanRuns(out);
    const found = wanted.map(({ v, s }) => finishedRun(after, e.name, v, s, trainOf(v)));
    const lost = wanted.filter((_, i) => !found[i]).map(({ v, s }) => `${v} seed ${s}`);
    if (lost.length) throw new EngramError('compare', `${lost.length} run(s) did not finish: ${lost.join(', ')}`, 'see the errors above; run engram compare again to retry them');
    dirs = found as string[];
    for (const d of dirs) {
      if (readRun(d).config.spec.eval?.lengths && !existsSync(join(d, 'eval.csv')) && existsSync(join(d, 'checkpoint'))) await evaluateRun(d, { backend: o.backend });
    }
    outDir = join(resolve(out), e.name);
  } else {
    const bad = targets.find((t) => !isRunDir(t));
    throw new EngramError('<runs...>', `${bad} is not a run directory`, 'pass one experiment, or only run directories');
  }
  const configs = dirs.map((d) => readRun(d).config);
  // runs of several experiments are told apart by experiment, not merged under one variant name
  const several = new Set(configs.map((c) => c.experiment)).size > 1;
  const rows = dirs.map((d, i) => {
    const c = configs[i] as RunConfig;
    return rowOf(d, several ? { ...c, variant: `${c.experiment}/${c.variant}` } : c);
  });
  const markdown = compareMarkdown(rows);
  if (outDir && experiment) {
    writeFileSync(join(outDir, 'compare.md'), `${markdown}\n`);
    writeFileSync(join(outDir, 'runs.csv'), stringify(rows.map((r) => ({ ...r, generalisation: JSON.stringify(r.generalisation) })), { header: true }));
    await initBackend(o.backend);
    await writeStudy(experiment, rows, dirs, outDir, `engram compare ${targets[0]}${o.jobs && o.jobs > 1 ? ` --jobs ${o.jobs}` : ''}${o.out && o.out !== 'results' ? ` --out ${o.out}` : ''}`);
  }
  return { markdown, rows, ...(outDir ? { written: join(outDir, 'summary.md') } : {}) };
}
