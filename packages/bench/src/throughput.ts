/**
 * Training throughput at the copy-task settings: sequences per second of whole training steps
 * (sample, unroll, loss, gradients, global-norm clip 50, Adam) of the NTM (LSTM 100, N=128,
 * M=20, 1 read + 1 write head, shifts -1..1) on copy sequences of random length 1-20, for each
 * memory kernel choice (--kernels fused,reference) and batch size (--batches 1,32), on the
 * backend given by --backend; --memories ntm,dnc also trains the DNC with the same heads
 * (default ntm). Both kernel choices see the same sequence lengths (one seed).
 *
 * After --warmup steps, --repeats blocks of --steps steps are timed; a configuration stops
 * early (after at least one block) once it has used --max-seconds, and one whose first step
 * alone would make a block overrun (the composite cpu path at batch 32 takes ~30 s a step)
 * warms up with that step only and times shorter blocks. One JSON line per
 * configuration with the median, min and max over blocks; `bench/run.ts throughput` runs it
 * once per backend and adds the fused/reference ratios.
 *
 * Side by side with pytorch-ntm: `--peer DIR` (or ENGRAM_PYTORCH_NTM=DIR), DIR a checkout of
 * github:loudinthecloud/pytorch-ntm outside this repository, with Debian's python3-torch
 * installed. Then, per batch size, engram's default path (fused kernels, the memory above) and
 * pytorch-ntm's own training loop (pytorchNtm.py: its train_batch, one torch thread) alternate
 * block by block, --repeats times, with the same steps per block; one JSON line per batch with
 * both medians and their ratio.
 *
 * `--simd ab`: per batch size, two fused trainers from one seed (so their blocks see the same
 * sequence lengths), one on the fused kernels' WebAssembly SIMD twins and one on their
 * JavaScript loops (setSimdKernels), alternating block by block --repeats times; one JSON line per batch with both medians and their ratio (the A/B of the SIMD kernels
 * in one window).
 *
 * `--sequence ab`: per batch size, two fused trainers from one seed, one unrolling through the
 * whole-sequence kernel and one stepping the per-step kernels (setSequenceKernel), alternating
 * block by block --repeats times; one JSON line per batch with both medians and their ratio.
 *
 * `--threads N`: data-parallel training (the batch split over N threads, worker_threads). With
 * --peer, engram's side trains through the Trainer on N threads. Without it, `--threads N`
 * alternates, per batch size, a one-thread and an N-thread Trainer from one seed block by
 * block, --repeats times; one JSON line per batch with both medians and their ratio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setSimdKernels } from '@engram/memory';
import { setSequenceKernel } from '@engram/model';
import { initBackend, Rng } from '@engram/tensor';
import { copyTrainer, trainerCopyTrainer, type CopyTrainer, type WorkloadMemory } from './copyWorkload.ts';
import { arg, median } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const batches = arg('batches', '1,32').split(',').map(Number);
const kernelsList = arg('kernels', 'fused,reference').split(',') as ('fused' | 'reference')[];
const warmup = Number(arg('warmup', '2'));
const steps = Number(arg('steps', '5'));
const repeats = Number(arg('repeats', '3'));
const maxSeconds = Number(arg('max-seconds', '40'));
const memories = arg('memories', 'ntm').split(',') as WorkloadMemory[];
for (const m of memories) if (m !== 'ntm' && m !== 'dnc') throw new Error(`--memories: unknown memory '${m}'; use ntm, dnc`);

const threads = process.argv.includes('--threads') ? Number(arg('threads', '2')) : 1;
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: ${threads} is not a positive integer; use e.g. --threads 2`);
/** The trainer engram's side of a side-by-side times: the bench's own step, or the Trainer on --threads threads. */
const engramTrainer = (batch: number): CopyTrainer =>
  threads > 1 ? trainerCopyTrainer(batch, 1, threads, backend.name) : copyTrainer('fused', batch, new Rng(`throughput/${batch}`));

const peer = process.argv.includes('--peer') ? arg('peer', '') : (process.env['ENGRAM_PYTORCH_NTM'] ?? '');
// Debian's python3 (where apt puts python3-torch), unless ENGRAM_PYTHON names another
const PYTHON = process.env['ENGRAM_PYTHON'] ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
if (peer) {
  if (!existsSync(join(peer, 'train.py')) || !existsSync(join(peer, 'ntm', 'ntm.py')))
    throw new Error(`--peer: ${peer} is not a pytorch-ntm checkout (no train.py, ntm/ntm.py)`);
  for (const batch of batches) {
    const trainer = engramTrainer(batch);
    for (let i = 0; i < warmup; i++) trainer.step();
    const ours: number[] = [];
    const theirs: number[] = [];
    let torch = '';
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) trainer.step();
      ours.push((batch * steps * 1000) / (performance.now() - t0));
      const py = spawnSync(
        PYTHON,
        [
          join(import.meta.dirname, 'pytorchNtm.py'),
          '--repo',
          peer,
          '--batch',
          String(batch),
          '--steps',
          String(steps),
          '--warmup',
          String(warmup),
          '--seed',
          String(1000 + r),
        ],
        { encoding: 'utf8' },
      );
      if (py.status !== 0) throw new Error(`pytorch-ntm failed (exit ${py.status}): ${py.stderr.trim().split('\n').at(-1)}`);
      const line = JSON.parse(py.stdout.trim().split('\n').at(-1) as string) as { sequencesPerS: number; torch: string };
      theirs.push(line.sequencesPerS);
      torch = line.torch;
    }
    trainer.dispose();
    const a = median(ours) as number;
    const b = median(theirs) as number;
    console.log(
      JSON.stringify({
        backend: backend.name,
        mode: 'side-by-side',
        batch,
        engramSequencesPerS: a,
        pytorchNtmSequencesPerS: b,
        ratio: a / b,
        blocks: repeats,
        stepsPerBlock: steps,
        torch,
        torchThreads: 1,
        engramThreads: threads,
      }),
    );
  }
  process.exit(0);
}

/**
 * Two trainers timed block by block in turns: a warm-up block of --warmup steps each, then
 * --repeats rounds of one --steps block per side; `enter` runs before each of a side's blocks
 * (a kernel switch). The median sequences/s of each side.
 */
function alternate<K extends string>(sides: Record<K, CopyTrainer>, batch: number, enter: (side: K) => void = () => {}): Record<K, number> {
  const names = Object.keys(sides) as K[];
  const rates = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = -1; r < repeats; r++)
    for (const side of names) {
      enter(side);
      const t0 = performance.now();
      for (let i = 0; i < (r < 0 ? warmup : steps); i++) sides[side].step();
      if (r >= 0) rates[side].push((batch * steps * 1000) / (performance.now() - t0));
    }
  return Object.fromEntries(names.map((k) => [k, median(rates[k]) as number])) as Record<K, number>;
}

if (threads > 1) {
  for (const batch of batches) {
    const sides = { one: trainerCopyTrainer(batch, 1, 1, backend.name), many: trainerCopyTrainer(batch, 1, threads, backend.name) };
    const { one: a, many: b } = alternate(sides, batch);
    sides.one.dispose();
    sides.many.dispose();
    console.log(
      JSON.stringify({
        backend: backend.name,
        mode: 'threads-ab',
        batch,
        threads,
        oneThreadSequencesPerS: a,
        threadsSequencesPerS: b,
        ratio: b / a,
        blocks: repeats,
        stepsPerBlock: steps,
      }),
    );
  }
  process.exit(0);
}

if (process.argv.includes('--sequence')) {
  if (arg('sequence', '') !== 'ab') throw new Error("--sequence: the only mode is 'ab' (alternate whole-sequence and per-step kernel blocks)");
  for (const batch of batches) {
    // two trainers from the same seed: block r of each trains on the same sequence lengths
    const trainers = {
      whole: copyTrainer('fused', batch, new Rng(`throughput/${batch}`)),
      stepped: copyTrainer('fused', batch, new Rng(`throughput/${batch}`)),
    };
    const { whole: a, stepped: b } = alternate(trainers, batch, (side) => setSequenceKernel(side === 'whole'));
    setSequenceKernel(true);
    trainers.whole.dispose();
    trainers.stepped.dispose();
    console.log(
      JSON.stringify({
        backend: backend.name,
        mode: 'sequence-ab',
        batch,
        wholeSequencePerS: a,
        perStepSequencesPerS: b,
        ratio: a / b,
        blocks: repeats,
        stepsPerBlock: steps,
      }),
    );
  }
  process.exit(0);
}

if (process.argv.includes('--simd')) {
  if (arg('simd', '') !== 'ab') throw new Error("--simd: the only mode is 'ab' (alternate SIMD and JavaScript kernel blocks)");
  for (const batch of batches) {
    // two trainers from the same seed: block r of each trains on the same sequence lengths
    const trainers = { simd: copyTrainer('fused', batch, new Rng(`throughput/${batch}`)), js: copyTrainer('fused', batch, new Rng(`throughput/${batch}`)) };
    const { simd: a, js: b } = alternate(trainers, batch, (side) => setSimdKernels(side === 'simd'));
    setSimdKernels(true);
    trainers.simd.dispose();
    trainers.js.dispose();
    console.log(
      JSON.stringify({
        backend: backend.name,
        mode: 'simd-ab',
        batch,
        simdSequencesPerS: a,
        jsSequencesPerS: b,
        ratio: a / b,
        blocks: repeats,
        stepsPerBlock: steps,
      }),
    );
  }
  process.exit(0);
}

for (const memory of memories)
  for (const batch of batches) {
    for (const kernels of kernelsList) {
      const trainer = copyTrainer(kernels, batch, new Rng(`throughput/${batch}`), 1, 20, {}, memory);
      const start = performance.now();
      trainer.step();
      const firstMs = performance.now() - start;
      // a slow configuration: skip further warm-up and time blocks that fit half the budget
      const slow = firstMs * steps > (maxSeconds * 1000) / 2;
      const blockSteps = slow ? Math.max(1, Math.floor((maxSeconds * 1000) / 2 / firstMs)) : steps;
      for (let i = 1; i < (slow ? 1 : warmup); i++) trainer.step();
      const rates: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        for (let i = 0; i < blockSteps; i++) trainer.step();
        const ms = performance.now() - t0;
        rates.push((batch * blockSteps * 1000) / ms);
        if (performance.now() - start > maxSeconds * 1000) break;
      }
      const med = median(rates);
      console.log(
        JSON.stringify({
          backend: backend.name,
          memory,
          kernels,
          batch,
          sequencesPerS: med,
          minSequencesPerS: Math.min(...rates),
          maxSequencesPerS: Math.max(...rates),
          msPerStep: (batch * 1000) / med,
          blocks: rates.length,
          stepsPerBlock: blockSteps,
        }),
      );
      trainer.dispose();
    }
  }
