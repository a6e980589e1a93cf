import { unsplittable, type GradientShards, type ModelConfig } from '@engram/model';
import { THREAD_BACKENDS, threadShards } from '@engram/model/node';

/**
 * Below this batch a split costs more than it saves on a 2-core machine: each thread still pays
 * the whole per-sequence overhead, and the second core adds ~1.4x at best. Two threads against
 * one on the whole-sequence kernel: batch 8 0.93x, 16 0.93x, 32 1.04x, 64 1.38x, 128 1.37x
 * (results/bench/throughput-threads-2026-12-05.md; on the per-step kernels, 2026-12-02: 16 0.75x,
 * 32 1.04x, 64 1.34x, 128 1.45x, results/bench/throughput-threads.md).
 */
export const MIN_SPLIT_BATCH = 32;

/** Why `threads` cannot be used for this run, or undefined when it can. */
export function whyOneThread(threads: number, batch: number, model: ModelConfig, backend: string): string | undefined {
  if (threads <= 1) return undefined;
  if (batch < MIN_SPLIT_BATCH) return `batch ${batch} is below ${MIN_SPLIT_BATCH}, where a split costs more than it saves`;
  if (batch < threads) return `batch ${batch} has fewer sequences than ${threads} threads`;
  const noise = unsplittable(model);
  if (noise) return noise;
  if (!(THREAD_BACKENDS as readonly string[]).includes(backend)) return `worker threads cannot start backend '${backend}' (use --backend wasm or cpu)`;
  return undefined;
}

/**
 * The worker threads of `train.threads`, or undefined for one thread. A setting that cannot be
 * honoured falls back to one thread with one line on stderr saying why (never silently).
 */
export function trainingShards(threads: number, batch: number, model: ModelConfig, backend: string): GradientShards | undefined {
  if (threads <= 1) return undefined;
  const why = whyOneThread(threads, batch, model, backend);
  if (why) {
    process.stderr.write(`engram: train.threads ${threads}: ${why}; training on one thread\n`);
    return undefined;
  }
  return threadShards(model, backend, threads);
}
