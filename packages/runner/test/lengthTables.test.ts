import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../src/rows.ts';
import { lengthTables, type VariantSummary } from '../src/study.ts';

/** The study's per-length generalisation table, and its solved-runs-only twin. */
describe('lengthTables', () => {
  const row = (variant: string, seed: number, solved: boolean, generalisation: Record<string, number>) =>
    ({ variant, seed, solved, generalisation }) as unknown as CompareRow;
  const summary = (variant: string, seeds: number, solved: number) => ({ variant, seeds, solved }) as unknown as VariantSummary;

  it('gives each variant its median (range) per length over all its runs when every variant solved on all seeds or none', () => {
    const rows = [row('a', 1, true, { 10: 0.1, 20: 2 }), row('a', 2, true, { 10: 0.3, 20: 4 }), row('b', 1, false, { 10: 40, 20: 80 })];
    const lines = lengthTables([summary('a', 2, 2), summary('b', 1, 0)], rows, 'length');
    expect(lines).toEqual([
      '| length | a (2 seeds) | b (1 seeds) |',
      '| --- | --- | --- |',
      '| 10 | 0.200 (0.100-0.300) | 40.000 |',
      '| 20 | 3.000 (2.000-4.000) | 80.000 |',
    ]);
  });

  it('adds a table over the solved runs alone when a variant solved on some seeds only, so a run that never learned is not read as one that does not generalise', () => {
    const rows = [
      row('ff', 1, false, { 12: 4.1, 15: 7.6 }),
      row('ff', 2, true, { 12: 0.3, 15: 0.5 }),
      row('ff', 3, true, { 12: 0.35, 15: 0.45 }),
      row('never', 1, false, { 12: 9, 15: 9 }),
    ];
    const lines = lengthTables([summary('ff', 3, 2), summary('never', 1, 0)], rows, 'items');
    expect(lines.slice(0, 5)).toEqual([
      '| items | ff (3 seeds) | never (1 seeds) |',
      '| --- | --- | --- |',
      '| 12 | 0.350 (0.300-4.100) | 9.000 |',
      '| 15 | 0.500 (0.450-7.600) | 9.000 |',
      '',
    ]);
    expect(lines.slice(5)).toEqual([
      'The solved runs alone:',
      '',
      '| items | ff (2 solved seeds) |',
      '| --- | --- |',
      '| 12 | 0.325 (0.300-0.350) |',
      '| 15 | 0.475 (0.450-0.500) |',
    ]);
  });
});
