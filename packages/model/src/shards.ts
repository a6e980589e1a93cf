import * as tf from '@tensorflow/tfjs';
import { EngramError, type SequenceBatch } from '@engram/tensor';
import { maskedSigmoidCrossEntropy } from './loss.ts';
import type { ModelConfig, SequenceModel } from './model.ts';
import { unroll } from './unroll.ts';

/**
 * Data-parallel training: a batch split over threads, each computing the gradient of its share
 * of the batch loss; the trainer sums them. This file is the browser-safe half (the split, one
 * shard's gradient, the interface a thread pool implements); the Node pool with worker_threads
 * is `threadShards` in `@engram/model/node`.
 */

/** A dense float32 array with its shape, as it crosses to another thread. */
export interface ShardArray {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** One shard's work: the weights to use and its part of the batch. */
export interface ShardRequest {
  /** The model's weights in `namedVariables` key order. */
  readonly weights: readonly Float32Array[];
  /** `[T, b, X]` */
  readonly inputs: ShardArray;
  /** `[T, b, Y]` */
  readonly targets: ShardArray;
  /** `[T, b]` */
  readonly mask: ShardArray;
  /** The whole batch's scored bits, sum(mask) * Y: each shard's loss is its part of the batch mean. */
  readonly scoredBits: number;
}

/** One shard's answer. */
export interface ShardResult {
  /** Gradients of the shard's part of the loss, in the weights' order and shapes. */
  readonly grads: Float32Array[];
  /** The shard's part of the batch loss (the shards' parts add up to the batch loss). */
  readonly loss: number;
  /** `[T, b, Y]` logits, for the task's cost on the whole batch. */
  readonly logits: Float32Array;
}

/**
 * Shards computed elsewhere while the caller computes its own: `start` every shard, compute
 * the caller's share, then `finish` each (which blocks until that shard's answer is there).
 */
export interface GradientShards {
  /** How many shards run elsewhere (the caller's own is not counted). */
  readonly count: number;
  start(shard: number, request: ShardRequest): void;
  finish(shard: number): ShardResult;
  dispose(): void;
}

/** Why a model cannot be split over threads (its forward pass draws random numbers), or undefined if it can. */
export function unsplittable(config: ModelConfig): string | undefined {
  const m = config.memory as { readMode?: unknown; writeMode?: unknown } | undefined;
  for (const mode of [m?.readMode, m?.writeMode]) {
    const kind = typeof mode === 'string' ? mode : (mode as { kind?: string } | undefined)?.kind;
    // the shards would draw different noise than one thread does, and REINFORCE's objective needs the whole batch
    if (kind === 'gumbel' || kind === 'reinforce') return `${kind} heads draw random numbers in the forward pass`;
  }
  return undefined;
}

/** Batch sizes of `parts` shards of a batch of `batch`, as equal as can be, the larger ones first. */
export function shardSizes(batch: number, parts: number): number[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > batch) {
    throw new EngramError('threads', `${parts} shards of a batch of ${batch}`, `use at most ${batch} threads, or a larger batch`);
  }
  const base = Math.floor(batch / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < batch % parts ? 1 : 0));
}

/** Sequences `[offset, offset + size)` of a batch (new tensors; the caller disposes them). */
export function sliceBatch(batch: SequenceBatch, offset: number, size: number): SequenceBatch {
  const [t, , x] = batch.inputs.shape;
  const y = batch.targets.shape[2];
  return {
    inputs: tf.slice(batch.inputs, [0, offset, 0], [t, size, x]),
    targets: tf.slice(batch.targets, [0, offset, 0], [t, size, y]),
    mask: tf.slice(batch.mask, [0, offset], [t, size]),
  };
}

/** A batch's tensors as plain arrays for another thread. */
export function shardArrays(batch: SequenceBatch): Pick<ShardRequest, 'inputs' | 'targets' | 'mask'> {
  const plain = (t: tf.Tensor): ShardArray => ({ data: t.dataSync() as Float32Array, shape: t.shape });
  return { inputs: plain(batch.inputs), targets: plain(batch.targets), mask: plain(batch.mask) };
}

/**
 * The gradients of one shard's part of the batch loss (unrolled in training mode), for any
 * thread: the trainer's own shard and a worker's alike. The caller disposes all three.
 * @returns the loss part, gradients keyed by tf variable name, logits `[T, b, Y]`.
 */
export function shardLoss(
  model: SequenceModel,
  shard: SequenceBatch,
  scoredBits: number,
  variables: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap; logits: tf.Tensor3D } {
  let logits: tf.Tensor3D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const { outputs } = unroll(model, shard.inputs, { training: true });
    logits = tf.keep(outputs);
    return maskedSigmoidCrossEntropy(outputs, shard.targets, shard.mask, scoredBits);
  }, variables);
  return { value, grads, logits: logits as tf.Tensor3D };
}

/**
 * One shard's gradient on a model of this thread: sets the weights, then {@link shardLoss}.
 * What a worker thread runs.
 */
export function shardGradients(model: SequenceModel, request: ShardRequest): ShardResult {
  const variables = Object.values(model.namedVariables);
  if (variables.length !== request.weights.length) {
    throw new EngramError(
      'threads',
      `the shard's model has ${variables.length} weights, the request ${request.weights.length}`,
      'build every thread from the same model config',
    );
  }
  variables.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.tensor(request.weights[i] as Float32Array, v.shape)));
  });
  const shard: SequenceBatch = {
    inputs: tf.tensor3d(request.inputs.data, request.inputs.shape as [number, number, number]),
    targets: tf.tensor3d(request.targets.data, request.targets.shape as [number, number, number]),
    mask: tf.tensor2d(request.mask.data, request.mask.shape as [number, number]),
  };
  const { value, grads, logits } = shardLoss(model, shard, request.scoredBits, variables);
  const result: ShardResult = {
    // a variable the loss does not reach has no gradient: zeros keep the order
    grads: variables.map((v) => (grads[v.name] ? (grads[v.name] as tf.Tensor).dataSync() : new Float32Array(v.size)) as Float32Array),
    loss: value.dataSync()[0] as number,
    logits: logits.dataSync() as Float32Array,
  };
  tf.dispose([value, grads, logits, shard.inputs, shard.targets, shard.mask]);
  return result;
}
