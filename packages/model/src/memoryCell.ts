import * as tf from '@tensorflow/tfjs';
import { EngramError, fusedClip, plainVariables, Rng, shapes, tidy, type VariableFactory } from '@engram/tensor';
import { makeController, type Controller, type ControllerState } from '@engram/controller';
import { makeMemory, type MemoryModule, type MemoryState, type ScoreTerms } from '@engram/memory';
import { ReinforceBaseline } from './reinforceBaseline.ts';
import type { ModelConfig, ModelStepOptions, SequenceModel, StepTrace } from './model.ts';
import { denseOutput, type DenseOutput } from './output.ts';
import { runWholeSequence, sequenceUnsupportedReason, type SequenceParts } from './sequence/wholeSequence.ts';

/**
 * The output logits are clipped to ±OUTPUT_CLIP, as Collier & Beel (2018) do: sigmoid(20) is
 * 1 - 2e-9, so no target needs more, and a runaway logit cannot make the loss or its gradient
 * explode. (The heads' interface vector has its own clip, INTERFACE_CLIP in @engram/memory.)
 */
export const OUTPUT_CLIP = 20;

/** The state of a {@link MemoryCore} / {@link MemoryCell}: the controller's and the memory's, side by side. */
export interface MemoryCellState {
  readonly controller: ControllerState;
  readonly access: MemoryState;
}

/** What a {@link MemoryCore} is made of. */
export interface MemoryCoreConfig {
  readonly inputSize: number;
  readonly controller: ModelConfig['controller'];
  readonly memory: NonNullable<ModelConfig['memory']>;
  readonly seed?: number;
}

/**
 * Controller + memory, wired as in Graves et al. (2014): controller input = [x_t, r_{t-1}],
 * heads driven by the controller output (MemoryAccess clips their interface vector), memory
 * read then written (`memory.order`, default read-write). Its per-step
 * output is the feature vector [controller output, r_t] `[B, C + R*M]`; {@link MemoryCell}
 * adds the output layer, the tf.layers adapter hands the features to the next layer.
 */
export class MemoryCore {
  readonly inputSize: number;
  /** C + R*M */
  readonly featureSize: number;
  readonly controller: Controller;
  /** The memory module (NTM or DNC, by `memory.kind`). */
  readonly access: MemoryModule;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  private readonly readSize: number;

  constructor(config: MemoryCoreConfig, variables: VariableFactory = plainVariables) {
    const seed = config.seed ?? 0;
    this.inputSize = config.inputSize;
    this.readSize = (config.memory.readHeads ?? 1) * config.memory.width;
    this.controller = makeController(config.controller, config.inputSize + this.readSize, {
      seed,
      variables,
      kernels: ('kernels' in config.memory ? config.memory.kernels : undefined) ?? 'auto',
    });
    this.access = makeMemory({ ...config.memory, controllerSize: this.controller.outputSize, seed: seed + 1 }, variables);
    this.featureSize = this.controller.outputSize + this.readSize;
    this.namedVariables = { ...this.controller.namedVariables, ...this.access.namedVariables };
  }

  initialState(batch: number): MemoryCellState {
    return Object.freeze({ controller: this.controller.initialState(batch), access: this.access.initialState(batch) });
  }

  /**
   * @param input `[B, X]`
   * @returns features `[B, C + R*M]` and the next state.
   */
  step(input: tf.Tensor2D, state: MemoryCellState, options: ModelStepOptions = {}): [tf.Tensor2D, MemoryCellState] {
    shapes('MemoryCore.step').check('input', input, ['B', this.inputSize]);
    return tidy(() => {
      const b = input.shape[0];
      const prevReads = tf.reshape(state.access.readVectors, [b, this.readSize]);
      const [h, controller] = this.controller.step(tf.concat([input, prevReads], 1) as tf.Tensor2D, state.controller);
      const [reads, access] = this.access.step(h, state.access, options);
      const features = tf.concat([h, tf.reshape(reads, [b, this.readSize])], 1) as tf.Tensor2D;
      return [features, Object.freeze({ controller, access })] as [tf.Tensor2D, MemoryCellState];
    });
  }

  dispose(): void {
    this.controller.dispose();
    this.access.dispose();
  }
}

/** The NTM model: a {@link MemoryCore} and a dense output layer giving logits `[B, Y]`, clipped to ±{@link OUTPUT_CLIP}. */
export class MemoryCell implements SequenceModel<MemoryCellState> {
  readonly config: ModelConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly core: MemoryCore;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  private readonly output: DenseOutput;
  /** Present when any head uses REINFORCE addressing. */
  private readonly baseline?: ReinforceBaseline;

  constructor(config: ModelConfig, variables: VariableFactory = plainVariables) {
    if (!config.memory) throw new EngramError('model.memory', 'missing for an ntm model', 'add e.g. { slots: 128, width: 20 }');
    this.config = config;
    this.inputSize = config.inputSize;
    this.outputSize = config.outputSize;
    const seed = config.seed ?? 0;
    this.core = new MemoryCore({ inputSize: config.inputSize, controller: config.controller, memory: config.memory, seed }, variables);
    this.output = denseOutput(this.core.featureSize, config.outputSize, new Rng(`${seed}/output`), variables);
    if (this.core.access.needsScoreFunction) {
      const named: Record<string, tf.Variable> = {};
      this.baseline = new ReinforceBaseline((name, init) => (named[name] = variables(name, init)));
      this.namedVariables = { ...this.core.namedVariables, ...this.output.namedVariables, ...named };
    } else {
      this.namedVariables = { ...this.core.namedVariables, ...this.output.namedVariables };
    }
  }

  initialState(batch: number): MemoryCellState {
    return this.core.initialState(batch);
  }

  step(input: tf.Tensor2D, state: MemoryCellState, options: ModelStepOptions = {}): [tf.Tensor2D, MemoryCellState] {
    return tidy(() => {
      const [features, next] = this.core.step(input, state, options);
      return [this.readout(features), next] as [tf.Tensor2D, MemoryCellState];
    });
  }

  /**
   * Why {@link wholeSequence} cannot run this model here (one clause), or undefined when it can.
   * @param backendName a tfjs backend name; default the active one.
   */
  sequenceUnsupportedReason(backendName?: string): string | undefined {
    return sequenceUnsupportedReason(this.sequenceParts(), backendName);
  }

  /**
   * The logits `[T, B, Y]` of a whole sequence in one kernel (sequence/ntmSequenceKernel.ts),
   * or undefined when this model has none ({@link sequenceUnsupportedReason}). The options
   * change nothing for the modes it supports (soft and sparsemax heads).
   * @param inputs `[T, B, X]`
   */
  wholeSequence(inputs: tf.Tensor3D, _options: ModelStepOptions = {}): tf.Tensor3D | undefined {
    if (this.sequenceUnsupportedReason() !== undefined) return undefined;
    return tidy(() => runWholeSequence(this.sequenceParts(), this.initialState(inputs.shape[1]), inputs));
  }

  private sequenceParts(): SequenceParts {
    return { controller: this.core.controller, access: this.core.access, output: this.output, outputClip: OUTPUT_CLIP };
  }

  /** The core's step: features `[B, C + R*M]` and the next state. */
  features(input: tf.Tensor2D, state: MemoryCellState, options: ModelStepOptions = {}): [tf.Tensor2D, MemoryCellState] {
    return this.core.step(input, state, options);
  }

  /** The output layer: `[K, C + R*M]` -> logits `[K, Y]`, clipped to ±OUTPUT_CLIP. */
  readout(features: tf.Tensor2D): tf.Tensor2D {
    return tidy(() => {
      const logits = this.output.apply(features);
      return this.core.access.usesFusedKernels() ? fusedClip(logits, -OUTPUT_CLIP, OUTPUT_CLIP) : tf.clipByValue(logits, -OUTPUT_CLIP, OUTPUT_CLIP);
    });
  }

  scoreTerms(state: MemoryCellState): ScoreTerms | undefined {
    return state.access.score;
  }

  reinforceBaseline(mask: tf.Tensor2D): tf.Tensor1D {
    if (!this.baseline) throw new EngramError('reinforceBaseline', 'this model has no reinforce heads', 'use a reinforce addressing mode');
    return this.baseline.apply(mask);
  }

  trace(state: MemoryCellState): StepTrace {
    const a = state.access;
    const traced = this.core.access.tracedTensors;
    const all = a as unknown as Readonly<Record<string, tf.Tensor>>;
    return {
      readWeights: a.readWeights,
      writeWeights: a.writeWeights,
      readVectors: a.readVectors,
      memory: a.memory,
      ...(traced.length ? { extras: Object.fromEntries(traced.map((name) => [name, all[name] as tf.Tensor])) } : {}),
    };
  }

  dispose(): void {
    this.core.dispose();
    this.output.dispose();
    this.baseline?.weights.dispose();
  }
}
