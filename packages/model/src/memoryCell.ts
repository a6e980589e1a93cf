import * as tf from '@tensorflow/tfjs';
import { plainVariables, Rng, shapes, tidy, type VariableFactory } from '@engram/tensor';
import { makeController, type Controller, type ControllerState } from '@engram/controller';
import { MemoryAccess, type AccessState } from '@engram/memory';
import type { ModelConfig, ModelStepOptions, SequenceModel, StepTrace } from './model.ts';
import { denseOutput, type DenseOutput } from './output.ts';

/** Controller outputs are clipped to this range before they become head controls (Collier & Beel 2018). */
export const CONTROLLER_CLIP = 20;

/** The state of a {@link MemoryCell}: the controller's and the memory's, side by side. */
export interface MemoryCellState {
  readonly controller: ControllerState;
  readonly access: AccessState;
}

/**
 * The NTM cell: controller + memory + output layer, wired as in Graves et al. (2014):
 * controller input = [x_t, r_{t-1}], heads driven by clip(controller output, ±20), memory
 * written then read, output logits = [controller output, r_t] · W + b.
 */
export class MemoryCell implements SequenceModel<MemoryCellState> {
  readonly config: ModelConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly controller: Controller;
  readonly access: MemoryAccess;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  private readonly output: DenseOutput;
  private readonly readSize: number;

  constructor(config: ModelConfig, variables: VariableFactory = plainVariables) {
    if (!config.memory) throw new Error('MemoryCell needs config.memory'); // buildModel validates first
    this.config = config;
    this.inputSize = config.inputSize;
    this.outputSize = config.outputSize;
    const seed = config.seed ?? 0;
    const rng = new Rng(`${seed}/output`);
    const readHeads = config.memory.readHeads ?? 1;
    this.readSize = readHeads * config.memory.width;
    this.controller = makeController(config.controller, config.inputSize + this.readSize, { seed, variables });
    this.access = new MemoryAccess({ ...config.memory, controllerSize: this.controller.outputSize, seed: seed + 1 }, variables);
    this.output = denseOutput(this.controller.outputSize + this.readSize, config.outputSize, rng, variables);
    this.namedVariables = { ...this.controller.namedVariables, ...this.access.namedVariables, ...this.output.namedVariables };
  }

  initialState(batch: number): MemoryCellState {
    return Object.freeze({ controller: this.controller.initialState(batch), access: this.access.initialState(batch) });
  }

  step(input: tf.Tensor2D, state: MemoryCellState, options: ModelStepOptions = {}): [tf.Tensor2D, MemoryCellState] {
    shapes('MemoryCell.step').check('input', input, ['B', this.inputSize]);
    return tidy(() => {
      const b = input.shape[0];
      const prevReads = tf.reshape(state.access.readVectors, [b, this.readSize]);
      const [h, controller] = this.controller.step(tf.concat([input, prevReads], 1) as tf.Tensor2D, state.controller);
      const [reads, access] = this.access.step(tf.clipByValue(h, -CONTROLLER_CLIP, CONTROLLER_CLIP), state.access, options);
      const logits = this.output.apply(tf.concat([h, tf.reshape(reads, [b, this.readSize])], 1) as tf.Tensor2D);
      return [logits, Object.freeze({ controller, access })] as [tf.Tensor2D, MemoryCellState];
    });
  }

  trace(state: MemoryCellState): StepTrace {
    const a = state.access;
    return { readWeights: a.readWeights, writeWeights: a.writeWeights, readVectors: a.readVectors, memory: a.memory };
  }

  dispose(): void {
    this.controller.dispose();
    this.access.dispose();
    this.output.dispose();
  }
}
