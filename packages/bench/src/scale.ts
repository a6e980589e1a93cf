/**
 * Memory size scaling: for N = --slots (default 128,1024,8192,65536) and --modes (default
 * soft,topk,sam): the NTM with soft or top-k (k = --k, default 8) addressing of both heads, and
 * SAM (kind 'sam': top-8 content reads, one fused kernel per step that keeps k rows per step for
 * backpropagation), at the copy settings otherwise (LSTM 100, M=20, 1 read + 1 write head,
 * batch --batch, default 1):
 *
 * - `stepMs`: one whole training step on a copy sequence of --length vectors (default 20,
 *   2L+1 time steps), upper median of --repeats after a warm-up step;
 * - `peakMB`: the largest total size of live tensors during one such step (tf.profile), and
 *   `heapMB`, the backend's heap afterwards (wasm: the WebAssembly memory, which never shrinks);
 * - `readWriteMs`: one write then one read of memory `[B, N, 20]` with given weights, forward
 *   and backward (the gradients of memory, weights, erase and add), without the addressing: soft = the dense fused kernels over all N rows, top-k =
 *   the sparse kernels over k rows. The addressing itself scores every row in both modes.
 *
 * - `maxRssMB`: the process's peak resident memory so far (a running maximum: alone
 *   meaningful for the first row, or with one N and one mode per run, e.g.
 *   `--slots 1048576 --modes sam`). SAM has no separate read + write figure (its read and
 *   write are one kernel with the content scan).
 *
 * One JSON line per (N, mode); `bench/run.ts scale` adds the soft/top-k and soft/SAM ratios.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@engram/tensor';
import { fusedRead, fusedSparseRead, fusedSparseWrite, fusedWrite, topkWeights } from '@engram/memory';
import { copyTrainer } from './copyWorkload.ts';
import { arg } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const slotsList = arg('slots', '128,1024,8192,65536').split(',').map(Number);
const k = Number(arg('k', '8'));
const batch = Number(arg('batch', '1'));
const length = Number(arg('length', '20'));
const repeats = Number(arg('repeats', '3'));
const modes = arg('modes', 'soft,topk,sam').split(',');
for (const m of modes) if (m !== 'soft' && m !== 'topk' && m !== 'sam') throw new Error(`--modes: unknown mode '${m}'; use soft, topk, sam`);
const WIDTH = 20;

/** The upper of the two middle values for an even count (the median for an odd one). */
function upperMedian(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** Upper-median ms of `f` over `n` calls after `warmup` untimed calls. */
function timeIt(f: () => void, n: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) f();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return upperMedian(ms);
}

/** One read + one write, forward and backward (gradients of all float inputs read back). */
function readWriteMs(slots: number, mode: 'soft' | 'topk'): number {
  const rng = new Rng(`scale/${slots}`);
  const memory = tf.randomNormal([batch, slots, WIDTH], 0, 0.5, 'float32', rng.int(0, 1e9)) as tf.Tensor3D;
  const logits = tf.randomNormal([batch, 1, slots], 0, 3, 'float32', rng.int(0, 1e9));
  const soft = tf.softmax(logits) as tf.Tensor3D;
  const sparse = topkWeights(soft, k);
  const erase = tf.fill([batch, 1, WIDTH], 0.5) as tf.Tensor3D;
  const add = tf.fill([batch, 1, WIDTH], 0.1) as tf.Tensor3D;
  const run = () =>
    tf.tidy(() => {
      const f =
        mode === 'soft'
          ? (m: tf.Tensor, w: tf.Tensor, e: tf.Tensor, a: tf.Tensor) => {
              const next = fusedWrite(m as tf.Tensor3D, w as tf.Tensor3D, e as tf.Tensor3D, a as tf.Tensor3D);
              return tf.sum(fusedRead(next, w as tf.Tensor3D));
            }
          : (m: tf.Tensor, w: tf.Tensor, e: tf.Tensor, a: tf.Tensor) => {
              const weights = { indices: sparse.indices, values: w as tf.Tensor3D };
              const next = fusedSparseWrite(m as tf.Tensor3D, weights, e as tf.Tensor3D, a as tf.Tensor3D);
              return tf.sum(fusedSparseRead(next, weights));
            };
      // cpu and wasm kernels run synchronously: when grads returns, the work is done (reading
      // back the [B, N, M] memory gradient would time a 5 MB copy at N = 65,536, not the kernels)
      const grads = tf.grads(f)([memory, mode === 'soft' ? soft : sparse.values, erase, add]);
      grads[1]!.dataSync();
    });
  const ms = timeIt(run, Math.max(5, repeats * 3), 3);
  tf.dispose([memory, logits, soft, sparse.indices, sparse.values, erase, add]);
  return ms;
}

for (const slots of slotsList) {
  for (const mode of modes as ('soft' | 'topk' | 'sam')[]) {
    const m = mode === 'topk' ? { kind: 'topk' as const, k } : 'soft';
    const trainer =
      mode === 'sam'
        ? copyTrainer('auto', batch, new Rng(`scale/${slots}/${mode}`), length, length, { slots }, 'sam')
        : copyTrainer('auto', batch, new Rng(`scale/${slots}/${mode}`), length, length, { slots, readMode: m, writeMode: m });
    trainer.step(); // warm-up
    const stepMs = timeIt(() => trainer.step(), repeats);
    const profile = await tf.profile(() => {
      trainer.step();
    });
    trainer.dispose();
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length;
    console.log(
      JSON.stringify({
        backend: backend.name,
        slots,
        mode: mode === 'topk' ? `topk k=${k}` : mode === 'sam' ? 'sam k=8' : 'soft',
        batch,
        length,
        stepMs,
        peakMB: profile.peakBytes / 2 ** 20,
        heapMB: heap ? heap / 2 ** 20 : null,
        readWriteMs: mode === 'sam' ? null : readWriteMs(slots, mode),
        maxRssMB: process.resourceUsage().maxRSS / 1024,
      }),
    );
  }
}
