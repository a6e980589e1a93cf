import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '@engram/tensor';
import type { ControllerConfig } from '@engram/controller';
import type { DistributiveOmit, MemoryAccessConfig, MemoryConfig, ScoreTerms } from '@engram/memory';

/**
 * The memory part of a model config: a MemoryConfig (the NTM's, or the DNC's with `kind: 'dnc'`)
 * without what the model supplies (controller size, seed).
 */
export type MemorySettings = DistributiveOmit<MemoryConfig, 'controllerSize' | 'seed'>;

/** The NTM's memory settings alone (addressing modes, shifts, similarity, kernels). */
export type NtmMemorySettings = Omit<MemoryAccessConfig, 'controllerSize' | 'seed'>;

/**
 * A whole model as one plain, JSON-serialisable object: the only thing a newcomer writes.
 * `kind: 'ntm'` couples the controller with a memory; `kind: 'lstm'` is the memory-less
 * baseline (the controller alone), so experiments compare like with like.
 */
export interface ModelConfig {
  readonly kind: 'ntm' | 'lstm';
  /** X, input bits per step. */
  readonly inputSize: number;
  /** Y, output bits per step. */
  readonly outputSize: number;
  readonly controller: ControllerConfig;
  /** Required for `ntm`, not allowed for `lstm`. */
  readonly memory?: MemorySettings;
  /** Seeds every weight initialisation. */
  readonly seed?: number;
}

/** Per-step options. */
export interface ModelStepOptions {
  /** false = evaluation (discrete addressing reads and writes one-hot). Default true. */
  readonly training?: boolean;
  /** Noise source for stochastic addressing (gumbel). */
  readonly rng?: Rng;
  /** Gumbel temperature override (annealing). */
  readonly tau?: number;
  /** The 0-based optimizer step being trained (schedules such as REINFORCE's soft mixing). */
  readonly trainingStep?: number;
}

/** What one step of a model exposes for plotting. Tensors are `[B, ...]`. */
export interface StepTrace {
  readonly readWeights: tf.Tensor3D;
  readonly writeWeights: tf.Tensor3D;
  readonly readVectors: tf.Tensor3D;
  readonly memory: tf.Tensor3D;
  /** The memory's own traced state tensors (MemoryModule.tracedTensors: the DNC's usage, read modes, link). */
  readonly extras?: Readonly<Record<string, tf.Tensor>>;
}

/**
 * A recurrent sequence model: logits per step from an input per step. The state is an
 * immutable record that `step` replaces.
 */
export interface SequenceModel<S = unknown> {
  readonly config: ModelConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Every trainable weight by path (`controller/lstm0/kernel`, `memory/projection`, `output/kernel`). */
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  initialState(batch: number): S;
  /**
   * @param input `[B, X]`
   * @returns logits `[B, Y]` and the next state.
   */
  step(input: tf.Tensor2D, state: S, options?: ModelStepOptions): [tf.Tensor2D, S];
  /**
   * Optional split of {@link step} into a recurrent part and a per-step readout, so that
   * {@link unroll} applies the readout once to every step's features (one matMul per
   * sequence instead of one per step): `step(x, s) = [readout(f), s']` where `[f, s'] =
   * features(x, s)`. Both or neither.
   * @returns features `[B, F]` and the next state.
   */
  features?(input: tf.Tensor2D, state: S, options?: ModelStepOptions): [tf.Tensor2D, S];
  /** The readout of {@link features}: `[K, F]` -> logits `[K, Y]` for any number of rows K. */
  readout?(features: tf.Tensor2D): tf.Tensor2D;
  /**
   * Optional: the logits `[T, B, Y]` of a whole sequence `[T, B, X]` from the initial state in
   * one kernel, the same function as stepping it; undefined when this model cannot (then
   * {@link unroll} steps it).
   */
  wholeSequence?(inputs: tf.Tensor3D, options?: ModelStepOptions): tf.Tensor3D | undefined;
  /** The memory tensors of a state, for tracing (undefined for memory-less models). */
  trace?(state: S): StepTrace;
  /**
   * REINFORCE heads: the log-probability of the slots sampled so far and the entropy bonus,
   * summed over heads and time, `[B]` each (undefined when no head samples).
   */
  scoreTerms?(state: S): ScoreTerms | undefined;
  /** REINFORCE heads: the learned per-sequence baseline `[B]` from the mask `[T, B]`. */
  reinforceBaseline?(mask: tf.Tensor2D): tf.Tensor1D;
  dispose(): void;
}
