import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { EngramError, Rng } from '@engram/tensor';
import {
  buildModel,
  maskedSigmoidCrossEntropy,
  shardGradients,
  shardSizes,
  sliceBatch,
  Trainer,
  unroll,
  unsplittable,
  type GradientShards,
  type ModelConfig,
  type ShardRequest,
  type ShardResult,
  type TrainConfig,
} from '../src/index.ts';
import { threadShards } from '../src/node.ts';
import { tinyCopy } from './tinyCopy.ts';

const ntm = (memory: Partial<NonNullable<ModelConfig['memory']>> = {}): ModelConfig => ({
  kind: 'ntm',
  inputSize: 5,
  outputSize: 4,
  seed: 3,
  controller: { kind: 'lstm', units: 16 },
  memory: { slots: 8, width: 6, ...memory } as ModelConfig['memory'],
});
const train: TrainConfig = { steps: 3, batchSize: 9, evalEvery: 1000, evalSequences: 8, optimizer: { kind: 'adam', lr: 1e-2 }, seed: 5 };

/** The whole batch's gradients on one model, by weight path. */
function wholeBatchGradients(config: ModelConfig, batchSize: number): { grads: Float32Array[]; loss: number; shards: Float32Array[][]; shardLoss: number } {
  const model = buildModel(config);
  const batch = tinyCopy().sample(batchSize, new Rng('shards'));
  const vars = Object.values(model.namedVariables);
  const { value, grads } = tf.variableGrads(
    () => maskedSigmoidCrossEntropy(unroll(model, batch.inputs, { training: true }).outputs, batch.targets, batch.mask),
    vars,
  );
  const whole = vars.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array);
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, grads]);
  // the same batch in three shards on a second model of the same config
  const other = buildModel(config);
  const scoredBits = (tf.sum(batch.mask).dataSync()[0] as number) * 4;
  const weights = vars.map((v) => v.dataSync() as Float32Array);
  const sizes = shardSizes(batchSize, 3);
  let offset = 0;
  const results = sizes.map((size) => {
    const part = sliceBatch(batch, offset, size);
    offset += size;
    const plain = (t: tf.Tensor) => ({ data: t.dataSync() as Float32Array, shape: t.shape });
    const r = shardGradients(other, { weights, scoredBits, inputs: plain(part.inputs), targets: plain(part.targets), mask: plain(part.mask) });
    tf.dispose([part.inputs, part.targets, part.mask]);
    return r;
  });
  tf.dispose([batch.inputs, batch.targets, batch.mask]);
  model.dispose();
  other.dispose();
  return { grads: whole, loss, shards: results.map((r) => r.grads), shardLoss: results.reduce((s, r) => s + r.loss, 0) };
}

/** Shards computed on this thread by a second model: what the worker threads do, without threads. */
function inProcessShards(config: ModelConfig, count: number): GradientShards & { models: number } {
  const models = Array.from({ length: count }, () => buildModel(config));
  const pending: (ShardRequest | undefined)[] = [];
  return {
    count,
    models: models.length,
    start: (i, request) => {
      pending[i] = request;
    },
    finish: (i): ShardResult => shardGradients(models[i] as ReturnType<typeof buildModel>, pending[i] as ShardRequest),
    dispose: () => {
      for (const m of models) m.dispose();
    },
  };
}

function trainedWeights(config: ModelConfig, shards?: GradientShards): { weights: Float32Array[]; losses: number[] } {
  const model = buildModel(config);
  const t = new Trainer(model, tinyCopy(), train, shards ? { shards } : {});
  const losses = [t.trainStep().loss, t.trainStep().loss, t.trainStep().loss];
  const weights = Object.values(model.namedVariables).map((v) => v.dataSync().slice() as Float32Array);
  t.dispose();
  model.dispose();
  return { weights, losses };
}

const maxRelative = (a: Float32Array, b: Float32Array) => {
  let worst = 0;
  const scale = Math.max(1e-3, ...Array.from(a, Math.abs));
  a.forEach((x, i) => {
    worst = Math.max(worst, Math.abs(x - (b[i] as number)) / scale);
  });
  return worst;
};

describe('data-parallel gradients: shards of a batch add up to the whole batch', () => {
  const modes: [string, ModelConfig][] = [
    ['soft', ntm()],
    ['hard (straight-through)', ntm({ readMode: 'hard', writeMode: 'hard' })],
    ['top-k 2', ntm({ readMode: { kind: 'topk', k: 2 }, writeMode: { kind: 'topk', k: 2 } })],
    ['sparsemax', ntm({ readMode: 'sparsemax', writeMode: 'sparsemax' })],
    ['DNC', { ...ntm(), memory: { kind: 'dnc', slots: 8, width: 6, readHeads: 2 } }],
    ['memory-less LSTM', { kind: 'lstm', inputSize: 5, outputSize: 4, seed: 3, controller: { kind: 'lstm', units: 16 } }],
  ];
  for (const [name, config] of modes) {
    it(`${name}: the three shards' gradients and loss parts sum to the batch's (1e-5 relative)`, () => {
      const r = wholeBatchGradients(config, 9);
      expect(Math.abs(r.shardLoss - r.loss) / r.loss).toBeLessThan(1e-5);
      r.grads.forEach((g, k) => {
        const sum = new Float32Array(g.length);
        for (const s of r.shards) (s[k] as Float32Array).forEach((x, i) => (sum[i] = (sum[i] as number) + x));
        expect(maxRelative(g, sum)).toBeLessThan(1e-5);
      });
    });
  }

  it('shardSizes splits as evenly as can be; more shards than sequences is an error naming threads', () => {
    expect(shardSizes(9, 2)).toEqual([5, 4]);
    expect(shardSizes(32, 2)).toEqual([16, 16]);
    expect(shardSizes(10, 3)).toEqual([4, 3, 3]);
    expect(() => shardSizes(2, 3)).toThrow(/^threads: 3 shards of a batch of 2; use at most 2 threads, or a larger batch$/);
  });

  it('gumbel and REINFORCE heads cannot be split (their noise); the Trainer refuses them with a line naming threads', () => {
    expect(unsplittable(ntm())).toBeUndefined();
    expect(unsplittable(ntm({ readMode: { kind: 'gumbel', tau: 1 } }))).toMatch(/gumbel/);
    expect(unsplittable(ntm({ writeMode: 'reinforce' }))).toMatch(/reinforce/);
    const shards = inProcessShards(ntm(), 1);
    const model = buildModel(ntm({ readMode: 'reinforce', writeMode: 'reinforce' }));
    expect(() => new Trainer(model, tinyCopy(), train, { shards })).toThrow(EngramError);
    expect(() => new Trainer(model, tinyCopy(), train, { shards })).toThrow(/^threads: the batch cannot be split over threads: reinforce heads/);
    const plain = buildModel(ntm());
    expect(() => new Trainer(plain, tinyCopy(), train, { shards: { ...shards, count: 0 } })).toThrow(/^threads: shards with 0 other threads/);
    plain.dispose();
    model.dispose();
    shards.dispose();
  });
});

describe('threadShards: worker threads', () => {
  const pools: GradientShards[] = [];
  afterAll(() => {
    for (const p of pools) p.dispose();
  });

  it('trains to the very numbers of the same split on one thread, twice alike, and leaks no tensor', { timeout: 120_000 }, () => {
    const config = ntm();
    const reference = trainedWeights(config, inProcessShards(config, 1));
    const before = tf.memory().numTensors;
    // the worker on this thread's backend: the same kernels, so the same numbers
    const pool = threadShards(config, tf.getBackend(), 2);
    pools.push(pool);
    const threaded = trainedWeights(config, pool);
    const again = trainedWeights(config, pool);
    expect(tf.memory().numTensors).toBe(before);
    expect(threaded.losses).toEqual(reference.losses);
    expect(again.losses).toEqual(threaded.losses);
    threaded.weights.forEach((w, k) => {
      expect(Array.from(w)).toEqual(Array.from(reference.weights[k] as Float32Array));
    });
    // and close to the unsplit batch (the same sums in another order)
    const whole = trainedWeights(config);
    whole.losses.forEach((l, i) => {
      expect(Math.abs(l - (threaded.losses[i] as number)) / l).toBeLessThan(1e-5);
    });
  });

  it('a backend a worker cannot start and a thread count below 2 are one-line errors naming threads', () => {
    expect(() => threadShards(ntm(), 'node', 2)).toThrow(/^threads: worker threads cannot start backend 'node'; use --backend wasm or cpu, or threads: 1$/);
    expect(() => threadShards(ntm(), 'cpu', 1)).toThrow(/^threads: 1 is not an integer >= 2/);
  });

  it("a worker's failure is an error naming threads, not a hang", { timeout: 60_000 }, () => {
    const pool = threadShards(ntm(), tf.getBackend(), 2);
    pools.push(pool);
    pool.start(0, {
      weights: [new Float32Array(1)],
      scoredBits: 1,
      inputs: { data: new Float32Array(5), shape: [1, 1, 5] },
      targets: { data: new Float32Array(4), shape: [1, 1, 4] },
      mask: { data: new Float32Array(1), shape: [1, 1] },
    });
    expect(() => pool.finish(0)).toThrow(/^threads: a worker thread failed a shard: threads: the shard's model has \d+ weights, the request 1/);
  });
});
