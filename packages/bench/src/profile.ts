/**
 * Where one training step's time goes: the top tfjs kernels by total time, for one NTM
 * training step at the copy settings (LSTM 100, N=128, M=20, 1 read + 1 write head, Adam,
 * global-norm clip 50, one length-20 copy sequence = 41 time steps), on the backend given by
 * --backend, for --kernels fused|reference and each --batches size; --memory dnc profiles the
 * DNC with 4 read heads instead (the train-step bench's dnc-r4).
 *
 * Every kernel dispatch (forward ops and the backward ops the gradient tape runs) is timed by
 * wrapping the engine's runKernel; "dispatch overhead" is the step's wall time not spent inside
 * any kernel (tape, tidy, JavaScript between ops). Prints one JSON line per kernel in the top
 * --top, plus one `(total)` and one `(outside kernels)` line per configuration;
 * `bench/run.ts profile` runs it once per backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@engram/tensor';
import { copyTrainer, type WorkloadMemory } from './copyWorkload.ts';
import { arg } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const batches = arg('batches', '1,32').split(',').map(Number);
const kernelsList = arg('kernels', 'fused').split(',') as ('fused' | 'reference')[];
const top = Number(arg('top', '12'));
const length = Number(arg('length', '20'));
const memory = arg('memory', 'ntm') as WorkloadMemory;
if (memory !== 'ntm' && memory !== 'dnc') throw new Error(`--memory: unknown memory '${memory}'; use ntm or dnc`);

interface Tally {
  calls: number;
  ms: number;
}
const tallies = new Map<string, Tally>();
let depth = 0;
const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown; runKernelFunc: (...a: unknown[]) => unknown };
const original = engine.runKernel.bind(engine);
// Only the outermost dispatch is counted (kernels may run kernels).
engine.runKernel = (...args: unknown[]) => {
  if (depth > 0) return original(...args);
  depth++;
  const t0 = performance.now();
  try {
    return original(...args);
  } finally {
    const name = args[0] as string;
    const t = tallies.get(name) ?? { calls: 0, ms: 0 };
    t.calls += 1;
    t.ms += performance.now() - t0;
    tallies.set(name, t);
    depth--;
  }
};

for (const kernels of kernelsList) {
  for (const batch of batches) {
    // every profiled step is a length-`length` sequence (41 time steps at the default 20)
    const trainer = copyTrainer(kernels, batch, new Rng(5), length, length, memory === 'dnc' ? { readHeads: 4 } : {}, memory);
    const step = () => trainer.step();
    step();
    step(); // warm-up
    tallies.clear();
    const t0 = performance.now();
    step();
    const wall = performance.now() - t0;
    const rows = [...tallies].sort((a, b) => b[1].ms - a[1].ms);
    const inKernels = rows.reduce((s, [, t]) => s + t.ms, 0);
    const calls = rows.reduce((s, [, t]) => s + t.calls, 0);
    const base = { backend: backend.name, memory, kernels, batch };
    console.log(JSON.stringify({ ...base, kernel: '(total)', calls, totalMs: wall, share: 1 }));
    console.log(JSON.stringify({ ...base, kernel: '(outside kernels)', calls: 0, totalMs: wall - inKernels, share: (wall - inKernels) / wall }));
    for (const [name, t] of rows.slice(0, top)) {
      console.log(JSON.stringify({ ...base, kernel: name, calls: t.calls, totalMs: t.ms, share: t.ms / wall }));
    }
    trainer.dispose();
  }
}
