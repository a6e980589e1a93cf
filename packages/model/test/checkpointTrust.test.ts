/**
 * Checkpoint files are not trusted (issue 15, item 6): a checkpoint without optimizer state or
 * without the random generators' states, a `latest` pointer out of the checkpoint directory
 * and a weights manifest naming a path outside it are refused with one EngramError each.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, Trainer, type ModelConfig } from '../src/index.ts';
import { fileCheckpoints, loadCheckpoint, saveCheckpoint } from '../src/node.ts';
import { tinyCopy } from './tinyCopy.ts';

const ntm: ModelConfig = { kind: 'ntm', inputSize: 5, outputSize: 4, seed: 1, controller: { kind: 'lstm', units: 8 }, memory: { slots: 6, width: 3 } };
const train = { steps: 4, batchSize: 2, evalEvery: 4, evalSequences: 4, checkpointEvery: 2, seed: 1 };
const root = mkdtempSync(join(tmpdir(), 'engram-trust-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A run trained to step 2 under `dir`, then a copy of its checkpoint with `edit` applied to the checkpoint's parts. */
async function damaged(name: string, edit: (c: Awaited<ReturnType<typeof loadCheckpoint>>) => Parameters<typeof saveCheckpoint>[2]): Promise<string> {
  const dir = join(root, name);
  const t = new Trainer(buildModel(ntm), tinyCopy(), { ...train, steps: 2 }, { checkpoints: fileCheckpoints(dir) });
  await t.run();
  const ckpt = await loadCheckpoint(dir);
  await saveCheckpoint(dir, 3, edit(ckpt));
  return dir;
}

const resume = (dir: string) => new Trainer(buildModel(ntm), tinyCopy(), train, { checkpoints: fileCheckpoints(dir) }).resume();

describe('a damaged checkpoint is refused, not trusted', () => {
  it('no optimizer state: refused (a fresh optimizer would not be bit-identical)', async () => {
    const dir = await damaged('no-optimizer', (c) => ({ ...c, optimizer: {} }));
    await expect(resume(dir)).rejects.toThrow(/checkpoint: .* holds no optimizer state; it cannot resume bit-identically/);
  });

  it('no data or noise generator state: refused before any step is trained', async () => {
    const noData = await damaged('no-rng', (c) => ({ ...c, meta: { ...c.meta, dataRng: undefined } }));
    await expect(resume(noData)).rejects.toThrow(/checkpoint: .* has no valid dataRng/);
    const badNoise = await damaged('bad-rng', (c) => ({ ...c, meta: { ...c.meta, noiseRng: { i: 0, j: 0, S: [1, 2] } } }));
    await expect(resume(badNoise)).rejects.toThrow(/checkpoint: .* has no valid noiseRng/);
  });

  it('a latest pointer out of the checkpoint directory: refused', async () => {
    const dir = await damaged('pointer', (c) => c);
    writeFileSync(join(dir, 'latest'), '../../elsewhere\n');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/names '\.\.\/\.\.\/elsewhere', not a checkpoint directory of this run/);
  });

  it('temporaries left by a process that died mid-write are removed by the next save; its own failed writes leave none', async () => {
    const dir = await damaged('stale', (c) => c);
    mkdirSync(join(dir, '.tmp-step-00000009-999999'));
    writeFileSync(join(dir, 'latest.tmp-999999'), 'step-0000');
    const ckpt = await loadCheckpoint(dir);
    await saveCheckpoint(dir, 4, ckpt);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a weights manifest naming a path outside its directory: refused', async () => {
    const dir = await damaged('manifest', (c) => c);
    const model = join(dir, 'step-00000003', 'model.json');
    const json = JSON.parse(readFileSync(model, 'utf8'));
    json.weightsManifest[0].paths = ['../step-00000002/weights.bin'];
    writeFileSync(model, JSON.stringify(json));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/names weights \["\.\.\/step-00000002\/weights\.bin"\], not one file beside it/);
  });
});
