import { describe, expect, it } from 'vitest';
import { binned, dncStateSvg, MAX_PLOT_CELLS, weightingsSvg } from '../src/plots/weightings.ts';

/** Plots stay bounded in size and time at any memory size (issue 15, item 9). */
describe('weighting plots at any N', () => {
  it('binning keeps the largest value of each cell and says nothing when no binning is needed', () => {
    const rows = [
      [0, 0, 1, 0],
      [0.5, 0, 0, 0],
    ];
    expect(binned(rows)).toEqual({ rows, timeBin: 1, slotBin: 1 });
    expect(binned(rows, 2)).toEqual({
      rows: [
        [0, 1],
        [0.5, 0],
      ],
      timeBin: 1,
      slotBin: 2,
    });
  });

  it('N = 65,536 slots: the weightings SVG is drawn in seconds, under 2 MB, and says it is binned', { timeout: 60_000 }, async () => {
    const n = 65_536;
    const t = 41;
    const oneHot = (i: number) => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
    const started = Date.now();
    const svg = await weightingsSvg({
      inputs: Array.from({ length: t }, () => Array(9).fill(0)),
      targets: Array.from({ length: t }, () => Array(8).fill(0)),
      outputs: Array.from({ length: t }, () => Array(8).fill(0.5)),
      writeWeights: Array.from({ length: t }, (_, s) => oneHot(s * 1000)),
      readWeights: Array.from({ length: t }, (_, s) => oneHot(s * 997)),
      title: 'big',
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(svg.length).toBeLessThan(2e6);
    expect(svg).toContain(`binned: 1 time steps x ${Math.ceil(n / MAX_PLOT_CELLS)} slots per cell, largest value shown`);
  });

  it('a DNC link matrix of 4,096 x 4,096 is binned the same way', { timeout: 60_000 }, async () => {
    const n = 4096;
    const svg = await dncStateSvg({
      usage: Array.from({ length: 10 }, () => Array(n).fill(0.1)),
      readModes: [Array.from({ length: 10 }, () => [0.2, 0.3, 0.5])],
      link: Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j + 1 ? 1 : 0))),
      title: 'dnc',
    });
    expect(svg.length).toBeLessThan(2e6);
    expect(svg).toContain('binned');
  });
});
