import * as tf from '@tensorflow/tfjs';
import { EngramError, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { HeadControls } from '../controls.ts';
import { INTERFACE_CLIP } from '../../interfaceTable.ts';
import { controlsBackward, controlsForward, controlShapes, interfaceLength, READ_CONTROLS, WRITE_CONTROLS, type ControlsDims } from './controlsMath.ts';
import { runSimdKernel } from './simd/ntmSimd.ts';

/** Kernel names (tfjs registry). */
export const NTM_CONTROLS = 'EngramNtmControls';
export const NTM_CONTROLS_GRAD = 'EngramNtmControlsGrad';

type ControlsAttrs = { width: number; shiftRange: number; writeHeads: number; readHeads: number; clip: number };

function dimsOf(z: readonly number[], a: ControlsAttrs): ControlsDims {
  return { batch: z[0]!, width: a.width, shiftRange: a.shiftRange, writeHeads: a.writeHeads, readHeads: a.readHeads, clip: a.clip };
}

const NONE = new Float32Array(0);

/** A group's arrays padded to the twins' fixed layout: the write group's 7, then the read group's 5 (empty for a group with no heads). */
function twelve(d: ControlsDims, arrays: readonly Float32Array[]): Float32Array[] {
  const write = d.writeHeads > 0 ? arrays.slice(0, WRITE_CONTROLS.length) : Array<Float32Array>(WRITE_CONTROLS.length).fill(NONE);
  const rest = d.writeHeads > 0 ? arrays.slice(WRITE_CONTROLS.length) : arrays;
  const read = d.readHeads > 0 ? rest.slice(0, READ_CONTROLS.length) : Array<Float32Array>(READ_CONTROLS.length).fill(NONE);
  return [...write, ...read];
}

/** The twins' leading scalars: B, M, S, W, R, clip. */
function controlsSizes(d: ControlsDims): number[] {
  return [d.batch, d.width, d.shiftRange, d.writeHeads, d.readHeads, d.clip];
}

/** Registers the forward and backward control-activation kernels and the gradient (idempotent). */
function registerControlsKernels(): void {
  registerFusedKernel<ControlsAttrs>({
    name: NTM_CONTROLS,
    inputs: ['z', 'bias'],
    outputShapes: ([z], attrs) => controlShapes(dimsOf(z!, attrs)),
    compute: ([z, bias], outs, [zs], attrs) => {
      const d = dimsOf(zs!, attrs);
      if (runSimdKernel('ntmControls', controlsSizes(d), [z!, bias!], twelve(d, outs))) return;
      controlsForward(d, z!, bias!, outs);
    },
  });
  registerFusedKernel<ControlsAttrs>({
    // inputs: z, bias, then every output y_k, then every gradient dy_k (named y0.., dy0..)
    name: NTM_CONTROLS_GRAD,
    inputs: ['z', 'bias', ...Array.from({ length: 12 }, (_, k) => `y${k}`), ...Array.from({ length: 12 }, (_, k) => `dy${k}`)],
    outputShapes: ([z, bias]) => [[...z!], [...bias!]],
    compute: (ins, [dz, dBias], [zs], attrs) => {
      const d = dimsOf(zs!, attrs);
      const n = controlShapes(d).length;
      const ys = ins.slice(2, 2 + n);
      const dys = ins.slice(14, 14 + n);
      if (runSimdKernel('ntmControlsGrad', controlsSizes(d), [ins[0]!, ins[1]!, ...twelve(d, ys), ...twelve(d, dys)], [dz!, dBias!])) return;
      controlsBackward(d, ins[0]!, ins[1]!, ys, dys, dz!, dBias!);
    },
  });
  registerFusedGradient({
    kernelName: NTM_CONTROLS,
    inputsToSave: ['z', 'bias'],
    outputsToSave: Array.from({ length: 12 }, () => true),
    gradFunc: (dy, saved, attrs) => {
      const [z, bias, ...ys] = saved as tf.Tensor[];
      const dys = Array.isArray(dy) ? dy : [dy];
      // unused slots (fewer than 12 outputs) repeat z, which the kernel never reads
      const inputs: Record<string, tf.Tensor> = { z: z!, bias: bias! };
      for (let k = 0; k < 12; k++) {
        inputs[`y${k}`] = ys[k] ?? z!;
        inputs[`dy${k}`] = dys[k] ?? z!;
      }
      const [dz, dBias] = runKernel(NTM_CONTROLS_GRAD, inputs, attrs);
      return { z: () => dz as tf.Tensor, bias: () => dBias as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerControlsKernels();

/** Activated controls of both groups; a group with no heads is absent. */
export interface FusedControls {
  readonly write?: HeadControls;
  readonly read?: HeadControls;
}

/**
 * Adds the bias, clips, splits and activates the interface vectors in one kernel; the same
 * function as `activateControls` (controls.ts) applied to the write segment and the read
 * segment of clip(z + bias, ±clip).
 * @param z `[B, L]` with L = W * (3M + 2S + 4) + R * (M + 2S + 4), write heads first.
 * @param bias `[L]`, default zeros.
 * @param clip default {@link INTERFACE_CLIP}; Infinity turns it off.
 */
export function fusedControls(
  z: tf.Tensor2D,
  width: number,
  shiftRange: number,
  writeHeads: number,
  readHeads: number,
  bias?: tf.Tensor1D,
  clip: number = INTERFACE_CLIP,
): FusedControls {
  const d: ControlsDims = { batch: z.shape[0], width, shiftRange, writeHeads, readHeads, clip };
  const L = interfaceLength(d);
  if (z.rank !== 2 || z.shape[1] !== L) {
    throw new EngramError('fusedControls(z)', `expected shape [B,${L}] but got [${z.shape.join(',')}]`, 'pass the interface vectors of every head');
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== L)) {
    throw new EngramError('fusedControls(bias)', `expected shape [${L}] but got [${bias.shape.join(',')}]`, 'pass one bias per interface entry');
  }
  const b = bias ?? tf.zeros([L]);
  const outs = runKernel(NTM_CONTROLS, { z, bias: b }, { width, shiftRange, writeHeads, readHeads, clip });
  if (bias === undefined) b.dispose();
  const group = (names: readonly string[], offset: number): HeadControls =>
    Object.fromEntries(names.map((n, k) => [n, outs[offset + k]])) as unknown as HeadControls;
  return {
    ...(writeHeads > 0 ? { write: group(WRITE_CONTROLS, 0) } : {}),
    ...(readHeads > 0 ? { read: group(READ_CONTROLS, writeHeads > 0 ? WRITE_CONTROLS.length : 0) } : {}),
  };
}
