import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { EngramError } from '@engram/tensor';
import type { ModelConfig } from '../model.ts';
import type { GradientShards, ShardRequest, ShardResult } from '../shards.ts';

/** Backends a worker thread can start on its own (tfjs-node's native addon is one per process). */
export const THREAD_BACKENDS = ['wasm', 'cpu'] as const;

/** How long the trainer waits for a worker's answer before it gives up on it. */
const ANSWER_TIMEOUT_MS = 600_000;

interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

/**
 * The worker's entry. In a package, the built shardWorker.js. In the workspace, the TypeScript
 * source: a worker does not inherit tsx's loader (Node 20 runs no --import in workers), so a
 * small script registers tsx first; a failure to load the source is answered on the port, as
 * the trainer blocks on the flag and would not see the worker's error event.
 */
function workerEntry(): { entry: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./shardWorker.js', import.meta.url), eval: false };
  const source = new URL('./shardWorker.ts', import.meta.url).href;
  // require.resolve gives the api's CommonJS build; its ES module build sits beside it
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const script = `
    const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(tsx)})
      .then(({ register }) => { register(); return import(${JSON.stringify(source)}); })
      .catch((e) => {
        workerData.port.postMessage({ error: 'loading the worker: ' + (e && e.message ? e.message : String(e)) });
        Atomics.store(workerData.flag, 0, 1);
        Atomics.notify(workerData.flag, 0);
      });`;
  return { entry: script, eval: true };
}

/** Blocks until the thread has answered, then returns the answer. */
function awaitAnswer(t: Thread, what: string): Record<string, unknown> {
  if (Atomics.wait(t.flag, 0, 0, ANSWER_TIMEOUT_MS) === 'timed-out') {
    throw new EngramError('threads', `a worker thread did not answer ${what} within ${ANSWER_TIMEOUT_MS / 1000} s`, 'train with threads: 1');
  }
  const answer = receiveMessageOnPort(t.port)?.message as Record<string, unknown> | undefined;
  if (!answer) throw new EngramError('threads', `a worker thread signalled ${what} but sent nothing`, 'train with threads: 1');
  if (typeof answer['error'] === 'string') throw new EngramError('threads', `a worker thread failed ${what}: ${answer['error']}`, 'train with threads: 1');
  return answer;
}

/**
 * `threads - 1` worker threads for data-parallel training (the calling thread computes the
 * first shard itself), each with its own tfjs engine on `backend` and a model built from
 * `config`. Blocks until every thread is ready. Pass the result as the Trainer's `shards`.
 *
 * The trainer waits for a shard with Atomics.wait, so a step stays synchronous; weights go out
 * and gradients come back as copies through a MessagePort (a copy of the 128 x 20 NTM's ~70k
 * weights is a fraction of a millisecond).
 */
export function threadShards(config: ModelConfig, backend: string, threads: number): GradientShards {
  if (!Number.isInteger(threads) || threads < 2)
    throw new EngramError('threads', `${threads} is not an integer >= 2`, 'use threads: 2 (or 1 for no worker threads)');
  if (!(THREAD_BACKENDS as readonly string[]).includes(backend)) {
    throw new EngramError('threads', `worker threads cannot start backend '${backend}'`, `use --backend ${THREAD_BACKENDS.join(' or ')}, or threads: 1`);
  }
  const { entry, eval: isScript } = workerEntry();
  const pool: Thread[] = [];
  const dispose = () => {
    for (const t of pool) {
      t.port.close();
      void t.worker.terminate();
    }
    pool.length = 0;
  };
  try {
    for (let i = 1; i < threads; i++) {
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(entry, { eval: isScript, workerData: { config, backend, flag, port: port2 }, transferList: [port2] });
      // a finished program exits with its trainer's threads still idle
      worker.unref();
      port1.unref();
      pool.push({ worker, port: port1, flag });
    }
    for (const t of pool) {
      awaitAnswer(t, 'its start');
      Atomics.store(t.flag, 0, 0);
    }
  } catch (e) {
    dispose();
    throw e;
  }
  const thread = (shard: number): Thread => {
    const t = pool[shard];
    if (!t) throw new EngramError('threads', `no shard ${shard} (there are ${pool.length})`, 'use shards 0 to count - 1');
    return t;
  };
  return {
    count: threads - 1,
    start(shard: number, request: ShardRequest): void {
      const t = thread(shard);
      Atomics.store(t.flag, 0, 0);
      t.port.postMessage(request);
    },
    finish(shard: number): ShardResult {
      const t = thread(shard);
      const answer = awaitAnswer(t, 'a shard');
      Atomics.store(t.flag, 0, 0);
      return answer['result'] as ShardResult;
    },
    dispose,
  };
}
