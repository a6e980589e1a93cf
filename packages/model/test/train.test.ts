import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, Trainer, type ModelConfig, type TrainConfig } from '../src/index.ts';
import { fileCheckpoints } from '../src/node.ts';
import { tinyCopy } from './tinyCopy.ts';

const ntm: ModelConfig = {
  kind: 'ntm',
  inputSize: 5,
  outputSize: 4,
  seed: 3,
  controller: { kind: 'lstm', units: 32 },
  memory: { slots: 8, width: 6 },
};
const train: TrainConfig = { steps: 200, batchSize: 16, evalEvery: 1000, evalSequences: 32, optimizer: { kind: 'adam', lr: 1e-2 }, seed: 5 };

function trainer(steps: number, dir?: string, config: ModelConfig = ntm): Trainer {
  return new Trainer(buildModel(config), tinyCopy(), { ...train, steps }, dir ? { checkpoints: fileCheckpoints(dir) } : {});
}

describe('Trainer', () => {
  it('halves the NTM loss on a tiny copy task within 200 steps', async () => {
    const t = trainer(200);
    const { steps } = await t.run();
    const first = steps.slice(0, 10).reduce((s, r) => s + r.loss, 0) / 10;
    const last = steps.slice(-10).reduce((s, r) => s + r.loss, 0) / 10;
    expect(last).toBeLessThan(first / 2);
  });

  it('is deterministic: same seed, identical losses', async () => {
    const a = (await trainer(15).run()).steps.map((r) => r.loss);
    const b = (await trainer(15).run()).steps.map((r) => r.loss);
    expect(b).toEqual(a);
  });

  it('resumes bit-identically after an interruption', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-resume-'));
    try {
      const full = await trainer(12).run();
      const first = trainer(5, join(dir, 'ckpt'));
      await first.run();
      const second = new Trainer(buildModel(ntm), tinyCopy(), { ...train, steps: 12 }, { checkpoints: fileCheckpoints(join(dir, 'ckpt')) });
      await second.resume();
      expect(second.step).toBe(5);
      const rest = await second.run();
      expect(rest.steps.map((r) => r.loss)).toEqual(full.steps.slice(5).map((r) => r.loss));
      expect(rest.evals.at(-1)).toEqual(full.evals.at(-1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows a learning-rate schedule: unchanged up to the change, different after, and resumed across the change bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-schedule-'));
    const run = (optimizer: TrainConfig['optimizer'], steps: number, ckpt?: string) =>
      new Trainer(buildModel(ntm), tinyCopy(), { ...train, steps, optimizer }, ckpt ? { checkpoints: fileCheckpoints(ckpt) } : {});
    try {
      const plain = (await run({ kind: 'adam', lr: 1e-2 }, 8).run()).steps.map((r) => r.loss);
      const lowered = { kind: 'adam' as const, lr: 1e-2, lrSchedule: [{ afterStep: 4, lr: 1e-4 }] };
      const scheduled = (await run(lowered, 8).run()).steps.map((r) => r.loss);
      // step 5's loss is computed before its update, so the first five losses share the rate-1e-2 weights
      expect(scheduled.slice(0, 5)).toEqual(plain.slice(0, 5));
      expect(scheduled.slice(5)).not.toEqual(plain.slice(5));
      // a change to the same rate is no change
      const same = (await run({ kind: 'adam', lr: 1e-2, lrSchedule: [{ afterStep: 4, lr: 1e-2 }] }, 8).run()).steps.map((r) => r.loss);
      expect(same).toEqual(plain);
      // stopped before the change, resumed past it
      await run(lowered, 3, join(dir, 'ckpt')).run();
      const resumed = run(lowered, 8, join(dir, 'ckpt'));
      await resumed.resume();
      expect(resumed.step).toBe(3);
      expect((await resumed.run()).steps.map((r) => r.loss)).toEqual(scheduled.slice(3));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('train.stopWhen', () => {
    // Evaluations at steps 2, 4 and 6; the costs of an unstopped run pick the thresholds.
    const short = { ...train, steps: 6, evalEvery: 2 };
    const run = (config: TrainConfig, dir?: string) => new Trainer(buildModel(ntm), tinyCopy(), config, dir ? { checkpoints: fileCheckpoints(dir) } : {}).run();

    it('ends training at the first evaluation below the threshold', async () => {
      const free = await run(short);
      expect(free.evals.map((e) => e.step)).toEqual([2, 4, 6]);
      for (const e of free.evals) {
        const cost = e.cost + 1e-9; // every evaluation from the first one as cheap as e passes
        const first = free.evals.find((x) => x.cost < cost) as (typeof free.evals)[number];
        const stopped = await run({ ...short, stopWhen: { cost } });
        expect(stopped.solved).toEqual(first);
        expect(stopped.evals).toEqual(free.evals.slice(0, free.evals.indexOf(first) + 1));
        expect(stopped.steps).toHaveLength(first.step);
      }
    });

    it('checkEvery stops between evaluations when a quick check and then the full evaluation pass; a failing full evaluation trains on', async () => {
      const sparse = { ...train, steps: 6, evalEvery: 6 };
      const stopped = await run({ ...sparse, stopWhen: { cost: 1000, checkEvery: 2 } });
      expect(stopped.steps).toHaveLength(2);
      expect(stopped.solved?.step).toBe(2);
      expect(stopped.evals.map((e) => e.step)).toEqual([2]);
      // the full evaluation at step 2 is the one an evaluation there would give
      const free = await run({ ...train, steps: 6, evalEvery: 2 });
      expect(stopped.solved).toEqual(free.evals[0]);
      // below no threshold: the quick checks record nothing, and the evaluations stay on schedule
      const never = await run({ ...sparse, stopWhen: { cost: 1e-9, checkEvery: 2 } });
      expect(never.steps).toHaveLength(6);
      expect(never.evals.map((e) => e.step)).toEqual([6]);
    });

    it('runs to train.steps when no evaluation is below the threshold', async () => {
      const r = await run({ ...short, stopWhen: { cost: 1e-9 } });
      expect(r.solved).toBeUndefined();
      expect(r.steps).toHaveLength(6);
      expect(r.evals.map((e) => e.step)).toEqual([2, 4, 6]);
    });

    it('checkpoints where it stopped, and a resumed solved trainer does not train further', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-stop-'));
      try {
        const config = { ...short, checkpointEvery: 1000, stopWhen: { cost: 1000 } };
        const first = await run(config, dir);
        expect(first.solved?.step).toBe(2);
        const again = new Trainer(buildModel(ntm), tinyCopy(), { ...config, steps: 100 }, { checkpoints: fileCheckpoints(dir) });
        await again.resume();
        expect(again.step).toBe(2);
        expect(again.solved).toEqual(first.solved);
        const rest = await again.run();
        expect(rest.steps).toEqual([]);
        expect(rest.solved).toEqual(first.solved);
        // Without stopWhen (or with a stricter threshold) the same checkpoint trains on.
        const free = new Trainer(buildModel(ntm), tinyCopy(), { ...short, steps: 4 }, { checkpoints: fileCheckpoints(dir) });
        await free.resume();
        expect(free.solved).toBeUndefined();
        expect((await free.run()).steps).toHaveLength(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('rejects a threshold that is not a positive number, naming train.stopWhen.cost', () => {
      for (const cost of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '0.1' as unknown as number]) {
        expect(() => new Trainer(buildModel(ntm), tinyCopy(), { ...short, stopWhen: { cost } }), String(cost)).toThrow(
          /^train\.stopWhen\.cost: .* is not a positive number; use a positive cost in bits per sequence/,
        );
      }
    });
  });

  // The fast path's leak check (issue 5): 1,000 steps each, soft heads (the fused group
  // kernels) and top-k heads (the sparse kernels), numTensors compared after every step.
  for (const mode of ['soft', { kind: 'topk', k: 2 }] as const) {
    it(`does not grow tf.memory().numTensors across 1,000 training steps (${typeof mode === 'string' ? mode : 'topk'} heads)`, async () => {
      const config: ModelConfig = { ...ntm, controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 6, readMode: mode, writeMode: mode } };
      const t = new Trainer(buildModel(config), tinyCopy(4, 2), { ...train, batchSize: 2, steps: 2000 });
      t.trainStep();
      const before = tf.memory().numTensors;
      const growth: number[] = [];
      for (let i = 0; i < 1000; i++) {
        t.trainStep();
        const n = tf.memory().numTensors;
        if (n !== before) growth.push(i + 2, n - before);
        // let the worker answer vitest's RPC: ~20 s of blocking makes it report an unhandled timeout
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      expect(growth, '[step, growth] pairs').toEqual([]);
      expect(t.step).toBe(1001);
      t.dispose();
      t.model.dispose();
    });
  }
});
