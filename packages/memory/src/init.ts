import * as tf from '@tensorflow/tfjs';
import { EngramError, plainVariables, type Rng, type VariableFactory } from '@engram/tensor';

export const MEMORY_INITS = ['constant', 'learned', 'random'] as const;
/**
 * How memory starts each sequence:
 * - `constant`: every cell 1e-6 (fastest to converge in Collier & Beel 2018);
 * - `learned`: tanh of a trained bias `[N, M]`;
 * - `random`: tanh of N(0, 0.5) draws, made once from the seed and then fixed.
 */
export type MemoryInit = (typeof MEMORY_INITS)[number];

/** The constant of the `constant` scheme. */
export const CONSTANT_MEMORY_VALUE = 1e-6;

/** Produces the initial memory `[B, N, M]` for a batch, and owns the trainable bias if any. */
export interface MemoryInitializer {
  readonly scheme: MemoryInit;
  readonly variables: readonly tf.Variable[];
  initial(batch: number): tf.Tensor3D;
  /** Frees what the scheme holds (the fixed random memory, the trained bias). */
  dispose(): void;
}

export function makeMemoryInit(scheme: MemoryInit, slots: number, width: number, rng: Rng, variables: VariableFactory = plainVariables): MemoryInitializer {
  switch (scheme) {
    case 'constant':
      return { scheme, variables: [], initial: (b) => tf.fill([b, slots, width], CONSTANT_MEMORY_VALUE) as tf.Tensor3D, dispose: () => {} };
    case 'learned': {
      const bias = variables('memory/initialBias', () => rng.normalTensor([1, slots, width], 0, 0.5));
      return { scheme, variables: [bias], initial: (b) => tf.tidy(() => tf.tile(tf.tanh(bias), [b, 1, 1]) as tf.Tensor3D), dispose: () => bias.dispose() };
    }
    case 'random': {
      const fixed = tf.keep(tf.tidy(() => tf.tanh(rng.normalTensor([1, slots, width], 0, 0.5))));
      return { scheme, variables: [], initial: (b) => tf.tile(fixed, [b, 1, 1]) as tf.Tensor3D, dispose: () => fixed.dispose() };
    }
    default:
      throw new EngramError('init', `unknown memory initialisation '${String(scheme)}'`, `use one of ${MEMORY_INITS.join(', ')}`);
  }
}
