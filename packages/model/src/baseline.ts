import type * as tf from '@tensorflow/tfjs';
import { plainVariables, Rng, shapes, tidy, type VariableFactory } from '@engram/tensor';
import { makeController, type Controller, type ControllerState } from '@engram/controller';
import type { ModelConfig, ModelStepOptions, SequenceModel } from './model.ts';
import { denseOutput, type DenseOutput } from './output.ts';

/** The memory-less baseline: the controller alone (usually an LSTM) and the same output layer. */
export class ControllerOnlyModel implements SequenceModel<ControllerState> {
  readonly config: ModelConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly controller: Controller;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  private readonly output: DenseOutput;

  constructor(config: ModelConfig, variables: VariableFactory = plainVariables) {
    this.config = config;
    this.inputSize = config.inputSize;
    this.outputSize = config.outputSize;
    const seed = config.seed ?? 0;
    this.controller = makeController(config.controller, config.inputSize, { seed, variables });
    this.output = denseOutput(this.controller.outputSize, config.outputSize, new Rng(`${seed}/output`), variables);
    this.namedVariables = { ...this.controller.namedVariables, ...this.output.namedVariables };
  }

  initialState(batch: number): ControllerState {
    return this.controller.initialState(batch);
  }

  step(input: tf.Tensor2D, state: ControllerState, _options: ModelStepOptions = {}): [tf.Tensor2D, ControllerState] {
    shapes('ControllerOnlyModel.step').check('input', input, ['B', this.inputSize]);
    return tidy(() => {
      const [h, next] = this.controller.step(input, state);
      return [this.output.apply(h), next] as [tf.Tensor2D, ControllerState];
    });
  }

  dispose(): void {
    this.controller.dispose();
    this.output.dispose();
  }
}
