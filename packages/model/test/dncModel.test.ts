/**
 * The DNC behind the one memory interface: the model, the Trainer, traces and the tf.layers cell
 * take `memory.kind: 'dnc'` without knowing which memory they drive.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError } from '@engram/tensor';
import { buildModel, engramCell, Trainer, unroll, type ModelConfig } from '../src/index.ts';
import { tinyCopy } from './tinyCopy.ts';

const dnc: ModelConfig = {
  kind: 'ntm',
  inputSize: 5,
  outputSize: 4,
  seed: 3,
  controller: { kind: 'lstm', units: 24 },
  memory: { kind: 'dnc', slots: 8, width: 6, readHeads: 2 },
};

describe('a DNC model', () => {
  it('trains on a tiny copy task: the evaluation cost falls', async () => {
    const model = buildModel(dnc);
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
    const last = trainer.evaluate().cost;
    expect(last).toBeLessThan(first * 0.7);
    model.dispose();
  });

  it('traces usage, read modes and the link matrix per step next to the weights', () => {
    const model = buildModel({ ...dnc, memory: { kind: 'dnc', slots: 8, width: 6, readHeads: 2, writeHeads: 2, sharpness: true } });
    const x = tf.ones([7, 3, 5]) as tf.Tensor3D;
    const { trace } = unroll(model, x, { trace: true });
    expect(trace!.readWeights.shape).toEqual([7, 3, 2, 8]);
    expect(trace!.writeWeights.shape).toEqual([7, 3, 2, 8]);
    expect(trace!.extras!['usage']!.shape).toEqual([7, 3, 8]);
    expect(trace!.extras!['readModes']!.shape).toEqual([7, 3, 2, 5]);
    expect(trace!.extras!['link']!.shape).toEqual([7, 3, 2, 8, 8]);
    tf.dispose([x, trace as unknown as tf.TensorContainer]);
    model.dispose();
  });

  it('names a bad memory kind with the field and the fix', () => {
    expect(() => buildModel({ ...dnc, memory: { kind: 'ram', slots: 8, width: 6 } as unknown as ModelConfig['memory'] })).toThrow(EngramError);
    expect(() => buildModel({ ...dnc, memory: { kind: 'ram', slots: 8, width: 6 } as unknown as ModelConfig['memory'] })).toThrow(/model\.memory\.kind/);
  });

  it('runs as a tf.layers cell in tf.sequential (its eight state tensors flattened by name); model.fit lowers the loss', async () => {
    const model = tf.sequential();
    model.add(
      tf.layers.rnn({
        cell: engramCell({ controller: { kind: 'lstm', units: 16 }, memory: { kind: 'dnc', slots: 8, width: 4, readHeads: 2 }, seed: 2 }),
        returnSequences: true,
        inputShape: [6, 3],
      }),
    );
    model.add(tf.layers.dense({ units: 3, activation: 'sigmoid' }));
    const cell = (model.layers[0] as unknown as { cell: { stateSize: number[] } }).cell;
    // output, LSTM h and c, memory, read weights, write weights, read vectors, usage, link, precedence, read modes, flag
    expect(cell.stateSize).toEqual([16 + 8, 16, 16, 32, 16, 8, 8, 8, 64, 8, 6, 1]);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
    const x = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([32, 6, 3], 0, 1, 'float32', 5), 0.5), 'float32'));
    const y = tf.tidy(() => tf.concat([tf.zeros([32, 1, 3]), tf.slice(x, [0, 0, 0], [32, 5, 3])], 1));
    const history = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0, shuffle: false });
    const losses = history.history['loss'] as number[];
    expect(losses.at(-1) as number).toBeLessThan(losses[0] as number);
    model.dispose();
    tf.dispose([x, y]);
  });
});
