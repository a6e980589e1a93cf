import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { train } from '../src/commands/train.ts';
import { evaluateRun } from '../src/commands/eval.ts';
import { compareMarkdown, type CompareRow } from '../src/commands/compare.ts';
import { tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

describe('the optimal estimator beside the model in eval and compare (ngrams)', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('eval writes the estimator cost on the same sequences into eval.csv and eval.md; other tasks get no such column', { timeout: 60_000 }, async () => {
    const exp = writeExperiment(
      dir,
      'ng',
      tinyCopyExperiment({
        name: 'tiny-ngrams',
        task: { kind: 'ngrams', options: { order: 3, length: 20 } },
        eval: { lengths: [20, 40], count: 8 },
        train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 8, checkpointEvery: 2 },
      }),
    );
    const { dir: run } = await train(exp, { out: join(dir, 'results'), backend: 'cpu' });
    const results = await evaluateRun(run, { backend: 'cpu' });
    expect(results.map((r) => r.length)).toEqual([20, 40]);
    for (const r of results) {
      expect(r.optimal).toBeGreaterThan(0);
      // an untrained model is worse than the Bayes-optimal predictor on the very same bits
      expect(r.cost).toBeGreaterThan(r.optimal as number);
    }
    // twice the bits, about twice the estimator's cost: it scored the longer sequences
    expect((results[1]?.optimal as number) / (results[0]?.optimal as number)).toBeGreaterThan(1.5);
    const csv = parse(readFileSync(join(run, 'eval.csv'), 'utf8'), { columns: true, cast: true }) as { optimal_cost: number }[];
    expect(csv.map((r) => r.optimal_cost)).toEqual(results.map((r) => r.optimal));
    expect(readFileSync(join(run, 'eval.md'), 'utf8')).toContain('| optimal estimator (bits/seq, same sequences) | cost / optimal |');

    const copy = writeExperiment(dir, 'copy', tinyCopyExperiment({ train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 8, checkpointEvery: 2 } }));
    const { dir: copyRun } = await train(copy, { out: join(dir, 'results'), backend: 'cpu' });
    const copyResults = await evaluateRun(copyRun, { backend: 'cpu' });
    expect(copyResults.every((r) => r.optimal === undefined)).toBe(true);
    expect(readFileSync(join(copyRun, 'eval.csv'), 'utf8').split('\n')[0]).toBe('length,cost,loss,sequences,step');
  });

  it('compare shows the estimator and the ratio per length only when a run has them', () => {
    const row = (variant: string, cost: number, optimal?: number): CompareRow => ({
      run: `${variant}-seed1`,
      variant,
      seed: 1,
      solved: false,
      finalCost: cost,
      generalisation: { '200': cost },
      ...(optimal !== undefined ? { optimal: { '200': optimal } } : {}),
      msPerStep: 10,
      peakRssMb: 100,
      steps: 5,
    });
    const md = compareMarkdown([row('ntm', 110, 100), row('lstm', 120, 100)]);
    expect(md).toContain('gen. cost @200 | optimal @200 | cost / optimal @200 |');
    expect(md).toContain('| ntm | 0/1 | - | - | 110.000 | 110.000 | 100.000 | 1.1000 |');
    expect(md).toContain('| lstm-seed1 | no | - | - | 120.000 | 120.000 | 100.000 | 1.2000 |');
    const plain = compareMarkdown([row('soft', 3)]);
    expect(plain).not.toContain('optimal');
    expect(plain).toContain('| soft | 0/1 | - | - | 3.000 | 3.000 | 10.0 | 100 |');
  });
});
