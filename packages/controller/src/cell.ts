import type * as tf from '@tensorflow/tfjs';
import type { Rng, VariableFactory } from '@engram/tensor';
import type { Activation } from './activation.ts';

/** The recurrent tensors a layer can carry: `h` (hidden, LSTM and GRU) and `c` (LSTM cell). */
export type StateKey = 'h' | 'c';

/**
 * One layer of a controller. A controller is a stack of cells of one kind: the output of
 * layer l is the input of layer l+1, and the output of the last layer is the controller's.
 */
export interface Cell<K extends StateKey = StateKey> {
  /** The state tensors this layer carries, in {@link Controller.stateSizes} order. */
  readonly stateKeys: readonly K[];
  /** The width of the layer's output and of each of its state tensors. */
  readonly units: number;
  /** The learned initial value `[1, units]` of each state tensor. */
  readonly initial: Readonly<Record<K, tf.Variable>>;
  /**
   * @param x `[B, inputSize]`
   * @param prev `[B, units]` per state key
   * @returns the output `[B, units]` and the next state `[B, units]` per key.
   */
  step(x: tf.Tensor2D, prev: Readonly<Record<K, tf.Tensor2D>>): { output: tf.Tensor2D; state: Record<K, tf.Tensor2D> };
}

/** What a cell constructor gets: where to name its weights, its sizes, and where to draw them from. */
export interface CellContext {
  /** Weight path prefix, e.g. `controller/lstm0`. */
  readonly path: string;
  readonly inputSize: number;
  readonly units: number;
  readonly rng: Rng;
  readonly variables: VariableFactory;
  readonly activation: Activation;
  /**
   * Elementwise math on fused kernels (`fused`, or `auto` on the cpu and wasm backends) or on
   * the composite tfjs ops (`reference`). Default auto. Cells without fused kernels ignore it.
   */
  readonly kernels?: 'auto' | 'fused' | 'reference';
}
