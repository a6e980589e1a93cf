import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { train } from '../src/commands/train.ts';
import { traceExample } from '../src/commands/report.ts';
import { tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

describe('traceExample', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns plain arrays and leaves no tensor behind (NTM and DNC)', { timeout: 60_000 }, async () => {
    for (const memory of [
      { slots: 8, width: 4 },
      { kind: 'dnc', slots: 8, width: 4, readHeads: 2 },
    ]) {
      const exp = writeExperiment(
        dir,
        `t-${memory.kind ?? 'ntm'}`,
        tinyCopyExperiment({ name: `t-${memory.kind ?? 'ntm'}`, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory } }),
      );
      const { dir: run } = await train(exp, { out: join(dir, 'results'), backend: 'cpu' });
      const before = tf.memory().numTensors;
      const example = await traceExample(run);
      expect(tf.memory().numTensors).toBe(before);
      expect(example?.writeWeights[0]?.length).toBeGreaterThan(0);
      expect(Array.isArray(example?.inputs[0])).toBe(true);
    }
  });
});
