import type * as tf from '@tensorflow/tfjs';
import { EngramError, registerFusedGradient, registerFusedKernel, runKernel, shapes } from '@engram/tensor';
import { addressBackward, addressDims, addressForward, AUX_ROWS } from './addressMath.ts';
import { runAddressSimdKernel } from './simd/ntmSimd.ts';
import { ROW_NORM_FLOOR } from '../../constants.ts';

/** Kernel names (tfjs registry). */
export const NTM_ADDRESS = 'EngramNtmAddress';
export const NTM_ADDRESS_GRAD = 'EngramNtmAddressGrad';

/** How content scores are normalised inside the fused addressing. */
export type FusedNormalizer = 'softmax' | 'sparsemax';

/** `rowNormFloor`: the cosine's row-norm floor δ (memory.rowNormFloor). */
type AddressAttrs = { normalize: FusedNormalizer; rowNormFloor: number };

const INPUTS = ['memory', 'key', 'beta', 'gate', 'shift', 'gamma', 'prev'] as const;

/** Sizes from the shapes of memory `[B,N,M]`, key `[B,H,M]` and shift `[B,H,2S+1]`. */
/** Registers the forward and backward addressing kernels and the gradient (idempotent). */
function registerAddressKernels(): void {
  registerFusedKernel<AddressAttrs>({
    name: NTM_ADDRESS,
    inputs: INPUTS,
    outputShapes: ([m, k]) => [
      [m![0]!, k![1]!, m![1]!],
      [m![0]!, k![1]!, AUX_ROWS, m![1]!],
    ],
    compute: (ins, outs, [m, k, , , s], attrs) => {
      const d = addressDims(m!, k!, s!, attrs.rowNormFloor);
      const sparse = attrs.normalize === 'sparsemax';
      if (runAddressSimdKernel('ntmAddress', d, sparse, ins, outs)) return;
      const [memory, key, beta, gate, shiftDist, gamma, prev] = ins as Float32Array[];
      const [weights, aux] = outs;
      addressForward(d, sparse, { memory: memory!, key: key!, beta: beta!, gate: gate!, shiftDist: shiftDist!, gamma: gamma!, prev: prev! }, weights!, aux!);
    },
  });
  registerFusedKernel<AddressAttrs>({
    name: NTM_ADDRESS_GRAD,
    inputs: ['dy', 'weights', 'aux', ...INPUTS],
    // gradients have the shapes of the forward inputs
    outputShapes: (shapesIn) => shapesIn.slice(3).map((s) => [...s]),
    compute: (ins, outs, shapesIn, attrs) => {
      const [dy, weights, aux, memory, key, beta, gate, shiftDist, gamma, prev] = ins as Float32Array[];
      const [dMemory, dKey, dBeta, dGate, dShift, dGamma, dPrev] = outs as Float32Array[];
      const d = addressDims(shapesIn[3]!, shapesIn[4]!, shapesIn[7]!, attrs.rowNormFloor);
      const sparse = attrs.normalize === 'sparsemax';
      if (runAddressSimdKernel('ntmAddressGrad', d, sparse, ins, outs)) return;
      addressBackward(
        d,
        sparse,
        dy!,
        weights!,
        aux!,
        { memory: memory!, key: key!, beta: beta!, gate: gate!, shiftDist: shiftDist!, gamma: gamma!, prev: prev! },
        { memory: dMemory!, key: dKey!, beta: dBeta!, gate: dGate!, shiftDist: dShift!, gamma: dGamma!, prev: dPrev! },
      );
    },
  });
  registerFusedGradient({
    kernelName: NTM_ADDRESS,
    inputsToSave: [...INPUTS],
    outputsToSave: [true, true],
    gradFunc: (dy, saved, attrs) => {
      const [memory, key, beta, gate, shift, gamma, prev, weights, aux] = saved as tf.Tensor[];
      const dWeights = (dy as tf.Tensor[])[0] as tf.Tensor;
      // One backward kernel computes every input's gradient at once.
      const g = runKernel(
        NTM_ADDRESS_GRAD,
        { dy: dWeights, weights: weights!, aux: aux!, memory: memory!, key: key!, beta: beta!, gate: gate!, shift: shift!, gamma: gamma!, prev: prev! },
        attrs,
      );
      return Object.fromEntries(INPUTS.map((name, i) => [name, () => g[i] as tf.Tensor]));
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerAddressKernels();

/**
 * Fused NTM addressing (content with cosine similarity, interpolation, shift, sharpening) in
 * one kernel; the same function as `ntmAddress(..., cosine, softmax | sparsemax)`.
 * Registers its kernels on first use.
 * @param memory `[B, N, M]`
 * @param key `[B, H, M]`
 * @param beta `[B, H]` >= 0
 * @param gate `[B, H]` in [0, 1]
 * @param shiftDist `[B, H, 2S+1]` a distribution over shifts -S..+S
 * @param gamma `[B, H]` >= 1
 * @param prev `[B, H, N]`
 * @param rowNormFloor δ in the cosine's row norm sqrt(|m|^2 + δ^2); default ROW_NORM_FLOOR.
 * @returns `[B, H, N]`
 */
export function fusedAddress(
  memory: tf.Tensor3D,
  key: tf.Tensor3D,
  beta: tf.Tensor2D,
  gate: tf.Tensor2D,
  shiftDist: tf.Tensor3D,
  gamma: tf.Tensor2D,
  prev: tf.Tensor3D,
  normalize: FusedNormalizer = 'softmax',
  rowNormFloor = ROW_NORM_FLOOR,
): tf.Tensor3D {
  const s = shapes('fusedAddress');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('key', key, ['B', 'H', 'M']);
  s.check('beta', beta, ['B', 'H']);
  s.check('gate', gate, ['B', 'H']);
  s.check('shiftDist', shiftDist, ['B', 'H', 'S']);
  s.check('gamma', gamma, ['B', 'H']);
  s.check('prev', prev, ['B', 'H', 'N']);
  const width = shiftDist.shape[2];
  if (width % 2 !== 1 || width > memory.shape[1]) {
    throw new EngramError(
      'fusedAddress(shiftDist)',
      `last dimension ${width} must be odd (2S+1) and at most N=${memory.shape[1]}`,
      'pass a distribution over shifts -S..+S with 2S+1 <= N',
    );
  }
  const [weights, aux] = runKernel(NTM_ADDRESS, { memory, key, beta, gate, shift: shiftDist, gamma, prev }, { normalize, rowNormFloor });
  aux!.dispose(); // kept (as a saved clone) only when a gradient tape records this call
  return weights as tf.Tensor3D;
}
