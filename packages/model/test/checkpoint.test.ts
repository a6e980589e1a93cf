import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngramError } from '@engram/tensor';
import { buildModel, Trainer, type ModelConfig } from '../src/index.ts';
import { fileCheckpoints, listCheckpoints, loadCheckpoint } from '../src/node.ts';
import { tinyCopy } from './tinyCopy.ts';

const config: ModelConfig = { kind: 'ntm', inputSize: 5, outputSize: 4, seed: 1, controller: { kind: 'lstm', units: 8 }, memory: { slots: 6, width: 3 } };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engram-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function trainTo(steps: number, root: string): Promise<Trainer> {
  const t = new Trainer(
    buildModel(config),
    tinyCopy(),
    { steps, batchSize: 2, evalEvery: 100, evalSequences: 4, checkpointEvery: 2, seed: 1 },
    { checkpoints: fileCheckpoints(root) },
  );
  await t.run();
  return t;
}

describe('checkpoints', () => {
  it('keeps the newest two, named by step, with a latest pointer, in the tfjs artifacts format', async () => {
    await trainTo(6, dir);
    expect(listCheckpoints(dir)).toEqual(['step-00000004', 'step-00000006']);
    expect(readFileSync(join(dir, 'latest'), 'utf8').trim()).toBe('step-00000006');
    const json = JSON.parse(readFileSync(join(dir, 'step-00000006', 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.modelTopology.engram).toEqual(config);
    expect(json.userDefinedMetadata.step).toBe(6);
    const ckpt = await loadCheckpoint(dir);
    expect(Object.keys(ckpt.optimizer).some((k) => k.startsWith('m/'))).toBe(true);
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer)]);
  });

  it('a truncated weights file is a clear error and the previous checkpoint still loads', async () => {
    await trainTo(4, dir);
    truncateSync(join(dir, 'step-00000004', 'weights.bin'), 100);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint: .*weights\.bin does not match its recorded checksum/);
    const prev = await loadCheckpoint(dir, 'previous');
    expect(prev.meta['step']).toBe(2);
    tf.dispose([...Object.values(prev.weights), ...Object.values(prev.optimizer)]);
    const t = new Trainer(buildModel(config), tinyCopy(), { steps: 4, batchSize: 2, seed: 1 }, { checkpoints: fileCheckpoints(dir) });
    await t.resume('previous');
    expect(t.step).toBe(2);
  });

  it('a corrupted manifest is a clear error', async () => {
    await trainTo(2, dir);
    writeFileSync(join(dir, 'step-00000002', 'model.json'), '{"format": "engram-chec');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/model\.json is not valid JSON/);
  });

  it('loading into a model with another config names the mismatching field', async () => {
    await trainTo(2, dir);
    const other = new Trainer(
      buildModel({ ...config, memory: { slots: 7, width: 3 } }),
      tinyCopy(),
      { steps: 4, batchSize: 2 },
      { checkpoints: fileCheckpoints(dir) },
    );
    await expect(other.resume()).rejects.toThrow(/model\.memory\.slots is 6 in the checkpoint but 7 in this model/);
  });

  it('a missing checkpoint is an EngramError', async () => {
    await expect(loadCheckpoint(join(dir, 'nothing'))).rejects.toBeInstanceOf(EngramError);
  });
});

describe('non-finite loss', () => {
  it('stops before changing weights, names the step, and the last checkpoint stays loadable', async () => {
    const t = await trainTo(2, dir);
    const model = t.model;
    const kernel = model.namedVariables['output/kernel'] as tf.Variable;
    kernel.assign(tf.fill(kernel.shape, Number.NaN));
    const before = Object.fromEntries(Object.entries(model.namedVariables).map(([k, v]) => [k, Array.from(v.dataSync())]));
    expect(() => t.trainStep()).toThrow(
      /training: step 3: loss is NaN, weights left unchanged; lower the learning rate or clip harder \(the weights after step 2 are kept\)/,
    );
    for (const [k, v] of Object.entries(model.namedVariables)) expect(Array.from(v.dataSync())).toEqual(before[k]);
    const ckpt = await loadCheckpoint(dir);
    expect(ckpt.meta['step']).toBe(2);
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer)]);
  });
});
