import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel, shapes } from '@engram/tensor';
import { readBackward, readForward } from './readMath.ts';
import { headSizes, runSimdKernel } from './simd/ntmSimd.ts';
import { memoryHeadDims } from './dims.ts';

/** Kernel names (tfjs registry). */
export const NTM_READ = 'EngramNtmRead';
export const NTM_READ_GRAD = 'EngramNtmReadGrad';

/** Registers the forward and backward read kernels and the gradient (idempotent). */
function registerReadKernels(): void {
  registerFusedKernel({
    name: NTM_READ,
    inputs: ['memory', 'weights'],
    outputShapes: ([m, w]) => [[m![0]!, w![1]!, m![2]!]],
    compute: (ins, outs, [m, w]) => {
      const d = memoryHeadDims(m!, w!);
      if (runSimdKernel('ntmRead', headSizes(d), ins, outs)) return;
      readForward(d, ins[0]!, ins[1]!, outs[0]!);
    },
  });
  registerFusedKernel({
    name: NTM_READ_GRAD,
    inputs: ['dy', 'memory', 'weights'],
    outputShapes: ([, m, w]) => [[...m!], [...w!]],
    compute: (ins, outs, [, m, w]) => {
      const d = memoryHeadDims(m!, w!);
      if (runSimdKernel('ntmReadGrad', headSizes(d), ins, outs)) return;
      const [dy, memory, weights] = ins;
      readBackward(d, dy!, memory!, weights!, outs[0]!, outs[1]!);
    },
  });
  registerFusedGradient({
    kernelName: NTM_READ,
    inputsToSave: ['memory', 'weights'],
    gradFunc: (dy, saved) => {
      const [memory, weights] = saved as tf.Tensor[];
      const [dMemory, dWeights] = runKernel(NTM_READ_GRAD, { dy: dy as tf.Tensor, memory: memory!, weights: weights! });
      return { memory: () => dMemory as tf.Tensor, weights: () => dWeights as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerReadKernels();

/**
 * Fused NTM read in one kernel, forward and backward as plain loops; the same function as
 * `read` (readWrite.ts), which is a batched matMul that tfjs-backend-wasm runs slowly for B > 1.
 * @param memory `[B, N, M]`
 * @param weights `[B, R, N]`
 * @returns read vectors `[B, R, M]`
 */
export function fusedRead(memory: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('fusedRead');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('weights', weights, ['B', 'R', 'N']);
  return runKernel(NTM_READ, { memory, weights })[0] as tf.Tensor3D;
}
