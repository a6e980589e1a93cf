import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { engramInProcess, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

describe('engram train: the whole-sequence kernel', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const train = { steps: 2, batchSize: 4, optimizer: { kind: 'adam', lr: 0.01 }, evalEvery: 2, evalSequences: 8, checkpointEvery: 2 };

  it('is used silently by an NTM it supports', async () => {
    const exp = writeExperiment(dir, 'soft', tinyCopyExperiment({ train }));
    const r = await engramInProcess(['train', exp, '--out', join(dir, 'results'), '--no-report']);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/whole-sequence/);
  });

  it('an NTM it does not support trains on the per-step kernels, with one line saying why', async () => {
    const model = { kind: 'ntm', controller: { kind: 'feedforward', units: 16 }, memory: { slots: 8, width: 4 } };
    const exp = writeExperiment(dir, 'ff', tinyCopyExperiment({ name: 'tiny-ff', model, train }));
    const r = await engramInProcess(['train', exp, '--out', join(dir, 'results'), '--no-report']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.includes('whole-sequence'));
    expect(lines).toEqual(['engram: whole-sequence kernel not used (it supports a one-layer LSTM controller only); stepping the per-step kernels']);
  });
});
