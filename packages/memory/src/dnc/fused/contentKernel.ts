import type * as tf from '@tensorflow/tfjs';
import { EngramError, registerFusedGradient, registerFusedKernel, runKernel, shapes } from '@engram/tensor';
import { AUX_ROWS } from '../../ntm/fused/addressMath.ts';
import { ROW_NORM_FLOOR } from '../../constants.ts';
import { runSimdKernel, useSimdRowNormFloor } from '../../ntm/fused/simd/ntmSimd.ts';

/** Kernel names (tfjs registry). */
export const CONTENT_WEIGHTS = 'EngramContentWeights';
export const CONTENT_WEIGHTS_GRAD = 'EngramContentWeightsGrad';

const INPUTS = ['memory', 'key', 'beta'] as const;

/** The twins' leading scalars: B, H, N, M, from memory `[B,N,M]` and key `[B,H,M]`. */
function sizes(m: readonly number[], k: readonly number[]): number[] {
  return [m[0]!, k[1]!, m[1]!, m[2]!];
}

function twinOnly(name: string): never {
  throw new EngramError(
    name,
    'this kernel runs only on its WebAssembly SIMD twin, which cannot run here',
    'use the composite contentWeights (kernels: reference)',
  );
}

/** Registers the forward and backward kernels and the gradient (once, at import). */
function registerContentKernels(): void {
  registerFusedKernel({
    name: CONTENT_WEIGHTS,
    inputs: INPUTS,
    // weights [B,H,N], aux [B,H,AUX_ROWS,N] (the cosine scores and inverse row norms)
    outputShapes: ([m, k]) => [
      [m![0]!, k![1]!, m![1]!],
      [m![0]!, k![1]!, AUX_ROWS, m![1]!],
    ],
    compute: (ins, outs, [m, k]) => {
      // the DNC's cosine keeps the default floor, whatever an NTM kernel set before
      useSimdRowNormFloor(ROW_NORM_FLOOR);
      if (!runSimdKernel('contentWeights', sizes(m!, k!), ins, outs)) twinOnly(CONTENT_WEIGHTS);
    },
  });
  registerFusedKernel({
    name: CONTENT_WEIGHTS_GRAD,
    inputs: ['dy', 'weights', 'aux', ...INPUTS],
    outputShapes: (s) => s.slice(3).map((x) => [...x]),
    compute: (ins, outs, s) => {
      useSimdRowNormFloor(ROW_NORM_FLOOR);
      if (!runSimdKernel('contentWeightsGrad', sizes(s[3]!, s[4]!), ins, outs)) twinOnly(CONTENT_WEIGHTS_GRAD);
    },
  });
  registerFusedGradient({
    kernelName: CONTENT_WEIGHTS,
    inputsToSave: [...INPUTS],
    outputsToSave: [true, true],
    gradFunc: (dy, saved) => {
      const [dWeights] = (Array.isArray(dy) ? dy : [dy]) as tf.Tensor[];
      const [memory, key, beta, weights, aux] = saved as tf.Tensor[];
      const g = runKernel(CONTENT_WEIGHTS_GRAD, { dy: dWeights!, weights: weights!, aux: aux!, memory: memory!, key: key!, beta: beta! });
      return { memory: () => g[0] as tf.Tensor, key: () => g[1] as tf.Tensor, beta: () => g[2] as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerContentKernels();

/**
 * Content weights softmax_N(beta * cosine(key, M_i)) in one kernel with its own backward, on the
 * WebAssembly SIMD twins only (the same function as `contentWeights` with cosine and softmax;
 * call it only where `simdKernelsActive()`, else it throws).
 * @param memory `[B, N, M]`; key `[B, H, M]`; beta `[B, H]`.
 * @returns `[B, H, N]`
 */
export function fusedContentWeights(memory: tf.Tensor3D, key: tf.Tensor3D, beta: tf.Tensor2D): tf.Tensor3D {
  const s = shapes('fusedContentWeights');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('key', key, ['B', 'H', 'M']);
  s.check('beta', beta, ['B', 'H']);
  const [weights, aux] = runKernel(CONTENT_WEIGHTS, { memory, key, beta });
  aux!.dispose(); // kept (as a saved clone) only when a gradient tape records this call
  return weights as tf.Tensor3D;
}
