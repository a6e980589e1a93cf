import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel, shapes } from '@engram/tensor';
import { writeBackward, writeForward } from './writeMath.ts';
import { memoryHeadDims } from './dims.ts';
import { headSizes, runSimdKernel } from './simd/ntmSimd.ts';

/** Kernel names (tfjs registry). */
export const NTM_WRITE = 'EngramNtmWrite';
export const NTM_WRITE_GRAD = 'EngramNtmWriteGrad';

const INPUTS = ['memory', 'weights', 'erase', 'add'] as const;

/** Registers the forward and backward write kernels and the gradient (idempotent). */
function registerWriteKernels(): void {
  registerFusedKernel({
    name: NTM_WRITE,
    inputs: INPUTS,
    outputShapes: ([m]) => [[...m!]],
    compute: (ins, outs, [m, w]) => {
      const d = memoryHeadDims(m!, w!);
      if (runSimdKernel('ntmWrite', headSizes(d), ins, outs)) return;
      const [memory, weights, erase, add] = ins;
      writeForward(d, { memory: memory!, weights: weights!, erase: erase!, add: add! }, outs[0]!);
    },
  });
  registerFusedKernel({
    name: NTM_WRITE_GRAD,
    inputs: ['dy', ...INPUTS],
    outputShapes: (s) => s.slice(1).map((x) => [...x]),
    compute: (ins, outs, s) => {
      const d = memoryHeadDims(s[1]!, s[2]!);
      if (runSimdKernel('ntmWriteGrad', headSizes(d), ins, outs)) return;
      const [dy, memory, weights, erase, add] = ins;
      const [dMemory, dWeights, dErase, dAdd] = outs;
      writeBackward(
        d,
        dy!,
        { memory: memory!, weights: weights!, erase: erase!, add: add! },
        { memory: dMemory!, weights: dWeights!, erase: dErase!, add: dAdd! },
      );
    },
  });
  registerFusedGradient({
    kernelName: NTM_WRITE,
    inputsToSave: [...INPUTS],
    gradFunc: (dy, saved) => {
      const [memory, weights, erase, add] = saved as tf.Tensor[];
      const g = runKernel(NTM_WRITE_GRAD, { dy: dy as tf.Tensor, memory: memory!, weights: weights!, erase: erase!, add: add! });
      return Object.fromEntries(INPUTS.map((name, i) => [name, () => g[i] as tf.Tensor]));
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerWriteKernels();

/**
 * Fused NTM write (erase all heads, then add all heads) in one kernel; the same function as
 * `write` (readWrite.ts). Registers its kernels on first use.
 * @param memory `[B, N, M]`
 * @param weights `[B, W, N]`
 * @param erase `[B, W, M]` in [0, 1]
 * @param add `[B, W, M]`
 * @returns the new memory `[B, N, M]`
 */
export function fusedWrite(memory: tf.Tensor3D, weights: tf.Tensor3D, erase: tf.Tensor3D, add: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('fusedWrite');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('weights', weights, ['B', 'W', 'N']);
  s.check('erase', erase, ['B', 'W', 'M']);
  s.check('add', add, ['B', 'W', 'M']);
  return runKernel(NTM_WRITE, { memory, weights, erase, add })[0] as tf.Tensor3D;
}
