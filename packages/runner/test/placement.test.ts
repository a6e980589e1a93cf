import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { train } from '../src/commands/train.ts';
import { headPlacement, traceWriteRows, unwrapRows } from '../src/placement.ts';
import { tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

/** Sequences of `n` priorities in [-1, 1), a fixed pattern per sequence so the test needs no RNG. */
const priorities = (sequences: number, n: number) =>
  Array.from({ length: sequences }, (_, b) => Array.from({ length: n }, (_, i) => (((i * 7 + b * 3) % n) / n) * 2 - 1));

describe('priority-sort write placement', () => {
  it('unwraps rows that cross N - 1 -> 0 at the widest gap', () => {
    expect(unwrapRows([126, 127, 0, 1], 128)).toEqual([0, 1, 2, 3]);
    expect(unwrapRows([5, 9, 7], 128)).toEqual([0, 4, 2]);
    expect(unwrapRows([3, 3], 8)).toEqual([0, 0]);
  });

  it('a head that writes at 10 rows per unit of priority, even across the wrap', () => {
    const p = priorities(6, 20);
    for (const offset of [40, 120]) {
      const rows = p.map((s) => s.map((v) => (Math.round(10 * v) + offset + 128) % 128));
      const h = headPlacement(p, rows, 16, 128);
      expect(h.rowsPerUnit).toBeGreaterThan(9.5);
      expect(h.rowsPerUnit).toBeLessThan(10.5);
      expect(h.priorityR).toBeGreaterThan(0.99);
      expect(h.inputOrderR).toBeLessThan(0.5);
    }
  });

  it('a head that writes in input order is told apart from one that writes by priority', () => {
    const p = priorities(6, 20);
    const rows = p.map((s) => s.map((_, i) => 30 + i));
    const h = headPlacement(p, rows, 16, 128);
    expect(h.inputOrderR).toBeCloseTo(1, 6);
    expect(h.priorityR).toBeLessThan(0.5);
    expect(h.distinctRows).toBe(16);
    expect(h.sharedRows).toBe(0);
  });

  it('counts distinct rows and neighbours in priority order that share a row, over the output vectors only', () => {
    // priorities 0.9, 0.8, 0.7, 0.6, -0.5: the top 4 go to rows 5, 5, 6, 6; the fifth (not output) to row 5
    const h = headPlacement([[0.9, 0.7, 0.8, -0.5, 0.6]], [[5, 6, 5, 5, 6]], 4, 16);
    expect(h.distinctRows).toBe(2);
    expect(h.sharedRows).toBeCloseTo(2 / 3, 12);
  });

  describe('traceWriteRows', () => {
    const dir = tempDir();
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('traces every write head, priorities unscaled, no tensor left; undefined for other tasks', { timeout: 60_000 }, async () => {
      const sort = writeExperiment(
        dir,
        'tiny-sort',
        tinyCopyExperiment({
          name: 'tiny-sort',
          task: { kind: 'priority-sort', options: { bits: 2, inputs: 5, outputs: 3, priorityScale: 4 } },
          model: { kind: 'ntm', controller: { kind: 'feedforward', units: 8 }, memory: { slots: 8, width: 4, readHeads: 2, writeHeads: 2 } },
          eval: { lengths: [5], count: 16 },
        }),
      );
      const { dir: run } = await train(sort, { out: join(dir, 'results'), backend: 'cpu' });
      const before = tf.memory().numTensors;
      const traced = await traceWriteRows(run, 10);
      expect(tf.memory().numTensors).toBe(before);
      expect(traced).toMatchObject({ outputs: 3, slots: 8, step: 12 });
      expect(traced?.priorities.length).toBe(10);
      expect(traced?.rows.length).toBe(2);
      for (const p of traced?.priorities.flat() ?? []) {
        expect(p).toBeGreaterThanOrEqual(-1);
        expect(p).toBeLessThan(1);
      }
      expect(Math.max(...(traced?.priorities.flat().map(Math.abs) ?? [0]))).toBeGreaterThan(0.25); // divided by 4, not by 16
      for (const r of traced?.rows.flat(2) ?? []) expect(r >= 0 && r < 8 && Number.isInteger(r)).toBe(true);
      expect(traced?.rows[0]?.[0]?.length).toBe(5);

      const copy = writeExperiment(dir, 'tiny-copy', tinyCopyExperiment());
      const { dir: copyRun } = await train(copy, { out: join(dir, 'results'), backend: 'cpu' });
      expect(await traceWriteRows(copyRun)).toBeUndefined();
    });
  });
});
