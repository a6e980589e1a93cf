import { describe, expect, it } from 'vitest';
import { bandsSpec, type CurveBand } from '../src/plots/learningCurve.ts';

/** The study's learning-curve plot: median and range over seeds per variant, on a readable cost axis. */
describe('bandsSpec', () => {
  const band = (name: string, ...runs: [number, number][][]): CurveBand => ({ name, runs });
  const layers = (bands: CurveBand[]) => {
    const spec = bandsSpec(bands, { title: 't' }) as unknown as {
      data: { values: Record<string, number | string>[] };
      layer: { encoding: { y: { scale?: { type: string } }; color: { legend: { labelLimit: number } } } }[];
    };
    return { values: spec.data.values, y: spec.layer[0]?.encoding.y, legend: spec.layer[0]?.encoding.color.legend };
  };

  it('gives per evaluation the median, lowest and highest cost over the seeds', () => {
    const { values } = layers([
      band(
        'ntm',
        [
          [100, 50],
          [200, 30],
        ],
        [
          [100, 54],
          [200, 28],
        ],
        [
          [100, 52],
          [200, 35],
        ],
      ),
    ]);
    expect(values).toEqual([
      { variant: 'ntm', sequences: 100, median: 52, lo: 50, hi: 54 },
      { variant: 'ntm', sequences: 200, median: 30, lo: 28, hi: 35 },
    ]);
  });

  it('draws costs that stay within a decade (priority sort: 28-64 bits) on a linear axis', () => {
    const { y } = layers([band('ntm', [[100, 64]], [[100, 28.4]]), band('lstm', [[100, 40.5]])]);
    expect(y?.scale).toBeUndefined();
  });

  it('draws costs that fall to solved (copy: 60 to 0.01 bits) on a symlog axis, so 0 stays on it', () => {
    const { y } = layers([
      band('ntm', [
        [100, 60],
        [200, 0.01],
        [300, 0],
      ]),
    ]);
    expect(y?.scale?.type).toBe('symlog');
  });

  it('does not cut long variant names short in the legend', () => {
    expect(layers([band('ntm-ff512-rmsprop-3e-5-learned-init', [[1, 1]])]).legend?.labelLimit).toBeGreaterThanOrEqual(320);
  });
});
