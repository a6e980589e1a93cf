import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '@engram/model';
import { train } from '../src/commands/train.ts';
import { applyOverrides } from '../src/build.ts';
import { loadExperiment, runSpecFor } from '../src/experiment.ts';
import { whyOneThread } from '../src/threads.ts';
import { tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

const ntm: ModelConfig = { kind: 'ntm', inputSize: 4, outputSize: 3, controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4 } };

describe('train.threads: the batch split over worker threads', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says why a run stays on one thread: small batch, noisy heads, a backend workers cannot start', () => {
    expect(whyOneThread(1, 4, ntm, 'wasm')).toBeUndefined();
    expect(whyOneThread(2, 32, ntm, 'wasm')).toBeUndefined();
    expect(whyOneThread(2, 16, ntm, 'wasm')).toBe('batch 16 is below 32, where a split costs more than it saves');
    expect(whyOneThread(16, 32, ntm, 'wasm')).toBeUndefined();
    expect(whyOneThread(12, 10, ntm, 'wasm')).toBe('batch 10 is below 32, where a split costs more than it saves');
    expect(whyOneThread(2, 32, { ...ntm, memory: { slots: 8, width: 4, readMode: { kind: 'gumbel', tau: 1 } } }, 'wasm')).toMatch(
      /^gumbel heads draw random numbers/,
    );
    expect(whyOneThread(2, 32, ntm, 'tensorflow')).toBe("worker threads cannot start backend 'tensorflow' (use --backend wasm or cpu)");
  });

  it('--threads and train.threads are checked, with errors naming them', () => {
    const exp = writeExperiment(dir, 'bad', tinyCopyExperiment({ train: { steps: 2, batchSize: 8, threads: 0 } }));
    expect(() => loadExperiment(exp)).toThrow(/train\.threads/);
    const ok = writeExperiment(dir, 'ok', tinyCopyExperiment());
    const spec = runSpecFor(loadExperiment(ok).experiment, 'default');
    expect(() => applyOverrides(spec, { threads: 0 })).toThrow(/^--threads: 0 is not valid; use an integer from 1 to 16, e.g. 2$/);
    expect(applyOverrides(spec, { threads: 2 }).train.threads).toBe(2);
  });

  it('trains a run on two threads and records the thread count in its config', { timeout: 120_000 }, async () => {
    const exp = writeExperiment(dir, 'two', tinyCopyExperiment({ train: { steps: 2, batchSize: 32, evalEvery: 2, evalSequences: 8, checkpointEvery: 2 } }));
    const { dir: run, outcome } = await train(exp, { out: join(dir, 'results'), backend: 'cpu', threads: 2 });
    expect(outcome.step).toBe(2);
    expect(Number.isFinite(outcome.finalCost)).toBe(true);
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).spec.train.threads).toBe(2);
  });
});
