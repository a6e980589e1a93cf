import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel, shapes } from '@engram/tensor';
import { runSimdKernel } from '../../ntm/fused/simd/ntmSimd.ts';
import { temporalBackward, temporalForward, type TemporalDims } from './temporalMath.ts';

/** Kernel names (tfjs registry). */
export const DNC_TEMPORAL = 'EngramDncTemporal';
export const DNC_TEMPORAL_GRAD = 'EngramDncTemporalGrad';

/** Sizes from link `[B,W,N,N]` and read weights `[B,R,N]`. */
function dimsOf(link: readonly number[], reads: readonly number[]): TemporalDims {
  return { batch: link[0]!, writeHeads: link[1]!, slots: link[2]!, readHeads: reads[1]! };
}

/** The twins' leading scalars, in their order: B, W, N, R. */
function temporalSizes(d: TemporalDims): number[] {
  return [d.batch, d.writeHeads, d.slots, d.readHeads];
}

/** Registers the forward and backward temporal kernels and the gradient (idempotent). */
function registerTemporalKernels(): void {
  registerFusedKernel({
    name: DNC_TEMPORAL,
    inputs: ['link', 'precedence', 'writes', 'reads'],
    outputShapes: ([l, p, , u]) => [[...l!], [...p!], [u![0]!, u![1]!, l![1]!, l![2]!], [u![0]!, u![1]!, l![1]!, l![2]!]],
    compute: (ins, outs, [l, , , u]) => {
      const d = dimsOf(l!, u!);
      if (runSimdKernel('dncTemporal', temporalSizes(d), ins, outs)) return;
      const [link, precedence, writes, reads] = ins;
      const [outLink, outPrecedence, outForward, outBackward] = outs;
      temporalForward(d, link!, precedence!, writes!, reads!, outLink!, outPrecedence!, outForward!, outBackward!);
    },
  });
  registerFusedKernel({
    name: DNC_TEMPORAL_GRAD,
    inputs: ['link', 'precedence', 'writes', 'reads', 'dLink', 'dPrecedence', 'dForward', 'dBackward'],
    outputShapes: ([l, p, w, u]) => [[...l!], [...p!], [...w!], [...u!]],
    compute: (ins, outs, [l, , , u]) => {
      const d = dimsOf(l!, u!);
      if (runSimdKernel('dncTemporalGrad', temporalSizes(d), ins, outs)) return;
      const [link, precedence, writes, reads, dLink, dPrecedence, dForward, dBackward] = ins;
      const [dl, dp, dw, du] = outs;
      temporalBackward(d, link!, precedence!, writes!, reads!, dLink!, dPrecedence!, dForward!, dBackward!, dl!, dp!, dw!, du!);
    },
  });
  registerFusedGradient({
    kernelName: DNC_TEMPORAL,
    inputsToSave: ['link', 'precedence', 'writes', 'reads'],
    gradFunc: (dys, saved) => {
      const [link, precedence, writes, reads] = saved as tf.Tensor[];
      const [dLink, dPrecedence, dForward, dBackward] = dys as tf.Tensor[];
      const [dl, dp, dw, du] = runKernel(DNC_TEMPORAL_GRAD, {
        link: link!,
        precedence: precedence!,
        writes: writes!,
        reads: reads!,
        dLink: dLink!,
        dPrecedence: dPrecedence!,
        dForward: dForward!,
        dBackward: dBackward!,
      });
      return { link: () => dl as tf.Tensor, precedence: () => dp as tf.Tensor, writes: () => dw as tf.Tensor, reads: () => du as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerTemporalKernels();

/**
 * dncLinkage and both dncDirectionalWeights in one kernel (cpu and wasm backends), forward and
 * backward as plain loops: one sweep over each link matrix instead of a dozen `[B, W, N, N]`
 * element-wise ops and four batched matMuls per step.
 * @param prevLink `[B, W, N, N]`
 * @param prevPrecedence `[B, W, N]`
 * @param writeWeights `[B, W, N]`
 * @param prevReadWeights `[B, R, N]`
 * @returns link, precedence, forward `[B, R, W, N]`, backward `[B, R, W, N]`
 */
export function fusedTemporal(
  prevLink: tf.Tensor4D,
  prevPrecedence: tf.Tensor3D,
  writeWeights: tf.Tensor3D,
  prevReadWeights: tf.Tensor3D,
): { link: tf.Tensor4D; precedence: tf.Tensor3D; forward: tf.Tensor4D; backward: tf.Tensor4D } {
  const s = shapes('fusedTemporal');
  s.check('prevLink', prevLink, ['B', 'W', 'N', 'N']);
  s.check('prevPrecedence', prevPrecedence, ['B', 'W', 'N']);
  s.check('writeWeights', writeWeights, ['B', 'W', 'N']);
  s.check('prevReadWeights', prevReadWeights, ['B', 'R', 'N']);
  const [link, precedence, forward, backward] = runKernel(DNC_TEMPORAL, {
    link: prevLink,
    precedence: prevPrecedence,
    writes: writeWeights,
    reads: prevReadWeights,
  });
  return { link: link as tf.Tensor4D, precedence: precedence as tf.Tensor3D, forward: forward as tf.Tensor4D, backward: backward as tf.Tensor4D };
}
