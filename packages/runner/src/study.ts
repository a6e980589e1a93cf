import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { CompareRow } from './rows.ts';
import { median } from './stats.ts';
import { traceExample } from './trace.ts';
import {
  bandsSvg,
  generalisationBandsSvg,
  lengthSpread,
  trainedUpToText,
  weightingsSvg,
  type CurveBand,
  type LengthBand,
  type TrainedUpTo,
} from './plots/index.ts';
import { loadTaskModule, taskEntry } from './taskRegistry.ts';
import { makeTask } from './build.ts';
import { readMetrics, readRun } from './runs.ts';
import type { Experiment } from './schema.ts';
import type { RunOutcome } from './summary.ts';
import { solveThreshold } from './solved.ts';
import { rowsTouched, type RowsTouched } from './rowsTouched.ts';

const fmt = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** One variant's figures over its seeds. */
export interface VariantSummary {
  readonly task: string;
  readonly variant: string;
  readonly mode: string;
  readonly seeds: number;
  readonly solved: number;
  /** Runs ended early by a non-finite loss or gradient. */
  readonly diverged: number;
  readonly medianSequencesToSolve?: number;
  /** [fewest, most] sequences to solve over the solved seeds. */
  readonly sequencesToSolveRange?: readonly [number, number];
  readonly medianSecondsToSolve?: number;
  readonly secondsToSolveRange?: readonly [number, number];
  readonly medianFinalCost?: number;
  /** Median generalisation cost per length. */
  readonly generalisation: Record<string, number | undefined>;
  /** ngrams: median cost of the optimal estimator on the same evaluation sequences, per length. */
  readonly optimal?: Record<string, number | undefined>;
  readonly msPerStep?: number;
  readonly peakRssMb?: number;
  readonly sequences: number;
  readonly seconds: number;
}

function modeOf(dir: string): string {
  const m = readRun(dir).config.model.memory;
  if (!m) return 'none (LSTM)';
  if (m.kind === 'dnc') return 'dnc';
  if (m.kind === 'sam') return `sam top-${m.k ?? 8}`;
  const show = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x));
  const r = show(m.readMode ?? 'soft');
  const w = show(m.writeMode ?? 'soft');
  return r === w ? r : `read ${r}, write ${w}`;
}

/** `{ [key]: [min, max] }` of the finite values, or nothing when there are none. */
function range<K extends string>(key: K, xs: readonly number[]): { [k in K]?: readonly [number, number] } {
  const f = xs.filter(Number.isFinite);
  return f.length ? ({ [key]: [Math.min(...f), Math.max(...f)] as const } as { [k in K]: readonly [number, number] }) : {};
}

/** "median (min-max)", or "-". */
const withRange = (m: number | undefined, r: readonly [number, number] | undefined, digits: number) =>
  m === undefined ? '-' : `${fmt(m, digits)}${r && r[0] !== r[1] ? ` (${fmt(r[0], digits)}-${fmt(r[1], digits)})` : ''}`;

/** Studies with at least this many evaluated lengths get a generalisation curve and a per-length table. */
const CURVE_LENGTHS = 3;

/** Each variant's runs as generalisation series (length, cost), for the variants of one task. */
function lengthBands(vs: readonly VariantSummary[], rows: readonly CompareRow[], keep: (r: CompareRow) => boolean = () => true): LengthBand[] {
  return vs.map((v) => ({
    name: v.variant,
    runs: rows.filter((r) => r.variant === v.variant && keep(r)).map((r) => Object.entries(r.generalisation).map(([l, cost]) => ({ length: Number(l), cost }))),
  }));
}

/** Per evaluated length, each variant's median (min-max) cost over its seeds, as markdown table lines. */
function lengthTable(bands: readonly LengthBand[], lengthName: string, runsAre = 'seeds'): string[] {
  const spreads = bands.map((b) => new Map(lengthSpread(b).map((p) => [p.length, p])));
  const lengths = [...new Set(bands.flatMap((b) => b.runs.flatMap((r) => r.map((p) => p.length))))].sort((a, b) => a - b);
  const cell = (m: Map<number, { median: number; lo: number; hi: number }>, l: number) => {
    const p = m.get(l);
    return p ? withRange(p.median, [p.lo, p.hi], 3) : '-';
  };
  return [
    `| ${lengthName} | ${bands.map((b) => `${b.name} (${b.runs.length} ${runsAre})`).join(' | ')} |`,
    `| --- | ${bands.map(() => '---').join(' | ')} |`,
    ...lengths.map((l) => `| ${l} | ${spreads.map((m) => cell(m, l)).join(' | ')} |`),
  ];
}

/**
 * The per-length tables of a task's variants: over all their runs and, when some variant solved
 * on some seeds but not all, again over the solved runs alone. A run that never learned the task
 * costs a lot at every length, and would otherwise pass for one that does not generalise.
 */
export function lengthTables(
  vs: readonly VariantSummary[],
  rows: readonly CompareRow[],
  lengthName: string,
  allRuns: readonly LengthBand[] = lengthBands(vs, rows),
): string[] {
  const all = lengthTable(allRuns, lengthName);
  if (!vs.some((v) => v.solved > 0 && v.solved < v.seeds)) return all;
  const solvedOnly = lengthBands(
    vs.filter((v) => v.solved > 0),
    rows,
    (r) => r.solved,
  );
  return [...all, '', 'The solved runs alone:', '', ...lengthTable(solvedOnly, lengthName, 'solved seeds')];
}

/** Median rows touched per step over a variant's runs, read and write apart. */
function medianTouched(ts: readonly (RowsTouched | undefined)[]): { read?: number; write?: number; slots?: number } {
  const known = ts.filter((t): t is RowsTouched => t !== undefined);
  if (!known.length) return {};
  return { read: median(known.map((t) => t.read)), write: median(known.map((t) => t.write)), slots: known[0]?.slots };
}

/** Per-variant medians over seeds. */
export function summariseVariants(rows: readonly CompareRow[], dirs: readonly string[]): VariantSummary[] {
  const variants = [...new Set(rows.map((r) => r.variant))];
  return variants.map((variant) => {
    const idx = rows.map((r, i) => (r.variant === variant ? i : -1)).filter((i) => i >= 0);
    const rs = idx.map((i) => rows[i] as CompareRow);
    const first = dirs[idx[0] as number] as string;
    const lengths = [...new Set(rs.flatMap((r) => Object.keys(r.generalisation)))].sort((a, b) => Number(a) - Number(b));
    const outcomes = idx.map((i) => JSON.parse(readFileSync(join(dirs[i] as string, 'outcome.json'), 'utf8')) as RunOutcome);
    return {
      task: readRun(first).config.spec.task.kind,
      variant,
      mode: modeOf(first),
      seeds: rs.length,
      solved: rs.filter((r) => r.solved).length,
      diverged: outcomes.filter((o) => o.diverged).length,
      medianSequencesToSolve: median(rs.filter((r) => r.solved).map((r) => r.sequencesToSolve as number)),
      ...range(
        'sequencesToSolveRange',
        rs.filter((r) => r.solved).map((r) => r.sequencesToSolve as number),
      ),
      medianSecondsToSolve: median(rs.filter((r) => r.solved).map((r) => r.secondsToSolve ?? Number.NaN)),
      ...range(
        'secondsToSolveRange',
        rs.filter((r) => r.solved).map((r) => r.secondsToSolve ?? Number.NaN),
      ),
      medianFinalCost: median(rs.map((r) => r.finalCost)),
      generalisation: Object.fromEntries(lengths.map((l) => [l, median(rs.map((r) => r.generalisation[l] ?? Number.NaN))])),
      ...(rs.some((r) => r.optimal) ? { optimal: Object.fromEntries(lengths.map((l) => [l, median(rs.map((r) => r.optimal?.[l] ?? Number.NaN))])) } : {}),
      msPerStep: median(rs.map((r) => r.msPerStep)),
      peakRssMb: median(rs.map((r) => r.peakRssMb)),
      sequences: Math.max(...outcomes.map((o) => o.sequences)),
      seconds: outcomes.reduce((s, o) => s + o.seconds, 0),
    };
  });
}

/**
 * Writes a study of an experiment into `outDir`: table.csv (one row per variant), summary.md
 * (the tables per task, the budget, the total wall time, the command, the plots, and the
 * hand-written findings.md when present), plots/curves-<task>.svg (median and range over seeds
 * of the evaluation cost against sequences), plots/weightings-<variant>-<solved|failed>.svg
 * (read/write weightings of one solved and one failed run per variant), plots/figure-<name>.svg for
 * each of the experiment's `figures` (the same curves for the variants it names) and, where the experiment
 * evaluates 3 or more lengths, plots/generalisation-<task>.svg with a per-length table (median
 * and range over seeds of the cost against the evaluated length, and over the solved seeds alone
 * where a variant solved on some; the training maximum is marked per variant where they differ).
 */
export async function writeStudy(e: Experiment, rows: readonly CompareRow[], dirs: readonly string[], outDir: string, command: string): Promise<string[]> {
  const plots = join(outDir, 'plots');
  mkdirSync(plots, { recursive: true });
  const variants = summariseVariants(rows, dirs);
  const written: string[] = [];
  // rows each head addresses per step, from touched.json or the checkpoint (one traced example per run)
  const touched = new Map<string, ReturnType<typeof medianTouched>>();
  for (const v of variants) {
    const ts: (RowsTouched | undefined)[] = [];
    for (let i = 0; i < rows.length; i++) if ((rows[i] as CompareRow).variant === v.variant) ts.push(await rowsTouched(dirs[i] as string));
    touched.set(v.variant, medianTouched(ts));
  }

  const csvRows = variants.map((v) => {
    const gen = Object.entries(v.generalisation);
    return {
      task: v.task,
      variant: v.variant,
      mode: v.mode,
      seeds: v.seeds,
      solved: v.solved,
      diverged: v.diverged,
      median_sequences_to_solve: v.medianSequencesToSolve ?? '',
      median_final_cost: v.medianFinalCost ?? '',
      gen_length_1: gen[0]?.[0] ?? '',
      gen_cost_1: gen[0]?.[1] ?? '',
      gen_length_2: gen[1]?.[0] ?? '',
      gen_cost_2: gen[1]?.[1] ?? '',
      ms_per_step: v.msPerStep ?? '',
      peak_mb: v.peakRssMb ?? '',
      sequences_per_run: v.sequences,
      total_seconds: v.seconds,
      min_sequences_to_solve: v.sequencesToSolveRange?.[0] ?? '',
      max_sequences_to_solve: v.sequencesToSolveRange?.[1] ?? '',
      median_seconds_to_solve: v.medianSecondsToSolve ?? '',
      min_seconds_to_solve: v.secondsToSolveRange?.[0] ?? '',
      max_seconds_to_solve: v.secondsToSolveRange?.[1] ?? '',
      read_rows_per_step: touched.get(v.variant)?.read ?? '',
      write_rows_per_step: touched.get(v.variant)?.write ?? '',
      slots: touched.get(v.variant)?.slots ?? '',
    };
  });
  writeFileSync(join(outDir, 'table.csv'), stringify(csvRows, { header: true }));
  written.push(join(outDir, 'table.csv'));

  // Learning curves per task, and per figure the experiment names: median and range over seeds for each variant.
  // each variant's curves read once, for its task's plot and any figure naming it
  const curves = new Map<string, CurveBand>(
    variants.map((v) => [
      v.variant,
      {
        name: v.variant,
        runs: rows
          .map((r, i) => (r.variant === v.variant ? readMetrics(dirs[i] as string).map((m) => [m.sequences, m.cost] as const) : undefined))
          .filter((x): x is (readonly [number, number])[] => x !== undefined),
      },
    ]),
  );
  const tasks = [...new Set(variants.map((v) => v.task))];
  for (const task of tasks) {
    const path = join(plots, `curves-${task}.svg`);
    const bands = variants.filter((v) => v.task === task).map((v) => curves.get(v.variant) as CurveBand);
    writeFileSync(path, await bandsSvg(bands, { title: `${e.name}: ${task}, evaluation cost (median and range over seeds)` }));
    written.push(path);
  }
  const figures: string[] = [];
  for (const f of e.figures ?? []) {
    const path = join(plots, `figure-${f.name}.svg`);
    const title = f.title ?? `${e.name}: ${f.variants.join(' against ')}, evaluation cost (median and range over seeds)`;
    // a figure's variant without finished runs draws nothing; the figure says which ones it has
    const drawn = f.variants.filter((v) => curves.has(v));
    writeFileSync(
      path,
      await bandsSvg(
        drawn.map((v) => curves.get(v) as CurveBand),
        { title },
      ),
    );
    written.push(path);
    const missing = f.variants.filter((v) => !drawn.includes(v));
    figures.push(
      `### ${title}`,
      '',
      ...(missing.length ? [`No finished runs yet of ${missing.join(', ')}.`, ''] : []),
      `![${f.name}](plots/figure-${f.name}.svg)`,
      '',
    );
  }

  // Generalisation per task where several lengths were evaluated: median and range over seeds against length.
  const generalisation = new Map<string, string[]>();
  for (const task of tasks) {
    const vs = variants.filter((v) => v.task === task);
    if (new Set(vs.flatMap((v) => Object.keys(v.generalisation))).size < CURVE_LENGTHS) continue;
    // each variant's longest training length, from one of its runs (variants may train on different lengths)
    const specOf = (v: VariantSummary) => readRun(dirs[rows.findIndex((r) => r.variant === v.variant)] as string).config.spec;
    const withSpecs = vs.map((v) => ({ variant: v.variant, spec: specOf(v) }));
    const first = (withSpecs[0] as (typeof withSpecs)[number]).spec;
    await loadTaskModule(first.task);
    const entry = taskEntry(first.task);
    const longest = new Map<number, string[]>();
    for (const { variant, spec } of withSpecs) {
      const length = entry.maxLength(makeTask(spec).options);
      longest.set(length, [...(longest.get(length) ?? []), variant]);
    }
    const trainedUpTo: TrainedUpTo[] = [...longest].sort((a, b) => a[0] - b[0]).map(([length, names]) => ({ length, variants: names }));
    const bands = lengthBands(vs, rows);
    const path = join(plots, `generalisation-${task}.svg`);
    writeFileSync(
      path,
      await generalisationBandsSvg(bands, {
        title: `${e.name}: ${task}, cost against ${entry.lengthOption} (median and range over seeds)`,
        lengthName: entry.lengthOption,
        trainedUpTo,
      }),
    );
    written.push(path);
    generalisation.set(task, [
      `### Generalisation: cost against ${entry.lengthOption}, median (range) over seeds`,
      '',
      `Trained up to ${trainedUpTo.map((t) => trainedUpToText(t, trainedUpTo.length > 1)).join(', ')}; ${e.eval?.count ?? 640} fresh sequences at each point, evaluation mode, each run at its last checkpoint.`,
      '',
      ...lengthTables(vs, rows, entry.lengthOption, bands),
      '',
      `![generalisation](plots/generalisation-${task}.svg)`,
      '',
    ]);
  }

  // Weightings of one solved and one failed run per variant (the best and the worst by final cost
  // among the runs whose checkpoint is here). Checkpoints are not committed, so a study built up
  // across sittings keeps the plot an earlier sitting drew when no run of that kind has one now.
  const heatmaps: Record<string, string[]> = {};
  for (const v of variants) {
    const runs = rows.map((r, i) => ({ r, dir: dirs[i] as string })).filter((x) => x.r.variant === v.variant && existsSync(join(x.dir, 'checkpoint')));
    const solved = runs.filter((x) => x.r.solved).sort((a, b) => a.r.finalCost - b.r.finalCost)[0];
    const failed = runs.filter((x) => !x.r.solved).sort((a, b) => b.r.finalCost - a.r.finalCost)[0];
    heatmaps[v.variant] = [];
    for (const [label, pick] of [
      ['solved', solved],
      ['failed', failed],
    ] as const) {
      const path = join(plots, `weightings-${v.variant}-${label}.svg`);
      const link = `[${label}](plots/weightings-${v.variant}-${label}.svg)`;
      const ranOfKind = rows.some((r) => r.variant === v.variant && r.solved === (label === 'solved'));
      if (!pick) {
        if (ranOfKind && existsSync(path)) (heatmaps[v.variant] as string[]).push(link);
        continue;
      }
      const ex = await traceExample(pick.dir);
      if (!ex) continue;
      writeFileSync(
        path,
        await weightingsSvg({
          inputs: ex.inputs,
          targets: ex.targets,
          outputs: ex.outputs,
          writeWeights: ex.writeWeights[0] as number[][],
          readWeights: ex.readWeights[0] as number[][],
          title: `${v.variant} (${label} run, seed ${pick.r.seed}, final cost ${fmt(pick.r.finalCost)}): write head 0, read head 0`,
        }),
      );
      written.push(path);
      (heatmaps[v.variant] as string[]).push(link);
    }
  }

  const total = variants.reduce((s, v) => s + v.seconds, 0);
  const stops = e.train.stopWhen ? 'a run stops early when solved (train.stopWhen) or diverged' : 'a diverged run stops early';
  const lines = [
    `# ${e.name}`,
    '',
    e.description ?? '',
    '',
    `Regenerate: \`${command}\` (trains the missing runs, reuses finished ones).`,
    `Budget: ${e.train.steps * e.train.batchSize} training sequences per run (${e.train.steps} steps of ${e.train.batchSize}; ${stops}), ${e.seeds.length} seeds per variant (${e.seeds.join(', ')}).`,
    `Total training wall time: ${(total / 60).toFixed(1)} min over ${rows.length} runs (sum of the runs' own times; runs may have run in parallel).`,
    `"Solved": below ${solveThreshold(e.train)} bits per sequence on ${e.train.evalSequences ?? 640} fresh sequences at an evaluation${e.train.stopWhen ? ' (train.stopWhen.cost; training ends there)' : ''}. Discrete modes are evaluated with one-hot argmax addressing.`,
    '',
  ];
  for (const task of tasks) {
    const vs = variants.filter((v) => v.task === task);
    const lengths = [...new Set(vs.flatMap((v) => Object.keys(v.generalisation)))];
    // per length the median cost, and where the task has an optimal estimator (ngrams) its median cost beside
    const withOptimum = vs.some((v) => v.optimal);
    const heads = lengths.map((l) => `gen. cost @${l} | ${withOptimum ? `optimal @${l} | ` : ''}`).join('');
    const rule = lengths.map(() => (withOptimum ? '--- | --- | ' : '--- | ')).join('');
    const cells = (v: VariantSummary) => lengths.map((l) => `${fmt(v.generalisation[l])} | ${withOptimum ? `${fmt(v.optimal?.[l])} | ` : ''}`).join('');
    lines.push(
      `## ${task}`,
      '',
      `| variant | addressing | solved | diverged | sequences to solve, median (range) | seconds to solve, median (range) | median final cost | ${heads}rows per step (read / write of N) | ms/step | peak MB | weightings |`,
      `| --- | --- | --- | --- | --- | --- | --- | ${rule}--- | --- | --- | --- |`,
    );
    for (const v of vs) {
      const t = touched.get(v.variant);
      const rowsCell = t?.read !== undefined ? `${fmt(t.read, 1)} / ${fmt(t.write, 1)} of ${t.slots}` : '-';
      lines.push(
        `| ${v.variant} | \`${v.mode}\` | ${v.solved}/${v.seeds} | ${v.diverged} | ${withRange(v.medianSequencesToSolve, v.sequencesToSolveRange, 0)} | ${withRange(v.medianSecondsToSolve, v.secondsToSolveRange, 0)} | ${fmt(v.medianFinalCost)} | ${cells(v)}${rowsCell} | ${fmt(v.msPerStep, 1)} | ${fmt(v.peakRssMb, 0)} | ${(heatmaps[v.variant] ?? []).join(', ') || '-'} |`,
      );
    }
    lines.push(
      '',
      'Rows per step: the mean number of memory rows a head gives a weight above 0, per time step, on one fresh example in evaluation mode (median over the runs); soft addressing gives every row some weight unless it underflows.',
    );
    lines.push('', `![learning curves](plots/curves-${task}.svg)`, '', ...(generalisation.get(task) ?? []));
  }
  if (figures.length) lines.push('## Figures', '', ...figures);
  const findings = join(outDir, 'findings.md');
  if (existsSync(findings)) lines.push(readFileSync(findings, 'utf8').trim(), '');
  lines.push(
    '## Runs',
    '',
    ...rows.map(
      (r, i) =>
        `- ${r.variant} seed ${r.seed}: ${relative(outDir, dirs[i] as string)}/ (final cost ${fmt(r.finalCost)}${r.solved ? `, solved at ${r.sequencesToSolve} sequences` : ''})`,
    ),
    '',
  );
  writeFileSync(join(outDir, 'summary.md'), lines.join('\n'));
  written.push(join(outDir, 'summary.md'));
  return written;
}
