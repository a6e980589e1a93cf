import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';

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
