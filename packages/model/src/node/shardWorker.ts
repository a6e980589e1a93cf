/**
 * A worker thread of {@link threadShards}: its own tfjs engine and a copy of the model, built
 * from the same config; each request sets the weights and answers one shard's gradient.
 * Protocol: answers go to the port, then the flag is set to 1 and notified (the trainer waits on
 * it synchronously and reads the port with receiveMessageOnPort).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { initBackend } from '@engram/tensor';
import { buildModel } from '../build.ts';
import type { ModelConfig } from '../model.ts';
import { shardGradients, type ShardRequest } from '../shards.ts';

const { config, backend, flag, port } = workerData as { config: ModelConfig; backend: string; flag: Int32Array; port: MessagePort };

function answer(message: unknown): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

try {
  await initBackend(backend, { quiet: true });
  const model = buildModel(config);
  port.on('message', (request: ShardRequest) => {
    try {
      answer({ result: shardGradients(model, request) });
    } catch (e) {
      answer({ error: errorText(e) });
    }
  });
  answer({ ready: true });
} catch (e) {
  answer({ error: errorText(e) });
}
