/**
 * The benchmarks' workload: the NTM copy-task settings (Graves et al. 2014; Collier & Beel
 * 2018) and a local, seeded copy-sequence generator (8 random bits per step plus a delimiter
 * channel; the targets follow the delimiter), so the benches depend on no task package.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng, SequenceBatch } from '@engram/tensor';
import {
  buildModel,
  type NtmMemorySettings,
  clipGradients,
  makeOptimizer,
  maskedSigmoidCrossEntropy,
  unroll,
  type ModelConfig,
  type SequenceModel,
  Trainer,
} from '@engram/model';
import { threadShards } from '@engram/model/node';

/** Bits per vector, and the input width (bits + delimiter). */
export const COPY_BITS = 8;
export const COPY_INPUT = COPY_BITS + 1;

/** Memory settings a benchmark may change (slots, addressing modes). */
export type MemoryOverrides = Partial<Pick<NtmMemorySettings, 'slots' | 'readMode' | 'writeMode' | 'readHeads'>>;

/** Which memory the copy workload trains: the NTM's (default), or the DNC's or SAM's (top-8 content reads) with the same heads. */
export type WorkloadMemory = 'ntm' | 'dnc' | 'sam';

/** LSTM 100, memory 128 x 20, 1 read + 1 write head, shifts -1..1 (`memory` overrides some of it). */
export function ntmCopyConfig(kernels: 'auto' | 'fused' | 'reference' = 'auto', memory: MemoryOverrides = {}): ModelConfig {
  return {
    kind: 'ntm',
    inputSize: COPY_INPUT,
    outputSize: COPY_BITS,
    seed: 1,
    controller: { kind: 'lstm', units: 100 },
    memory: { slots: 128, width: 20, readHeads: 1, writeHeads: 1, shiftRange: 1, kernels, ...memory },
  };
}

/**
 * A batch of copy sequences of one length drawn uniformly from [minLength, maxLength] (one
 * length per batch, as pytorch-ntm does): T = 2L + 1 steps, time-major.
 * inputs `[T, B, 9]`, targets `[T, B, 8]`, mask `[T, B]` (1 on the L answer steps).
 */
export function copyBatch(batch: number, minLength: number, maxLength: number, rng: Rng): SequenceBatch {
  const length = rng.int(minLength, maxLength);
  const steps = 2 * length + 1;
  const x = new Float32Array(steps * batch * COPY_INPUT);
  const y = new Float32Array(steps * batch * COPY_BITS);
  const m = new Float32Array(steps * batch);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      for (let j = 0; j < COPY_BITS; j++) {
        const bit = rng.next() < 0.5 ? 1 : 0;
        x[(t * batch + b) * COPY_INPUT + j] = bit;
        y[((length + 1 + t) * batch + b) * COPY_BITS + j] = bit;
      }
      m[(length + 1 + t) * batch + b] = 1;
    }
    x[(length * batch + b) * COPY_INPUT + COPY_BITS] = 1;
  }
  return {
    inputs: tf.tensor3d(x, [steps, batch, COPY_INPUT]),
    targets: tf.tensor3d(y, [steps, batch, COPY_BITS]),
    mask: tf.tensor2d(m, [steps, batch]),
  };
}

/** A model, its optimizer and one training step on fresh copy sequences. */
export interface CopyTrainer {
  readonly model: SequenceModel;
  /** One optimizer step (Adam lr 1e-3, global-norm clip 50) on a batch of copy sequences; returns the loss. */
  step(): number;
  dispose(): void;
}

/**
 * The training step the benchmarks time: sample, unroll, masked sigmoid cross-entropy,
 * gradients, global-norm clipping at 50, Adam; the loss is read back (so the step has finished).
 */
export function copyTrainer(
  kernels: 'auto' | 'fused' | 'reference',
  batch: number,
  rng: Rng,
  minLength = 1,
  maxLength = 20,
  memory: MemoryOverrides = {},
  kind: WorkloadMemory = 'ntm',
): CopyTrainer {
  const config: ModelConfig =
    kind === 'ntm'
      ? ntmCopyConfig(kernels, memory)
      : kind === 'sam'
        ? { ...ntmCopyConfig(), memory: { kind: 'sam', slots: memory.slots ?? 128, width: 20, readHeads: memory.readHeads ?? 1, k: 8 } }
        : { ...ntmCopyConfig(), memory: { kind: 'dnc', slots: memory.slots ?? 128, width: 20, readHeads: memory.readHeads ?? 1, writeHeads: 1, kernels } };
  const model = buildModel(config);
  const optimizer = makeOptimizer({ kind: 'adam', lr: 1e-3 });
  const names = Object.keys(model.namedVariables);
  const vars = names.map((n) => model.namedVariables[n] as tf.Variable);
  return {
    model,
    step() {
      const data = copyBatch(batch, minLength, maxLength, rng);
      const { value, grads } = tf.variableGrads(() => {
        const { outputs } = unroll(model, data.inputs, { training: true });
        return maskedSigmoidCrossEntropy(outputs, data.targets, data.mask);
      }, vars);
      const byPath: Record<string, tf.Tensor> = {};
      for (const n of names) byPath[n] = grads[(model.namedVariables[n] as tf.Variable).name] as tf.Tensor;
      const clipped = clipGradients(byPath, { globalNorm: 50 });
      optimizer.apply(model.namedVariables, clipped.grads);
      const loss = value.dataSync()[0] as number;
      tf.dispose([value, grads, clipped.grads, clipped.norm, data.inputs, data.targets, data.mask]);
      return loss;
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * The copy workload through the Trainer (sampling, unroll, loss, clip 50, Adam 1e-3, and the
 * cost of each batch), on `threads` threads: the batch split over worker threads when more
 * than one (threadShards), so both sides of an A/B pay the same trainer overhead.
 */
export function trainerCopyTrainer(batch: number, seed: number, threads: number, backend: string): CopyTrainer {
  const config = ntmCopyConfig();
  const model = buildModel(config);
  const task = { name: 'copy', inputSize: COPY_INPUT, outputSize: COPY_BITS, sample: (b: number, rng: Rng) => copyBatch(b, 1, 20, rng) };
  const shards = threads > 1 ? threadShards(config, backend, threads) : undefined;
  const trainer = new Trainer(model, task, { steps: Number.MAX_SAFE_INTEGER, batchSize: batch, seed }, shards ? { shards } : {});
  return {
    model,
    step: () => trainer.trainStep().loss,
    dispose() {
      trainer.dispose();
      shards?.dispose();
      model.dispose();
    },
  };
}
