/**
 * Times one training step (forward + backward + Adam) of the NTM at the copy-task settings:
 * LSTM 100, N=128, M=20, 1 read + 1 write head, one length-20 copy sequence (41 time steps),
 * at each batch size. Prints one JSON line per batch size; `bench/run.ts train-step` runs it
 * once per backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type Rng, type SequenceBatch, type SequenceTask } from '@engram/tensor';
import { buildModel, Trainer } from '@engram/model';
import { arg } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const repeats = Number(arg('repeats', '5'));
const batches = arg('batches', '1,32').split(',').map(Number);
const length = Number(arg('length', '20'));

/** Copy sequences of exactly `length` 8-bit vectors (the bench's fixed workload). */
const fixedCopy: SequenceTask = {
  name: 'copy-fixed', inputSize: 9, outputSize: 8,
  sample(batch: number, rng: Rng): SequenceBatch {
    const steps = 2 * length + 1;
    const x = new Float32Array(steps * batch * 9);
    const y = new Float32Array(steps * batch * 8);
    const m = new Float32Array(steps * batch);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < length; t++) {
        for (let j = 0; j < 8; j++) {
          const bit = rng.next() < 0.5 ? 1 : 0;
          x[(t * batch + b) * 9 + j] = bit;
          y[((length + 1 + t) * batch + b) * 8 + j] = bit;
        }
        m[(length + 1 + t) * batch + b] = 1;
      }
      x[(length * batch + b) * 9 + 8] = 1;
    }
    return { inputs: tf.tensor3d(x, [steps, batch, 9]), targets: tf.tensor3d(y, [steps, batch, 8]), mask: tf.tensor2d(m, [steps, batch]) };
  },
};

for (const batch of batches) {
  const model = buildModel({ kind: 'ntm', inputSize: 9, outputSize: 8, seed: 1, controller: { kind: 'lstm', units: 100 }, memory: { slots: 128, width: 20 } });
  const trainer = new Trainer(model, fixedCopy, { steps: 1e9, batchSize: batch, seed: 1 });
  trainer.trainStep(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) ms.push(trainer.trainStep().ms);
  ms.sort((a, b) => a - b);
  const median = ms[ms.length >> 1] as number;
  console.log(JSON.stringify({ backend: backend.name, batch, length, timeSteps: 2 * length + 1, medianMs: median, minMs: ms[0], sequencesPerS: (batch * 1000) / median, repeats }));
  trainer.dispose();
  model.dispose();
}
