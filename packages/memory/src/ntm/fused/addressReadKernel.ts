import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import { addressBackward, addressDims, addressForward, AUX_ROWS } from './addressMath.ts';
import type { FusedNormalizer } from './addressKernel.ts';
import { readForward, readWeightsGrad } from './readMath.ts';
import { scratch32 } from './scratch.ts';
import { runAddressSimdKernel } from './simd/ntmSimd.ts';
import { ROW_NORM_FLOOR } from '../../constants.ts';

/**
 * A whole read group in one kernel: the read heads address memory and read it. Used for soft
 * and sparsemax read heads, whose weights go straight from the addressing into the read.
 */
export const NTM_ADDRESS_READ = 'EngramNtmAddressRead';
export const NTM_ADDRESS_READ_GRAD = 'EngramNtmAddressReadGrad';

/** `rowNormFloor`: the cosine's row-norm floor δ (memory.rowNormFloor). */
type Attrs = { normalize: FusedNormalizer; rowNormFloor: number };

const INPUTS = ['memory', 'key', 'beta', 'gate', 'shift', 'gamma', 'prev'] as const;

/** Registers the forward and backward kernels and the gradient (idempotent). */
function registerAddressReadKernels(): void {
  registerFusedKernel<Attrs>({
    name: NTM_ADDRESS_READ,
    inputs: INPUTS,
    // weights [B,R,N], read vectors [B,R,M], aux [B,R,AUX_ROWS,N]
    outputShapes: ([m, k]) => [
      [m![0]!, k![1]!, m![1]!],
      [m![0]!, k![1]!, m![2]!],
      [m![0]!, k![1]!, AUX_ROWS, m![1]!],
    ],
    compute: (ins, outs, [m, k, , , s], attrs) => {
      const d = addressDims(m!, k!, s!, attrs.rowNormFloor);
      if (runAddressSimdKernel('ntmAddressRead', d, attrs.normalize === 'sparsemax', ins, outs)) return;
      const [weights, reads, aux] = outs;
      const [memory, key, beta, gate, shiftDist, gamma, prev] = ins as Float32Array[];
      addressForward(
        d,
        attrs.normalize === 'sparsemax',
        { memory: memory!, key: key!, beta: beta!, gate: gate!, shiftDist: shiftDist!, gamma: gamma!, prev: prev! },
        weights!,
        aux!,
      );
      readForward(d, memory!, weights!, reads!);
    },
  });
  registerFusedKernel<Attrs>({
    name: NTM_ADDRESS_READ_GRAD,
    inputs: ['dWeights', 'dReads', 'weights', 'aux', ...INPUTS],
    outputShapes: (s) => s.slice(4).map((x) => [...x]),
    compute: (ins, outs, s, attrs) => {
      const [dWeights, dReads, weights, aux, memory, key, beta, gate, shiftDist, gamma, prev] = ins as Float32Array[];
      const [gMemory, gKey, gBeta, gGate, gShift, gGamma, gPrev] = outs as Float32Array[];
      const d = addressDims(s[4]!, s[5]!, s[8]!, attrs.rowNormFloor);
      if (runAddressSimdKernel('ntmAddressReadGrad', d, attrs.normalize === 'sparsemax', ins, outs)) return;
      // the read's share of the weights gradient joins the incoming one; its share of the
      // memory gradient is added in the addressing backward's sweep over memory
      const dw = scratch32('addressRead.dw', dWeights!.length);
      readWeightsGrad(d, dReads!, memory!, dw);
      for (let i = 0; i < dw.length; i++) dw[i] = dw[i]! + dWeights![i]!;
      addressBackward(
        d,
        attrs.normalize === 'sparsemax',
        dw,
        weights!,
        aux!,
        { memory: memory!, key: key!, beta: beta!, gate: gate!, shiftDist: shiftDist!, gamma: gamma!, prev: prev! },
        { memory: gMemory!, key: gKey!, beta: gBeta!, gate: gGate!, shiftDist: gShift!, gamma: gGamma!, prev: gPrev! },
        { kind: 'read', weights: weights!, dReads: dReads! },
      );
    },
  });
  registerFusedGradient({
    kernelName: NTM_ADDRESS_READ,
    inputsToSave: [...INPUTS],
    outputsToSave: [true, false, true],
    gradFunc: (dy, saved, attrs) => {
      const [dWeights, dReads] = dy as tf.Tensor[];
      const inputs = saved.slice(0, INPUTS.length) as tf.Tensor[];
      const [weights, aux] = saved.slice(INPUTS.length) as tf.Tensor[];
      const named: Record<string, tf.Tensor> = { dWeights: dWeights!, dReads: dReads!, weights: weights!, aux: aux! };
      INPUTS.forEach((n, i) => (named[n] = inputs[i] as tf.Tensor));
      const g = runKernel(NTM_ADDRESS_READ_GRAD, named, attrs);
      return Object.fromEntries(INPUTS.map((name, i) => [name, () => g[i] as tf.Tensor]));
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerAddressReadKernels();

/**
 * Fused addressing + read of a group of read heads; the same function as
 * `read(memory, ntmAddress(memory, key, ..., prev))` with cosine similarity.
 * @param memory `[B, N, M]`; key `[B, R, M]`; beta, gate, gamma `[B, R]`; shiftDist `[B, R, 2S+1]`; prev `[B, R, N]`.
 * @param rowNormFloor δ of the cosine's row norm; default ROW_NORM_FLOOR.
 * @returns the read weights `[B, R, N]` and the read vectors `[B, R, M]`.
 */
export function fusedAddressRead(
  memory: tf.Tensor3D,
  key: tf.Tensor3D,
  beta: tf.Tensor2D,
  gate: tf.Tensor2D,
  shiftDist: tf.Tensor3D,
  gamma: tf.Tensor2D,
  prev: tf.Tensor3D,
  normalize: FusedNormalizer = 'softmax',
  rowNormFloor = ROW_NORM_FLOOR,
): { weights: tf.Tensor3D; reads: tf.Tensor3D } {
  const [weights, reads, aux] = runKernel(NTM_ADDRESS_READ, { memory, key, beta, gate, shift: shiftDist, gamma, prev }, { normalize, rowNormFloor });
  aux!.dispose(); // kept (as a saved clone) only when a gradient tape records this call
  return { weights: weights as tf.Tensor3D, reads: reads as tf.Tensor3D };
}
