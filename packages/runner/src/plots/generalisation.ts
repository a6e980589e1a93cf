import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';
import { median } from '../stats.ts';

/** One evaluated length of a generalisation test. */
export interface LengthCost {
  readonly length: number;
  /** Bits per sequence on fresh sequences of this length. */
  readonly cost: number;
}

/**
 * Cost per sequence against the evaluated length (the NTM paper's copy generalisation figure
 * as a curve), with a dashed rule at the longest training length so the reader sees where
 * extrapolation starts. The cost axis is symmetric-log: solved lengths (~0) and failed ones
 * (tens of bits) share one plot.
 * @param lengthName what a length counts (copy: vectors; recall: items).
 * @param trainedUpTo the longest length training saw.
 */
export function generalisationSvg(points: readonly LengthCost[], o: { title: string; lengthName: string; trainedUpTo: number }): Promise<string> {
  const x = { field: 'length', type: 'quantitative' as const, title: `${o.lengthName} (evaluated)` };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 480,
    height: 300,
    layer: [
      {
        data: { values: points.filter((p) => Number.isFinite(p.cost)) as unknown as Record<string, unknown>[] },
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'cost', type: 'quantitative', title: 'cost (bits per sequence)', scale: { type: 'symlog', constant: 0.1 } } },
      },
      {
        data: { values: [{ length: o.trainedUpTo, label: `trained up to ${o.trainedUpTo}` }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { x },
      },
      {
        data: { values: [{ length: o.trainedUpTo, label: `trained up to ${o.trainedUpTo}` }] },
        mark: { type: 'text', align: 'left', dx: 4, baseline: 'top', color: 'gray' },
        encoding: { x, y: { value: 4 }, text: { field: 'label' } },
      },
    ],
  };
  return renderSvg(spec);
}

/** One variant's generalisation costs over its seeds. */
export interface LengthBand {
  readonly name: string;
  /** One series per seed. */
  readonly runs: ReadonlyArray<readonly LengthCost[]>;
}

/**
 * Median and min-max range over seeds of the cost per sequence against the evaluated length,
 * one colour per variant (a study's version of {@link generalisationSvg}); the dashed rule
 * marks the longest training length, and the cost axis is symmetric-log as there.
 */
export function generalisationBandsSvg(bands: readonly LengthBand[], o: { title: string; lengthName: string; trainedUpTo: number }): Promise<string> {
  const values: Record<string, unknown>[] = [];
  for (const band of bands) {
    const lengths = [...new Set(band.runs.flatMap((r) => r.map((p) => p.length)))].sort((a, b) => a - b);
    for (const length of lengths) {
      const costs = band.runs.map((r) => r.find((p) => p.length === length)?.cost).filter((c): c is number => c !== undefined && Number.isFinite(c));
      if (!costs.length) continue;
      values.push({ variant: band.name, length, median: median(costs), lo: Math.min(...costs), hi: Math.max(...costs) });
    }
  }
  const x = { field: 'length', type: 'quantitative' as const, title: `${o.lengthName} (evaluated)` };
  const color = { field: 'variant', type: 'nominal' as const, title: 'variant' };
  const marker = { length: o.trainedUpTo, label: `trained up to ${o.trainedUpTo}` };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 480,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: 'cost (bits per sequence)', scale: { type: 'symlog', constant: 0.1 } },
          y2: { field: 'hi' },
          color,
        },
      },
      { data: { values }, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'median', type: 'quantitative' }, color } },
      { data: { values: [marker] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x } },
      {
        data: { values: [marker] },
        mark: { type: 'text', align: 'left', dx: 4, baseline: 'top', color: 'gray' },
        encoding: { x, y: { value: 4 }, text: { field: 'label' } },
      },
    ],
  };
  return renderSvg(spec);
}
