import * as tf from '@tensorflow/tfjs';
import { EngramError, Rng, tidy, type VariableFactory } from '@engram/tensor';
import { makeController, type ControllerConfig } from '@engram/controller';
import { memoryStateTensors, type MemoryState } from '@engram/memory';
import { MemoryCore, type MemoryCellState } from './memoryCell.ts';
import type { MemorySettings } from './model.ts';

/** Arguments of {@link engramCell}; everything but `name` is saved by `getConfig`. */
export interface EngramCellArgs {
  readonly controller: ControllerConfig;
  readonly memory: MemorySettings;
  readonly seed?: number;
  readonly name?: string;
}

/**
 * An NTM memory core as a tf.layers RNN cell: `tf.layers.rnn({ cell: engramCell({...}) })`
 * drops into `tf.sequential()` or `tf.model()` next to Dense layers. Per step it outputs the
 * features [controller output, read vectors] `[B, C + R*M]`.
 *
 * tf.layers starts every RNN from all-zero states, so the cell carries a `started` flag as its
 * last state: on the first step (flag 0) it substitutes its learned initial state
 * (blend = flag * state + (1 - flag) * initial), which keeps initial memory and weights
 * trainable. State 0 is the last output (tf.layers takes the output width from it).
 */
export class EngramCell extends tf.layers.Layer {
  static readonly className = 'EngramCell';
  readonly args: Required<Omit<EngramCellArgs, 'name'>>;
  /** Widths of the flat states, in order: output, controller states, the memory's state tensors (MemoryModule.stateTensors), flag. */
  readonly stateSize: number[];
  private core?: MemoryCore;
  private readonly noise: Rng;
  /** Part of tf.layers' RNNCell contract; engram cells use no dropout. */
  dropoutMask: tf.Tensor | tf.Tensor[] = [];
  recurrentDropoutMask: tf.Tensor | tf.Tensor[] = [];

  constructor(args: EngramCellArgs) {
    super(args.name ? { name: args.name } : {});
    this.args = { controller: args.controller, memory: args.memory, seed: args.seed ?? 0 };
    const m = args.memory;
    // The controller's state widths do not depend on its input width: probe with a throwaway.
    const probe = makeController(args.controller, 1);
    const controllerSizes = probe.stateSizes.map((s) => s.size);
    const controllerOut = probe.outputSize;
    probe.dispose();
    const memorySizes = memoryStateTensors(m).map((t) => t.shape.reduce((a, b) => a * b, 1));
    this.stateSize = [controllerOut + (m.readHeads ?? 1) * m.width, ...controllerSizes, ...memorySizes, 1];
    this.noise = new Rng(`${this.args.seed}/layer-noise`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inputSize = shape[shape.length - 1] as number;
    const layerVariables: VariableFactory = (name, init) => {
      const value = init();
      const weight = this.addWeight(name, value.shape, 'float32', tf.initializers.zeros());
      weight.write(value);
      value.dispose();
      return weight.read() as tf.Variable;
    };
    this.core = new MemoryCore({ inputSize, controller: this.args.controller, memory: this.args.memory, seed: this.args.seed }, layerVariables);
    if (this.core.access.needsScoreFunction) {
      throw new EngramError(
        'memory.readMode',
        "reinforce addressing needs the score-function term that only engram's Trainer adds, not model.fit",
        'use soft, sparsemax, hard, gumbel or topk in a tf.layers cell, or train with Trainer',
      );
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor[] {
    const core = this.core;
    if (!core) throw new Error('EngramCell.call before build');
    const list = inputs as tf.Tensor2D[];
    return tidy(() => {
      const x = list[0] as tf.Tensor2D;
      const b = x.shape[0];
      const flag = list[list.length - 1] as tf.Tensor2D;
      const initial = core.initialState(b);
      const initialFlat = flatten(core, initial);
      const blended = list
        .slice(2, list.length - 1)
        .map((s, i) => tf.add(tf.mul(flag, s), tf.mul(tf.sub(1, flag), initialFlat[i] as tf.Tensor2D)) as tf.Tensor2D);
      const [features, next] = core.step(x, unflatten(core, blended, b), { training: kwargs['training'] === true, rng: this.noise });
      return [features, features, ...flatten(core, next), tf.onesLike(flag)];
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.stateSize[0] as number];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), controller: this.args.controller, memory: this.args.memory, seed: this.args.seed } as unknown as tf.serialization.ConfigDict;
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    this.core?.dispose();
    return result;
  }
}

/** The controller and memory states as flat `[B, size]` tensors (without the output and flag), memory tensors in stateTensors order. */
function flatten(core: MemoryCore, state: MemoryCellState): tf.Tensor2D[] {
  const b = state.access.memory.shape[0];
  const fields = state.access as unknown as Readonly<Record<string, tf.Tensor>>;
  return [...core.controller.toList(state.controller), ...core.access.stateTensors.map((t) => tf.reshape(fields[t.name] as tf.Tensor, [b, -1]) as tf.Tensor2D)];
}

function unflatten(core: MemoryCore, flat: tf.Tensor2D[], b: number): MemoryCellState {
  const n = core.controller.stateSizes.length;
  const memory = flat.slice(n);
  const access = Object.freeze(
    Object.fromEntries(core.access.stateTensors.map((t, i) => [t.name, tf.reshape(memory[i] as tf.Tensor, [b, ...t.shape])])),
  ) as unknown as MemoryState;
  return Object.freeze({ controller: core.controller.fromList(flat.slice(0, n)), access });
}

tf.serialization.registerClass(EngramCell);

/** Makes an {@link EngramCell} for `tf.layers.rnn({ cell })`. */
export function engramCell(args: EngramCellArgs): EngramCell {
  return new EngramCell(args);
}
