import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { EngramError } from '@engram/tensor';
import { loadExperiment } from '../experiment.ts';
import { readMetrics, readRun, reportDamaged, runName, scanRun, scanRuns, type RunConfig } from '../runs.ts';
import { firstSolved, solveThreshold } from '../solved.ts';
import type { RunOutcome } from '../summary.ts';
import { evaluateRun } from './eval.ts';
import { CLI_ENTRY, nodeArgs } from '../child.ts';
import { writeStudy } from '../study.ts';
import { median } from '../stats.ts';
import type { CompareRow } from '../rows.ts';
import type { Experiment } from '../schema.ts';
import {
  defaultEngramCommand,
  EMIT_KINDS,
  jobsFile,
  missingReport,
  planRuns,
  runCommand,
  slurmResources,
  slurmScript,
  type EmitKind,
  type PlannedRun,
} from './emit.ts';
import { mkdirSync } from 'node:fs';
import { initBackend } from '@engram/tensor';

export interface CompareOptions {
  readonly out?: string;
  readonly backend?: string;
  /** Runs to train at once when an experiment has missing runs. Default 1. */
  readonly jobs?: number;
  /** Only compare what exists; train nothing. Missing runs are named with the command that trains each. */
  readonly noTrain?: boolean;
  /** Write the commands of the missing runs (`jobs`: one a line; `slurm`: an sbatch array script) instead of training. */
  readonly emit?: string;
  /** How emitted commands start (default: `node <this installation's bin/engram.js>`). */
  readonly engram?: string;
  /** `--emit slurm`: array tasks running at once (the `%L` of `--array=0-K%L`). Default 8. */
  readonly maxParallel?: number;
  /** `--emit slurm`: minutes and MB per task, instead of the estimate from finished runs. */
  readonly timePerTask?: number;
  readonly memPerTask?: number;
}

export type { CompareRow } from '../rows.ts';

function outcomeOf(dir: string): RunOutcome | undefined {
  const r = scanRun(dir);
  return r.problem === undefined ? r.outcome : undefined;
}

/** The training children running now: they end with compare (a failed sibling, a signal). */
const children = new Set<ChildProcess>();

/** Asks every running child to stop (SIGTERM: each checkpoints and exits; compare's next run resumes nothing, it retrains what is missing). */
function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

function runChild(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [...nodeArgs(CLI_ENTRY), ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ENGRAM_PARENT_PID: String(process.pid) },
    });
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
  const forward = (signal: NodeJS.Signals) => {
    for (const c of children) c.kill(signal);
  };
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
  const optimal: Record<string, number> = {};
  const evalPath = join(dir, 'eval.csv');
  if (existsSync(evalPath)) {
    for (const r of parse(readFileSync(evalPath, 'utf8'), { columns: true, cast: true }) as { length: number; cost: number; optimal_cost?: number | '' }[]) {
      generalisation[String(r.length)] = r.cost;
      if (typeof r.optimal_cost === 'number') optimal[String(r.length)] = r.optimal_cost;
    }
  }
  // The train command's rule on the run's own evaluations (so also for outcomes written before stopWhen).
  const solved = firstSolved(readMetrics(dir), solveThreshold(config.spec.train));
  return {
    run: runName(dir),
    variant: config.variant,
    seed: config.seed,
    solved: solved !== undefined,
    sequencesToSolve: solved?.sequences,
    secondsToSolve: solved?.seconds,
    finalCost: o?.finalCost ?? Number.NaN,
    generalisation,
    ...(Object.keys(optimal).length ? { optimal } : {}),
    msPerStep: o?.msPerStep ?? Number.NaN,
    peakRssMb: o?.peakRssMb ?? Number.NaN,
    steps: o?.step ?? 0,
  };
}

const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** A per-length column of the tables: its header and its value in one run. */
interface LengthColumn {
  readonly header: string;
  readonly of: (r: CompareRow) => number | undefined;
}

/** Generalisation cost per length; where the task has an optimal estimator (ngrams), its cost and the ratio beside. */
function lengthColumns(rows: CompareRow[]): LengthColumn[] {
  const lengths = [...new Set(rows.flatMap((r) => Object.keys(r.generalisation)))].sort((a, b) => Number(a) - Number(b));
  return lengths.flatMap((l) => {
    const cost: LengthColumn = { header: `gen. cost @${l}`, of: (r) => r.generalisation[l] };
    if (!rows.some((r) => r.optimal?.[l] !== undefined)) return [cost];
    const optimal = (r: CompareRow) => r.optimal?.[l];
    const ratio = (r: CompareRow) => {
      const c = r.generalisation[l];
      const o = optimal(r);
      return c === undefined || o === undefined ? undefined : c / o;
    };
    return [cost, { header: `optimal @${l}`, of: optimal }, { header: `cost / optimal @${l}`, of: ratio }];
  });
}

/** The per-run table and the per-variant summary, as markdown. */
export function compareMarkdown(rows: CompareRow[]): string {
  const columns = lengthColumns(rows);
  const heads = columns.map((c) => `${c.header} | `).join('');
  const rule = columns.map(() => '--- | ').join('');
  const digits = (c: LengthColumn) => (c.header.startsWith('cost / optimal') ? 4 : 3);
  const variants = [...new Set(rows.map((r) => r.variant))];
  const out = [
    `| variant | runs solved | median sequences to solve | median seconds to solve | median final cost | ${heads}ms/step | peak MB |`,
    `| --- | --- | --- | --- | --- | ${rule}--- | --- |`,
  ];
  for (const v of variants) {
    const rs = rows.filter((r) => r.variant === v);
    const solved = rs.filter((r) => r.solved);
    const medians = columns.map((c) => `${fmt(median(rs.map(c.of).filter((x): x is number => x !== undefined)), digits(c))} | `).join('');
    out.push(
      `| ${v} | ${solved.length}/${rs.length} | ${fmt(median(solved.map((r) => r.sequencesToSolve as number)), 0)} | ${fmt(median(solved.map((r) => r.secondsToSolve as number)), 0)} | ${fmt(median(rs.map((r) => r.finalCost)))} | ${medians}${fmt(median(rs.map((r) => r.msPerStep)), 1)} | ${fmt(median(rs.map((r) => r.peakRssMb)), 0)} |`,
    );
  }
  out.push(
    '',
    `| run | solved | sequences to solve | seconds to solve | final cost | ${heads}ms/step | peak MB |`,
    `| --- | --- | --- | --- | --- | ${rule}--- | --- |`,
  );
  for (const r of rows) {
    const values = columns.map((c) => `${fmt(c.of(r), digits(c))} | `).join('');
    out.push(
      `| ${r.run} | ${r.solved ? 'yes' : 'no'} | ${fmt(r.sequencesToSolve, 0)} | ${fmt(r.secondsToSolve, 0)} | ${fmt(r.finalCost)} | ${values}${fmt(r.msPerStep, 1)} | ${fmt(r.peakRssMb, 0)} |`,
    );
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
  // options that only one mode reads are refused elsewhere, never accepted and ignored
  for (const [flag, given] of [
    ['--max-parallel', o.maxParallel],
    ['--time-per-task', o.timePerTask],
    ['--mem-per-task', o.memPerTask],
  ] as const) {
    if (given !== undefined && o.emit !== 'slurm') throw new EngramError(flag, 'is only read with --emit slurm', `add --emit slurm, or drop ${flag}`);
  }
  if (o.emit !== undefined && jobs > 1) throw new EngramError('--jobs', 'trains runs here, but --emit trains nothing', 'drop --jobs, or drop --emit');
  if (o.engram !== undefined && o.emit === undefined && !o.noTrain) {
    throw new EngramError('--engram', 'only shapes the commands --emit writes and --no-train prints', 'add --emit jobs|slurm or --no-train, or drop --engram');
  }
  const isRunDir = (t: string) => existsSync(join(resolve(t), 'config.json'));
  let dirs: string[];
  let outDir: string | undefined;
  let experiment: Experiment | undefined;
  if (targets.every(isRunDir)) {
    dirs = targets.map((t) => resolve(t));
  } else if (targets.length === 1) {
    const { experiment: e, path } = loadExperiment(targets[0] as string);
    experiment = e;
    const before = scanRuns(out);
    // a damaged run anywhere under the root is named and skipped; it blocks nothing
    reportDamaged(before);
    const engram = o.engram ?? defaultEngramCommand();
    const commandOf = (p: PlannedRun) => runCommand(p, path, out, engram, o.backend);
    if (o.emit !== undefined) return { markdown: emit(e, o, before, commandOf), rows: [] };
    const missing = planRuns(e, before).filter((p) => !p.finished);
    if (missing.length && !o.noTrain) {
      process.stderr.write(`engram: training ${missing.length} missing run(s), ${jobs} at a time\n`);
      const b = o.backend ? ['--backend', o.backend] : [];
      await pool(
        missing.map(
          (p) => () =>
            runChild(
              p.partial
                ? ['train', '--resume', p.partial, '--no-report', ...b]
                : ['train', path, '--variant', p.variant, '--seed', String(p.seed), '--out', out, '--no-report', ...b],
            ),
        ),
        jobs,
      );
    }
    const plan = planRuns(e, missing.length && !o.noTrain ? scanRuns(out) : before);
    const lost = plan.filter((p) => !p.finished);
    if (lost.length && !o.noTrain)
      throw new EngramError(
        'compare',
        `${lost.length} run(s) did not finish: ${lost.map((p) => `${p.variant} seed ${p.seed}`).join(', ')}`,
        'see the errors above; run engram compare again to retry them',
      );
    // merging what a job system finished: name what is not there yet, compare the rest
    for (const line of missingReport(plan, commandOf)) process.stderr.write(`${line}\n`);
    dirs = plan.flatMap((p) => (p.finished ? [p.finished] : []));
    if (!dirs.length)
      throw new EngramError(
        '--no-train',
        `no run of ${e.name} has finished under ${out}`,
        'train them first (drop --no-train, or run the commands of --emit jobs)',
      );
    for (const d of dirs) {
      if (readRun(d).config.spec.eval?.lengths && !existsSync(join(d, 'eval.csv')) && existsSync(join(d, 'checkpoint')))
        await evaluateRun(d, { backend: o.backend });
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
    writeFileSync(
      join(outDir, 'runs.csv'),
      stringify(
        rows.map((r) => ({ ...r, generalisation: JSON.stringify(r.generalisation), ...(r.optimal ? { optimal: JSON.stringify(r.optimal) } : {}) })),
        { header: true },
      ),
    );
    await initBackend(o.backend);
    await writeStudy(
      experiment,
      rows,
      dirs,
      outDir,
      `engram compare ${targets[0]}${o.jobs && o.jobs > 1 ? ` --jobs ${o.jobs}` : ''}${o.out && o.out !== 'results' ? ` --out ${o.out}` : ''}`,
    );
  }
  return { markdown, rows, ...(outDir ? { written: join(outDir, 'summary.md') } : {}) };
}

/** `compare --emit`: the commands of every run not finished under the results root, as text. */
function emit(e: Experiment, o: CompareOptions, runs: ReturnType<typeof scanRuns>, commandOf: (p: PlannedRun) => string): string {
  const kind = o.emit as EmitKind;
  if (!EMIT_KINDS.includes(kind)) throw new EngramError('--emit', `unknown kind '${o.emit}'`, `use one of ${EMIT_KINDS.join(', ')}`);
  const maxParallel = o.maxParallel ?? 8;
  if (!Number.isInteger(maxParallel) || maxParallel < 1)
    throw new EngramError('--max-parallel', `${maxParallel} is not a positive integer`, 'e.g. --max-parallel 8');
  const commands = planRuns(e, runs)
    .filter((p) => !p.finished)
    .map(commandOf);
  const count = () => process.stderr.write(`engram: ${commands.length} run(s) of ${e.name} to do under ${o.out ?? 'results'}\n`);
  if (kind === 'jobs') {
    count();
    return jobsFile(commands);
  }
  const resources = slurmResources(e, runs, {
    ...(o.timePerTask !== undefined ? { minutes: o.timePerTask } : {}),
    ...(o.memPerTask !== undefined ? { memoryMb: o.memPerTask } : {}),
  });
  // sbatch opens the log files before the script runs, so their folder must exist
  if (commands.length) mkdirSync(join(resolve(o.out ?? 'results'), 'slurm'), { recursive: true });
  count();
  return slurmScript(e.name, commands, o.out ?? 'results', resources, maxParallel);
}
