import type * as tf from '@tensorflow/tfjs';
import type { Rng, VariableFactory } from '@engram/tensor';
import type { ScoreTerms } from './ntm/modes.ts';

export const MEMORY_KINDS = ['ntm', 'dnc', 'sam'] as const;
/** Which memory a model has: the NTM's ({@link MemoryAccess}), the DNC's ({@link DncAccess}) or SAM's ({@link SamAccess}). */
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** One tensor of a memory's state: its field name and its shape without the batch axis. */
export interface StateTensorSpec {
  readonly name: string;
  /** e.g. `[N, M]` for the memory; the tensor is `[B, ...shape]`. */
  readonly shape: readonly number[];
}

/**
 * What every memory's state carries, whatever else it holds: an immutable record, replaced by
 * each step. The model feeds `readVectors` back to the controller; plots and traces read the
 * weights and the memory.
 */
export interface MemoryState {
  /** `[B, N, M]` */
  readonly memory: tf.Tensor3D;
  /** `[B, R, N]` the read heads' weights at the last step. */
  readonly readWeights: tf.Tensor3D;
  /** `[B, W, N]` the write heads' weights at the last step. */
  readonly writeWeights: tf.Tensor3D;
  /** `[B, R, M]` what the read heads read at the last step. */
  readonly readVectors: tf.Tensor3D;
  /** REINFORCE heads only (see AccessState). Not part of {@link MemoryModule.stateTensors}. */
  readonly score?: ScoreTerms;
}

/** Per-step options every memory accepts (discrete and stochastic modes use them). */
export interface MemoryStepOptions {
  /** false = evaluation. Default true. */
  readonly training?: boolean;
  /** Noise source for stochastic addressing. */
  readonly rng?: Rng;
  /** Gumbel temperature override (annealing). */
  readonly tau?: number;
  /** The 0-based optimizer step (schedules). */
  readonly trainingStep?: number;
}

/**
 * An external memory a controller drives: the one interface the model, the tf.layers cell,
 * checkpoints, traces and reports use, so that they work for any memory without knowing which.
 *
 * A new memory implements this, declares its state tensors, and is added to `makeMemory`.
 */
export interface MemoryModule<S extends MemoryState = MemoryState> {
  readonly kind: MemoryKind;
  /** N, M, R and W. */
  readonly slots: number;
  readonly width: number;
  readonly readHeads: number;
  readonly writeHeads: number;
  /** Length of the interface vector the module projects the controller output to. */
  readonly interfaceSize: number;
  /** R * M, the width of the flattened read vectors. */
  readonly readSize: number;
  /**
   * Every tensor of the state, in a fixed order: the tf.layers cell flattens them, traces stack
   * them. The four of {@link MemoryState} come first.
   */
  readonly stateTensors: readonly StateTensorSpec[];
  /** State tensors beyond the four common ones worth tracing per step (the DNC's usage, read modes, link). */
  readonly tracedTensors: readonly string[];
  /** True when some head samples (REINFORCE): training then needs the score-function term. */
  readonly needsScoreFunction: boolean;
  /** Every trainable weight by its path (`memory/projection`, ...). */
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  readonly variables: tf.Variable[];
  /** The state at the start of a sequence. */
  initialState(batch: number): S;
  /**
   * One time step.
   * @param controllerOutput `[B, C]`
   * @returns read vectors `[B, R, M]` and the next state.
   */
  step(controllerOutput: tf.Tensor2D, state: S, options?: MemoryStepOptions): [tf.Tensor3D, S];
  /** True when this module's steps run on engram's fused kernels on `backendName` (default: active). */
  usesFusedKernels(backendName?: string): boolean;
  dispose(): void;
}

/** The four state tensors every memory has, in the order {@link MemoryModule.stateTensors} lists them first. */
export function commonStateTensors(slots: number, width: number, readHeads: number, writeHeads: number): StateTensorSpec[] {
  return [
    { name: 'memory', shape: [slots, width] },
    { name: 'readWeights', shape: [readHeads, slots] },
    { name: 'writeWeights', shape: [writeHeads, slots] },
    { name: 'readVectors', shape: [readHeads, width] },
  ];
}

/**
 * Wraps a variable factory so that every weight it makes is also recorded by its path: a
 * module's `namedVariables` (checkpoints and the tf.layers cell find weights by these names).
 */
export function recordingVariables(make: VariableFactory): { variables: VariableFactory; named: Record<string, tf.Variable> } {
  const named: Record<string, tf.Variable> = {};
  return { variables: (name, init) => (named[name] = make(name, init)), named };
}
