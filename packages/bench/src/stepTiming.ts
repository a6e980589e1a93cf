/**
 * Times one memory step on the backend given by --backend, forward only and forward +
 * backward, at the copy-task sizes (N=128, M=20, 1 read + 1 write head, controller 100), for
 * each memory in --memories (ntm: MemoryAccess; dnc: DncAccess with as many heads; default
 * both), through the MemoryModule interface. Prints one JSON line per measurement; `bench/run.ts
 * step` runs it once per backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@engram/tensor';
import { makeMemory, type MemoryKind } from '@engram/memory';
import { arg, median } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const repeats = Number(arg('repeats', '30'));
const batches = arg('batches', '1,32').split(',').map(Number);
const slots = Number(arg('slots', '128'));
const width = Number(arg('width', '20'));
const controllerSize = 100;
const memories = arg('memories', 'ntm,dnc').split(',') as MemoryKind[];

function time(fn: () => void): number[] {
  for (let i = 0; i < 5; i++) fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

for (const kind of memories) {
  const access = makeMemory({ kind, slots, width, readHeads: 1, writeHeads: 1, controllerSize, seed: 1 });
  const rng = new Rng(7);
  for (const batch of batches) {
    const c = rng.normalTensor([batch, controllerSize]) as tf.Tensor2D;
    const state = access.initialState(batch);
    const forward = time(() => {
      tf.tidy(() => {
        const [r] = access.step(c, state);
        r.dataSync();
      });
    });
    const backward = time(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(access.step(c, state)[0]) as tf.Scalar);
      value.dataSync();
      for (const g of Object.values(grads)) g.dataSync();
      tf.dispose([value, grads]);
    });
    for (const [pass, ms] of [
      ['forward', forward],
      ['forward+backward', backward],
    ] as const) {
      console.log(JSON.stringify({ backend: backend.name, memory: kind, batch, slots, width, pass, medianMs: median(ms), minMs: Math.min(...ms), repeats }));
    }
    tf.dispose([c, ...access.stateTensors.map((t) => (state as unknown as Record<string, tf.Tensor>)[t.name] as tf.Tensor)]);
  }
  access.dispose();
}
