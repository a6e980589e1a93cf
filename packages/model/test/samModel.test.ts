/**
 * SAM behind the one memory interface, and what it is for: a training step that keeps k rows
 * per step for backpropagation instead of a memory per step (unroll lets go of each memory once
 * the loop has moved past it).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel, engramCell, Trainer, unroll, type ModelConfig } from '../src/index.ts';
import { tinyCopy } from './tinyCopy.ts';

const sam: ModelConfig = {
  kind: 'ntm',
  inputSize: 5,
  outputSize: 4,
  seed: 3,
  controller: { kind: 'lstm', units: 24 },
  memory: { kind: 'sam', slots: 16, width: 6, readHeads: 2, k: 4 },
};

/** Peak bytes of live tensors during one forward and backward pass over `steps` time steps. */
async function peakBytes(config: ModelConfig, steps: number): Promise<{ peak: number; loss: number; grads: number[] }> {
  const model = buildModel(config);
  const x = tf.randomNormal([steps, 1, config.inputSize], 0, 1, 'float32', 7) as tf.Tensor3D;
  let loss = 0;
  let grads: number[] = [];
  const info = await tf.profile(() => {
    const g = tf.variableGrads(() => tf.mean(tf.square(unroll(model, x).outputs)) as tf.Scalar, Object.values(model.namedVariables));
    loss = g.value.dataSync()[0]!;
    grads = Object.values(g.grads).map((t) => tf.tidy(() => tf.sum(tf.abs(t)).dataSync()[0]!));
    tf.dispose([g.value, ...Object.values(g.grads)]);
  });
  x.dispose();
  model.dispose();
  return { peak: info.peakBytes, loss, grads };
}

describe('a SAM model', () => {
  it('trains on a tiny copy task: the evaluation cost falls', async () => {
    const model = buildModel(sam);
    const trainer = new Trainer(model, tinyCopy(), {
      steps: 60,
      batchSize: 16,
      seed: 1,
      evalEvery: 60,
      evalSequences: 64,
      optimizer: { kind: 'adam', lr: 1e-2 },
    });
    const first = trainer.evaluate().cost;
    await trainer.run();
    expect(trainer.evaluate().cost).toBeLessThan(first * 0.8);
    model.dispose();
  });

  it('holds a few memories during a training step, however many time steps, where soft NTM heads hold more than one per step', async () => {
    const slots = 16384;
    const width = 20;
    const steps = 20;
    const perStep = slots * width * 4;
    const sparse = await peakBytes({ ...sam, memory: { kind: 'sam', slots, width, readHeads: 1, k: 8 } }, steps);
    const soft = await peakBytes({ ...sam, memory: { slots, width, readHeads: 1, kernels: 'fused' } }, steps);
    // measured: ~4.1 memories (the initial one, the new one, the memory gradient and its successor)
    expect(sparse.peak).toBeLessThan(6 * perStep);
    expect(soft.peak).toBeGreaterThan(steps * perStep);
    expect(sparse.grads.every((g) => Number.isFinite(g))).toBe(true);
  });

  it('lets go of past memories without changing a number: the same loss and gradients as with traces on (which keep them)', () => {
    const model = buildModel(sam);
    const x = tf.randomNormal([9, 2, 5], 0, 1, 'float32', 5) as tf.Tensor3D;
    const pass = (trace: boolean) => {
      const g = tf.variableGrads(() => {
        const r = unroll(model, x, { trace });
        if (r.trace) tf.dispose(r.trace as unknown as tf.TensorContainer);
        return tf.mean(tf.square(r.outputs)) as tf.Scalar;
      }, Object.values(model.namedVariables));
      const out = [g.value.dataSync()[0]!, ...Object.values(g.grads).flatMap((t) => Array.from(t.dataSync()))];
      tf.dispose([g.value, ...Object.values(g.grads)]);
      return out;
    };
    const before = tf.memory().numTensors;
    expect(pass(false)).toEqual(pass(true));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('runs as a tf.layers cell in tf.sequential (its state tensors flattened by name)', async () => {
    const cell = engramCell({ controller: { kind: 'lstm', units: 16 }, memory: { kind: 'sam', slots: 16, width: 4, readHeads: 2, k: 4 }, seed: 2 });
    const model = tf.sequential({ layers: [tf.layers.rnn({ cell, returnSequences: true, inputShape: [6, 5] }), tf.layers.dense({ units: 4 })] });
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
    const x = tf.randomNormal([8, 6, 5], 0, 1, 'float32', 1);
    const y = tf.randomNormal([8, 6, 4], 0, 1, 'float32', 2);
    const h = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    const losses = h.history['loss'] as number[];
    expect(losses[2]!).toBeLessThan(losses[0]!);
    tf.dispose([x, y]);
    model.dispose();
  });
});
