import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './render.ts';
import { median } from '../stats.ts';

/** One evaluated length of a generalisation test. */
export interface LengthCost {
  readonly length: number;
  /** Bits per sequence on fresh sequences of this length. */
  readonly cost: number;
}

/** What both generalisation plots are told: the title, what a length counts, the longest training length. */
interface LengthPlotOptions {
  readonly title: string;
  /** What a length counts (copy: vectors; recall: items). */
  readonly lengthName: string;
  /**
   * The longest length training saw; where the variants of a study trained on different lengths,
   * one per length with the variants that trained up to it.
   */
  readonly trainedUpTo: number | readonly TrainedUpTo[];
}

/** A longest training length and the variants that trained up to it. */
export interface TrainedUpTo {
  readonly length: number;
  readonly variants: readonly string[];
}

/** `6`, or `6 (soft, hard)` where several training lengths are marked and the variants say which is which. */
export function trainedUpToText(t: TrainedUpTo, several: boolean): string {
  return several ? `${t.length} (${t.variants.join(', ')})` : `${t.length}`;
}

const COST_AXIS = { title: 'cost (bits per sequence)', scale: { type: 'symlog' as const, constant: 0.1 } };

/**
 * The frame both plots share: the evaluated length on x, the given data layers, and a dashed
 * rule with a label at the longest training length (one per length where variants differ), so
 * the reader sees where extrapolation starts. The cost axis is symmetric-log: solved lengths
 * (~0) and failed ones (tens of bits) share one plot.
 */
function lengthFrame(o: LengthPlotOptions, layers: (x: { field: string; type: 'quantitative'; title: string }) => unknown[]): Promise<string> {
  const x = { field: 'length', type: 'quantitative' as const, title: `${o.lengthName} (evaluated)` };
  const longest = typeof o.trainedUpTo === 'number' ? [{ length: o.trainedUpTo, variants: [] }] : o.trainedUpTo;
  const markers = longest.map((t) => ({ length: t.length, label: `trained up to ${trainedUpToText(t, longest.length > 1)}` }));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 480,
    height: 300,
    layer: [
      ...layers(x),
      { data: { values: markers }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x } },
      // one label per rule, each a line lower than the last, so labels of near lengths do not overlap
      ...markers.map((m, i) => ({
        data: { values: [m] },
        mark: { type: 'text', align: 'left', dx: 4, baseline: 'top', color: 'gray' },
        encoding: { x, y: { value: 4 + 14 * i }, text: { field: 'label' } },
      })),
    ],
  } as TopLevelSpec;
  return renderSvg(spec);
}

/** Cost per sequence against the evaluated length of one run (the NTM paper's copy generalisation figure as a curve). */
export function generalisationSvg(points: readonly LengthCost[], o: LengthPlotOptions): Promise<string> {
  return lengthFrame(o, (x) => [
    {
      data: { values: points.filter((p) => Number.isFinite(p.cost)) },
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'cost', type: 'quantitative', ...COST_AXIS } },
    },
  ]);
}

/** One variant's generalisation costs over its seeds. */
export interface LengthBand {
  readonly name: string;
  /** One series per seed. */
  readonly runs: ReadonlyArray<readonly LengthCost[]>;
}

/** One evaluated length of a band: the median and the min-max range of its seeds' costs. */
export interface LengthSpread {
  readonly length: number;
  readonly median: number;
  readonly lo: number;
  readonly hi: number;
}

/** Per evaluated length of a band, in increasing order, the median and range of the finite costs; lengths with none are left out. */
export function lengthSpread(band: LengthBand): LengthSpread[] {
  const lengths = [...new Set(band.runs.flatMap((r) => r.map((p) => p.length)))].sort((a, b) => a - b);
  return lengths.flatMap((length) => {
    const costs = band.runs.map((r) => r.find((p) => p.length === length)?.cost).filter((c): c is number => c !== undefined && Number.isFinite(c));
    return costs.length ? [{ length, median: median(costs) as number, lo: Math.min(...costs), hi: Math.max(...costs) }] : [];
  });
}

/**
 * Median and min-max range over seeds of the cost per sequence against the evaluated length,
 * one colour per variant: a study's version of {@link generalisationSvg}.
 */
export function generalisationBandsSvg(bands: readonly LengthBand[], o: LengthPlotOptions): Promise<string> {
  const values = bands.flatMap((band) => lengthSpread(band).map((p) => ({ variant: band.name, ...p })));
  const color = { field: 'variant', type: 'nominal' as const, title: 'variant' };
  return lengthFrame(o, (x) => [
    {
      data: { values },
      mark: { type: 'area', opacity: 0.15 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', ...COST_AXIS }, y2: { field: 'hi' }, color },
    },
    { data: { values }, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'median', type: 'quantitative' }, color } },
  ]);
}
