import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import { addressBackward, addressDims, addressForward, AUX_ROWS } from './addressMath.ts';
import type { FusedNormalizer } from './addressKernel.ts';
import { scratch32 } from './scratch.ts';
import { runAddressSimdKernel } from './simd/ntmSimd.ts';
import { ROW_NORM_FLOOR } from '../../constants.ts';
import { writeBackward, writeForward } from './writeMath.ts';

/**
 * A whole write group in one kernel: the write heads address memory and write it (erase all,
 * then add all). Used for soft and sparsemax write heads, whose weights go straight from the
 * addressing into the write; it saves the dispatches, the intermediate tensors and the
 * engine's gradient sums of running addressing and write as two kernels.
 */
export const NTM_ADDRESS_WRITE = 'EngramNtmAddressWrite';
export const NTM_ADDRESS_WRITE_GRAD = 'EngramNtmAddressWriteGrad';

/** `rowNormFloor`: the cosine's row-norm floor δ (memory.rowNormFloor). */
type Attrs = { normalize: FusedNormalizer; rowNormFloor: number };

const INPUTS = ['memory', 'key', 'beta', 'gate', 'shift', 'gamma', 'prev', 'erase', 'add'] as const;

/** Registers the forward and backward kernels and the gradient (idempotent). */
function registerAddressWriteKernels(): void {
  registerFusedKernel<Attrs>({
    name: NTM_ADDRESS_WRITE,
    inputs: INPUTS,
    // weights [B,W,N], new memory [B,N,M], aux [B,W,AUX_ROWS,N]
    outputShapes: ([m, k]) => [[m![0]!, k![1]!, m![1]!], [...m!], [m![0]!, k![1]!, AUX_ROWS, m![1]!]],
    compute: (ins, outs, [m, k, , , s], attrs) => {
      const d = addressDims(m!, k!, s!, attrs.rowNormFloor);
      if (runAddressSimdKernel('ntmAddressWrite', d, attrs.normalize === 'sparsemax', ins, outs)) return;
      const [weights, newMemory, aux] = outs;
      const [memory, key, beta, gate, shiftDist, gamma, prev, erase, add] = ins as Float32Array[];
      addressForward(
        d,
        attrs.normalize === 'sparsemax',
        { memory: memory!, key: key!, beta: beta!, gate: gate!, shiftDist: shiftDist!, gamma: gamma!, prev: prev! },
        weights!,
        aux!,
      );
      writeForward(d, { memory: memory!, weights: weights!, erase: erase!, add: add! }, newMemory!);
    },
  });
  registerFusedKernel<Attrs>({
    name: NTM_ADDRESS_WRITE_GRAD,
    inputs: ['dWeights', 'dMemory', 'weights', 'aux', ...INPUTS],
    outputShapes: (s) => s.slice(4).map((x) => [...x]),
    compute: (ins, outs, s, attrs) => {
      const [dWeights, dNewMemory, weights, aux, memory, key, beta, gate, shiftDist, gamma, prev, erase, add] = ins as Float32Array[];
      const [gMemory, gKey, gBeta, gGate, gShift, gGamma, gPrev, gErase, gAdd] = outs as Float32Array[];
      const d = addressDims(s[4]!, s[5]!, s[8]!, attrs.rowNormFloor);
      if (runAddressSimdKernel('ntmAddressWriteGrad', d, attrs.normalize === 'sparsemax', ins, outs)) return;
      // write backward first, for the erase and add gradients and the weights' share (which
      // joins the incoming weights gradient); the write's share of the memory gradient is
      // added in the addressing backward's sweep over memory
      const dw = scratch32('addressWrite.dw', dWeights!.length);
      writeBackward(
        d,
        dNewMemory!,
        { memory: memory!, weights: weights!, erase: erase!, add: add! },
        { memory: gMemory!, weights: dw, erase: gErase!, add: gAdd! },
        false,
      );
      for (let i = 0; i < dw.length; i++) dw[i] = dw[i]! + dWeights![i]!;
      addressBackward(
        d,
        attrs.normalize === 'sparsemax',
        dw,
        weights!,
        aux!,
        { memory: memory!, key: key!, beta: beta!, gate: gate!, shiftDist: shiftDist!, gamma: gamma!, prev: prev! },
        { memory: gMemory!, key: gKey!, beta: gBeta!, gate: gGate!, shiftDist: gShift!, gamma: gGamma!, prev: gPrev! },
        { kind: 'write', dy: dNewMemory!, weights: weights!, erase: erase! },
      );
    },
  });
  registerFusedGradient({
    kernelName: NTM_ADDRESS_WRITE,
    inputsToSave: [...INPUTS],
    outputsToSave: [true, false, true],
    gradFunc: (dy, saved, attrs) => {
      const [dWeights, dMemory] = dy as tf.Tensor[];
      const inputs = saved.slice(0, INPUTS.length) as tf.Tensor[];
      const [weights, aux] = saved.slice(INPUTS.length) as tf.Tensor[];
      const named: Record<string, tf.Tensor> = { dWeights: dWeights!, dMemory: dMemory!, weights: weights!, aux: aux! };
      INPUTS.forEach((n, i) => (named[n] = inputs[i] as tf.Tensor));
      const g = runKernel(NTM_ADDRESS_WRITE_GRAD, named, attrs);
      return Object.fromEntries(INPUTS.map((name, i) => [name, () => g[i] as tf.Tensor]));
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerAddressWriteKernels();

/**
 * Fused addressing + write of a group of write heads; the same function as
 * `write(memory, ntmAddress(memory, key, ..., prev), erase, add)` with cosine similarity.
 * @param memory `[B, N, M]`; key `[B, W, M]`; beta, gate, gamma `[B, W]`; shiftDist `[B, W, 2S+1]`;
 *   prev `[B, W, N]`; erase, add `[B, W, M]`.
 * @param rowNormFloor δ of the cosine's row norm; default ROW_NORM_FLOOR.
 * @returns the write weights `[B, W, N]` and the new memory `[B, N, M]`.
 */
export function fusedAddressWrite(
  memory: tf.Tensor3D,
  key: tf.Tensor3D,
  beta: tf.Tensor2D,
  gate: tf.Tensor2D,
  shiftDist: tf.Tensor3D,
  gamma: tf.Tensor2D,
  prev: tf.Tensor3D,
  erase: tf.Tensor3D,
  add: tf.Tensor3D,
  normalize: FusedNormalizer = 'softmax',
  rowNormFloor = ROW_NORM_FLOOR,
): { weights: tf.Tensor3D; memory: tf.Tensor3D } {
  const [weights, newMemory, aux] = runKernel(
    NTM_ADDRESS_WRITE,
    { memory, key, beta, gate, shift: shiftDist, gamma, prev, erase, add },
    { normalize, rowNormFloor },
  );
  aux!.dispose(); // kept (as a saved clone) only when a gradient tape records this call
  return { weights: weights as tf.Tensor3D, memory: newMemory as tf.Tensor3D };
}
