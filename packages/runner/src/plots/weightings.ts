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
      color: { field: 'value', type: 'quantitative' as const, scale: { scheme, domain: [0, domainMax] }, legend: domainMax === 1 ? null : { title: 'weight', orient: 'right' as const } },
    },
  };
}

/**
 * The NTM paper's figure for one example: inputs and targets/outputs on top, the write and read
 * weightings (slots x time; darker = more weight, scaled to the largest weight shown in the
 * legend) below, time aligned left to right.
 */
export function weightingsSvg(p: WeightingsPlot): Promise<string> {
  const slots = p.writeWeights[0]?.length ?? 1;
  const slotHeight = Math.max(120, Math.min(320, 2 * slots));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: p.title,
    vconcat: [
      { hconcat: [heatmap('inputs', p.inputs, 'channel', 80, 'greys'), heatmap('targets', p.targets, 'channel', 80, 'greys'), heatmap('outputs', p.outputs, 'channel', 80, 'greys')], resolve: { scale: { color: 'independent' } } },
      { hconcat: [heatmap('write weightings', p.writeWeights, 'memory slot', slotHeight, 'blues', peak(p.writeWeights)), heatmap('read weightings', p.readWeights, 'memory slot', slotHeight, 'oranges', peak(p.readWeights))], resolve: { scale: { color: 'independent' } } },
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
export function dncStateSvg(p: DncStatePlot): Promise<string> {
  const slots = p.usage[0]?.length ?? 1;
  const slotHeight = Math.max(120, Math.min(320, 2 * slots));
  // the link as columns j, each a row of i values, so x = j (earlier slot), y = i (later slot)
  const columns = (p.link[0] ?? []).map((_, j) => p.link.map((row) => row[j] ?? 0));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: p.title,
    vconcat: [
      { hconcat: [heatmap('usage', p.usage, 'memory slot', slotHeight, 'greens'),
        heatmap('link at the last step (row: later slot, column: earlier slot)', columns, 'later slot', slotHeight, 'purples', peak(columns), 'earlier slot')],
      resolve: { scale: { color: 'independent' } } },
      { hconcat: p.readModes.map((modes, r) => heatmap(`read head ${r} modes (backward, forward, content)`, modes, 'mode', 60, 'oranges')), resolve: { scale: { color: 'independent' } } },
    ],
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null } },
  };
  return renderSvg(spec);
}
