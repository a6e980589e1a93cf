import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';

/** One point of a learning curve. */
export interface CurvePoint {
  readonly step: number;
  readonly sequences: number;
  readonly loss: number;
  readonly cost: number;
  /** `eval` (fresh sequences, evaluation mode) or `train` (mean over the training batches since the last evaluation). */
  readonly kind: string;
}

/** True when the positive costs span more than a decade: the cost axis is then logarithmic (symlog, so 0 stays on it). */
function spansDecade(costs: readonly number[]): boolean {
  const positive = costs.filter((c) => c > 0 && Number.isFinite(c));
  return positive.length > 1 && Math.max(...positive) / Math.min(...positive) > 10;
}

/**
 * Loss (nats per bit) and cost (bits per sequence) against training sequences, one line per
 * kind, side by side; the cost axis is logarithmic when it spans more than a decade.
 */
export function learningCurveSvg(points: readonly CurvePoint[], o: { title: string }): Promise<string> {
  const logCost = spansDecade(points.map((p) => p.cost));
  const panel = (field: 'loss' | 'cost', title: string, log: boolean) => ({
    width: 360,
    height: 240,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'sequences', type: 'quantitative' as const, title: 'training sequences' },
      y: { field, type: 'quantitative' as const, title, ...(log ? { scale: { type: 'symlog' as const, constant: 0.01 } } : {}) },
      color: { field: 'kind', type: 'nominal' as const, title: null },
    },
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    data: { values: points.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.cost)) as unknown as Record<string, unknown>[] },
    hconcat: [panel('loss', 'loss (nats per bit)', false), panel('cost', 'cost (bits per sequence)', logCost)],
  };
  return renderSvg(spec);
}

/** Several runs' evaluation costs with their median and range, for one variant. */
export interface CurveBand {
  readonly name: string;
  /** One series per seed: [sequences, cost] pairs. */
  readonly runs: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
}

/**
 * Median and min-max range over seeds of the evaluation cost against sequences, one colour per
 * band (variant). Seeds are aligned by evaluation index. The cost axis is logarithmic when the
 * costs span more than a decade (a curve down to solved), linear otherwise.
 */
export function bandsSvg(bands: readonly CurveBand[], o: { title: string }): Promise<string> {
  return renderSvg(bandsSpec(bands, o));
}

/** The vega-lite spec {@link bandsSvg} draws. */
export function bandsSpec(bands: readonly CurveBand[], o: { title: string }): TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  for (const band of bands) {
    const longest = Math.max(0, ...band.runs.map((r) => r.length));
    for (let i = 0; i < longest; i++) {
      const at = band.runs.map((r) => r[i]).filter((p): p is readonly [number, number] => p !== undefined && Number.isFinite(p[1]));
      if (!at.length) continue;
      const costs = at.map((p) => p[1]).sort((a, b) => a - b);
      const mid = costs.length >> 1;
      const median = costs.length % 2 ? (costs[mid] as number) : ((costs[mid - 1] as number) + (costs[mid] as number)) / 2;
      values.push({ variant: band.name, sequences: (at[0] as readonly [number, number])[0], median, lo: costs[0], hi: costs[costs.length - 1] });
    }
  }
  const x = { field: 'sequences', type: 'quantitative' as const, title: 'training sequences' };
  // variant names are the legend: none cut short (vega-lite's default limit is 160 px)
  const color = { field: 'variant', type: 'nominal' as const, title: 'variant', legend: { labelLimit: 480 } };
  const scale = spansDecade(values.flatMap((v) => [v['lo'] as number, v['hi'] as number])) ? { scale: { type: 'symlog' as const, constant: 0.1 } } : {};
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 480,
    height: 300,
    data: { values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: 'cost (bits per sequence)', ...scale },
          y2: { field: 'hi' },
          color,
        },
      },
      { mark: { type: 'line' }, encoding: { x, y: { field: 'median', type: 'quantitative' }, color } },
    ],
  };
  return spec;
}
