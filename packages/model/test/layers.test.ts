import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engramCell, EngramCell } from '../src/index.ts';
import { fileHandler } from '../src/node.ts';

/** A tiny recall problem: output at every step the input of the previous step. */
function data(seed: number) {
  const x = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([32, 6, 3], 0, 1, 'float32', seed), 0.5), 'float32'));
  const y = tf.tidy(() => tf.concat([tf.zeros([32, 1, 3]), tf.slice(x, [0, 0, 0], [32, 5, 3])], 1));
  return { x, y };
}

function makeModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.rnn({
      cell: engramCell({ controller: { kind: 'lstm', units: 16 }, memory: { slots: 8, width: 4 }, seed: 2 }),
      returnSequences: true,
      inputShape: [6, 3],
    }),
  );
  model.add(tf.layers.dense({ units: 3, activation: 'sigmoid' }));
  return model;
}

describe('EngramCell (tf.layers adapter)', () => {
  it('trains with model.fit inside tf.sequential: the loss falls', async () => {
    const model = makeModel();
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
    const { x, y } = data(1);
    const history = await model.fit(x, y, { epochs: 30, batchSize: 32, verbose: 0, shuffle: false });
    const losses = history.history['loss'] as number[];
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) * 0.8);
    expect(model.getWeights().length).toBeGreaterThan(5);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('saves through a tf.io handler and reloads with identical predictions; getConfig round-trips', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-layers-'));
    try {
      const model = makeModel();
      const { x } = data(3);
      const before = model.predict(x) as tf.Tensor;
      await model.save(fileHandler(dir));
      const loaded = await tf.loadLayersModel(fileHandler(dir));
      const after = loaded.predict(x) as tf.Tensor;
      expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
      const cell = (loaded.layers[0] as unknown as { cell: EngramCell }).cell;
      expect(cell).toBeInstanceOf(EngramCell);
      expect(cell.getConfig()['memory']).toEqual({ slots: 8, width: 4 });
      tf.dispose([x, before, after]);
      model.dispose();
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works in a functional tf.model next to Dense layers', () => {
    const input = tf.input({ shape: [5, 2] });
    const seq = tf.layers
      .rnn({ cell: engramCell({ controller: { kind: 'gru', units: 8 }, memory: { slots: 6, width: 3, readHeads: 2 } }), returnSequences: true })
      .apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1 }).apply(seq) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    expect(seq.shape).toEqual([null, 5, 8 + 2 * 3]);
    const y = model.predict(tf.ones([4, 5, 2])) as tf.Tensor;
    expect(y.shape).toEqual([4, 5, 1]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});
