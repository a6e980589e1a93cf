import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';

/** One traced example: everything as plain arrays indexed by time first. */
export interface WeightingsPlot {
  /** `[T][X]` */
  readonly inputs: readonly (readonly number[])[];
  /** `[T][Y]` */
  readonly targets: readonly (readonly number[])[];
  /** `[T][Y]` sigmoid outputs in [0, 1]. */
  readonly outputs: readonly (readonly number[])[];
  /** `[T][N]` one write head's weighting. */
  readonly writeWeights: readonly (readonly number[])[];
  /** `[T][N]` one read head's weighting. */
  readonly readWeights: readonly (readonly number[])[];
  readonly title: string;
}

/** At most this many cells along either axis of a heatmap: larger weightings are binned. */
export const MAX_PLOT_CELLS = 128;

/**
 * `rows [T][N]` with both axes binned to at most MAX_PLOT_CELLS cells, each the largest value
 * of its bin (so a one-hot weight stays visible), and the bin widths used (1 = not binned).
 * Keeps a plot's size and drawing time bounded at any N (65,536 slots made a heap-exhausting SVG).
 */
export function binned(rows: readonly (readonly number[])[], max = MAX_PLOT_CELLS): { rows: number[][]; timeBin: number; slotBin: number } {
  const t = rows.length;
  const n = rows[0]?.length ?? 0;
  const timeBin = Math.max(1, Math.ceil(t / max));
  const slotBin = Math.max(1, Math.ceil(n / max));
  if (timeBin === 1 && slotBin === 1) return { rows: rows.map((r) => [...r]), timeBin, slotBin };
  const out: number[][] = [];
  for (let a = 0; a < t; a += timeBin) {
    const row: number[] = [];
    for (let b = 0; b < n; b += slotBin) {
      let m = -Infinity;
      for (let i = a; i < Math.min(t, a + timeBin); i++) for (let j = b; j < Math.min(n, b + slotBin); j++) m = Math.max(m, rows[i]?.[j] ?? -Infinity);
      row.push(m);
    }
    out.push(row);
  }
  return { rows: out, timeBin, slotBin };
}

/** " (binned: 4 time steps x 512 slots per cell, largest value shown)" or "" when not binned. */
function binNote(b: { timeBin: number; slotBin: number }, columns = 'time steps', rows = 'slots'): string {
  return b.timeBin === 1 && b.slotBin === 1 ? '' : ` (binned: ${b.timeBin} ${columns} x ${b.slotBin} ${rows} per cell, largest value shown)`;
}

/** The largest weight, so that diffuse weightings still show their structure (the legend gives the scale). */
function peak(rows: readonly (readonly number[])[]): number {
  return Math.max(1e-6, ...rows.map((r) => Math.max(...r)));
}

function cells(rows: readonly (readonly number[])[]): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  rows.forEach((row, t) => row.forEach((value, i) => out.push({ t, i, value })));
  return out;
}

function heatmap(title: string, rows: readonly (readonly number[])[], rowTitle: string, height: number, scheme: string, domainMax = 1, columnTitle = 'time') {
  const t = rows.length;
  return {
    title,
    width: Math.max(120, Math.min(600, 8 * t)),
    height,
    data: { values: cells(rows) },
    mark: { type: 'rect' as const },
    encoding: {
      x: { field: 't', type: 'ordinal' as const, title: columnTitle, axis: { values: Array.from({ length: t }, (_, i) => i).filter((i) => i % 5 === 0) } },
      y: { field: 'i', type: 'ordinal' as const, title: rowTitle, axis: null },
      color: {
        field: 'value',
        type: 'quantitative' as const,
        scale: { scheme, domain: [0, domainMax] },
        legend: domainMax === 1 ? null : { title: 'weight', orient: 'right' as const },
      },
    },
  };
}

/**
 * The NTM paper's figure for one example: inputs and targets/outputs on top, the write and read
 * weightings (slots x time; darker = more weight, scaled to the largest weight shown in the
 * legend) below, time aligned left to right.
 */
export function weightingsSvg(plot: WeightingsPlot): Promise<string> {
  const w = binned(plot.writeWeights);
  const r = binned(plot.readWeights);
  const io = (x: readonly (readonly number[])[]) => binned(x, Math.max(MAX_PLOT_CELLS, 1)).rows;
  const p = {
    ...plot,
    writeWeights: w.rows,
    readWeights: r.rows,
    inputs: io(plot.inputs),
    targets: io(plot.targets),
    outputs: io(plot.outputs),
    title: `${plot.title}${binNote(w)}`,
  };
  const slots = p.writeWeights[0]?.length ?? 1;
  const slotHeight = Math.max(120, Math.min(320, 2 * slots));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: p.title,
    vconcat: [
      {
        hconcat: [
          heatmap('inputs', p.inputs, 'channel', 80, 'greys'),
          heatmap('targets', p.targets, 'channel', 80, 'greys'),
          heatmap('outputs', p.outputs, 'channel', 80, 'greys'),
        ],
        resolve: { scale: { color: 'independent' } },
      },
      {
        hconcat: [
          heatmap('write weightings', p.writeWeights, 'memory slot', slotHeight, 'blues', peak(p.writeWeights)),
          heatmap('read weightings', p.readWeights, 'memory slot', slotHeight, 'oranges', peak(p.readWeights)),
        ],
        resolve: { scale: { color: 'independent' } },
      },
    ],
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null } },
  };
  return renderSvg(spec);
}

/** What a DNC run adds to its traced example (see {@link dncStateSvg}). */
export interface DncStatePlot {
  /** `[T][N]` usage after each step. */
  readonly usage: readonly (readonly number[])[];
  /** `[R][T][2W + 1]` each read head's read modes per step: backward per write head, forward per write head, content. */
  readonly readModes: readonly (readonly (readonly number[])[])[];
  /** `[N][N]` write head 0's link matrix at the last step, link[i][j]: slot i written right after slot j. */
  readonly link: readonly (readonly number[])[];
  readonly title: string;
}

/**
 * The DNC's own state for one example: usage over time (slots x time), each read head's read
 * modes over time (mode x time; rows backward, forward per write head, then content), and the
 * link matrix at the last step (row i = later slot, column j = earlier slot).
 */
export function dncStateSvg(plot: DncStatePlot): Promise<string> {
  const usage = binned(plot.usage);
  const link = binned(plot.link, MAX_PLOT_CELLS / 2); // N x N cells: binned to 64 x 64 to stay near the weightings' size
  const p = {
    ...plot,
    usage: usage.rows,
    link: link.rows,
    readModes: plot.readModes.map((m) => binned(m).rows),
    title: `${plot.title}${binNote(usage)}${binNote(link, 'slots', 'slots')}`,
  };
  const slots = p.usage[0]?.length ?? 1;
  const slotHeight = Math.max(120, Math.min(320, 2 * slots));
  // the link as columns j, each a row of i values, so x = j (earlier slot), y = i (later slot)
  const columns = (p.link[0] ?? []).map((_, j) => p.link.map((row) => row[j] ?? 0));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: p.title,
    vconcat: [
      {
        hconcat: [
          heatmap('usage', p.usage, 'memory slot', slotHeight, 'greens'),
          heatmap('link at the last step (row: later slot, column: earlier slot)', columns, 'later slot', slotHeight, 'purples', peak(columns), 'earlier slot'),
        ],
        resolve: { scale: { color: 'independent' } },
      },
      {
        hconcat: p.readModes.map((modes, r) => heatmap(`read head ${r} modes (backward, forward, content)`, modes, 'mode', 60, 'oranges')),
        resolve: { scale: { color: 'independent' } },
      },
    ],
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null } },
  };
  return renderSvg(spec);
}
