import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel } from './fusedKernel.ts';

/** Kernel names (tfjs registry). */
export const CLIP = 'EngramClip';
export const CLIP_GRAD = 'EngramClipGrad';

type ClipAttrs = { lo: number; hi: number };

function registerClipKernels(): void {
  registerFusedKernel<ClipAttrs>({
    name: CLIP,
    inputs: ['x'],
    outputShapes: ([x]) => [[...x!]],
    compute: ([x], [y], _, { lo, hi }) => {
      for (let i = 0; i < y!.length; i++) {
        const v = x![i]!;
        y![i] = v < lo ? lo : Math.min(v, hi);
      }
    },
  });
  registerFusedKernel<ClipAttrs>({
    name: CLIP_GRAD,
    inputs: ['dy', 'x'],
    outputShapes: ([dy]) => [[...dy!]],
    compute: ([dy, x], [dx], _, { lo, hi }) => {
      for (let i = 0; i < dx!.length; i++) {
        const v = x![i]!;
        dx![i] = v >= lo && v <= hi ? dy![i]! : 0;
      }
    },
  });
  registerFusedGradient({
    kernelName: CLIP,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [dx] = runKernel(CLIP_GRAD, { dy: dy as tf.Tensor, x: saved[0] as tf.Tensor }, attrs);
      return { x: () => dx as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerClipKernels();

/**
 * `tf.clipByValue` as one fused kernel forward and one backward (tfjs's gradient is five ops):
 * the same values and the same gradient, dy where lo <= x <= hi, else 0. cpu and wasm backends.
 */
export function fusedClip<T extends tf.Tensor>(x: T, lo: number, hi: number): T {
  return runKernel(CLIP, { x }, { lo, hi })[0] as T;
}
