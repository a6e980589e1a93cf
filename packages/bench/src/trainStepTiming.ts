/**
 * Times one training step (forward + backward + Adam) at the copy-task settings: LSTM 100,
 * N=128, M=20, one length-20 copy sequence (41 time steps), at each batch size, for each memory
 * in --memories (default ntm,ntm-r4,dnc-r4: the NTM with 1 read head, the NTM with 4, the DNC
 * with 4; all with 1 write head). Prints one JSON line per memory and batch size, the memories
 * alternating within a batch size so their ratio is measured in one window; `bench/run.ts
 * train-step` runs it once per backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type Rng, type SequenceBatch, type SequenceTask } from '@engram/tensor';
import { buildModel, Trainer, type MemorySettings } from '@engram/model';
import { arg } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const repeats = Number(arg('repeats', '5'));
const batches = arg('batches', '1,32').split(',').map(Number);
const length = Number(arg('length', '20'));

/** Copy sequences of exactly `length` 8-bit vectors (the bench's fixed workload). */
const fixedCopy: SequenceTask = {
  name: 'copy-fixed',
  inputSize: 9,
  outputSize: 8,
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

const MEMORIES: Record<string, MemorySettings> = {
  ntm: { slots: 128, width: 20 },
  'ntm-r4': { slots: 128, width: 20, readHeads: 4 },
  'dnc-r4': { kind: 'dnc', slots: 128, width: 20, readHeads: 4 },
  'dnc-r1': { kind: 'dnc', slots: 128, width: 20, readHeads: 1 },
};
const memories = arg('memories', 'ntm,ntm-r4,dnc-r4').split(',');
for (const m of memories) if (!MEMORIES[m]) throw new Error(`--memories: unknown memory '${m}'; use some of ${Object.keys(MEMORIES).join(', ')}`);

for (const batch of batches) {
  const trainers = memories.map((name) => {
    const model = buildModel({
      kind: 'ntm',
      inputSize: 9,
      outputSize: 8,
      seed: 1,
      controller: { kind: 'lstm', units: 100 },
      memory: MEMORIES[name] as MemorySettings,
    });
    const trainer = new Trainer(model, fixedCopy, { steps: 1e9, batchSize: batch, seed: 1 });
    trainer.trainStep(); // warm-up
    return { name, model, trainer, ms: [] as number[] };
  });
  for (let i = 0; i < repeats; i++) for (const t of trainers) t.ms.push(t.trainer.trainStep().ms);
  for (const t of trainers) {
    t.ms.sort((a, b) => a - b);
    const median = t.ms[t.ms.length >> 1] as number;
    console.log(
      JSON.stringify({
        backend: backend.name,
        memory: t.name,
        batch,
        length,
        timeSteps: 2 * length + 1,
        medianMs: median,
        minMs: t.ms[0],
        sequencesPerS: (batch * 1000) / median,
        repeats,
      }),
    );
    t.trainer.dispose();
    t.model.dispose();
  }
}
