import type * as tf from '@tensorflow/tfjs';
import { EngramError, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import { type ControlSpec, INTERFACE_CLIP } from '../../interfaceTable.ts';
import { ACTIVATION_CODES, type InterfaceDims, interfaceBackward, interfaceForward, interfaceShapes, interfaceWidth, type TableDims } from './interfaceMath.ts';

/** Kernel names (tfjs registry). */
export const DNC_INTERFACE = 'EngramDncInterface';
export const DNC_INTERFACE_GRAD = 'EngramDncInterfaceGrad';

/** Outputs the gradient kernel has slots for: 7 write and 7 read controls (the DNC's longest tables). */
const SLOTS = 14;

type InterfaceAttrs = {
  writeHeads: number;
  writeLengths: number[];
  writeActivations: number[];
  readHeads: number;
  readLengths: number[];
  readActivations: number[];
  clip: number;
};

function dimsOf(z: readonly number[], a: InterfaceAttrs): InterfaceDims {
  return {
    batch: z[0]!,
    write: { heads: a.writeHeads, lengths: a.writeLengths, activations: a.writeActivations },
    read: { heads: a.readHeads, lengths: a.readLengths, activations: a.readActivations },
    clip: a.clip,
  };
}

/** Registers the forward and backward kernels and the gradient (once, at import). */
function registerInterfaceKernels(): void {
  registerFusedKernel<InterfaceAttrs>({
    name: DNC_INTERFACE,
    inputs: ['z', 'bias'],
    outputShapes: ([z], attrs) => interfaceShapes(dimsOf(z!, attrs)),
    compute: ([z, bias], outs, [zs], attrs) => interfaceForward(dimsOf(zs!, attrs), z!, bias!, outs),
  });
  registerFusedKernel<InterfaceAttrs>({
    // inputs: z, bias, then every output y_k, then every gradient dy_k (unused slots repeat z)
    name: DNC_INTERFACE_GRAD,
    inputs: ['z', 'bias', ...Array.from({ length: SLOTS }, (_, k) => `y${k}`), ...Array.from({ length: SLOTS }, (_, k) => `dy${k}`)],
    outputShapes: ([z, bias]) => [[...z!], [...bias!]],
    compute: (ins, [dz, dBias], [zs], attrs) => {
      const d = dimsOf(zs!, attrs);
      const n = interfaceShapes(d).length;
      interfaceBackward(d, ins[0]!, ins[1]!, ins.slice(2, 2 + n), ins.slice(2 + SLOTS, 2 + SLOTS + n), dz!, dBias!);
    },
  });
  registerFusedGradient({
    kernelName: DNC_INTERFACE,
    inputsToSave: ['z', 'bias'],
    outputsToSave: Array.from({ length: SLOTS }, () => true),
    gradFunc: (dy, saved, attrs) => {
      const [z, bias, ...ys] = saved as tf.Tensor[];
      const dys = Array.isArray(dy) ? dy : [dy];
      const inputs: Record<string, tf.Tensor> = { z: z!, bias: bias! };
      for (let k = 0; k < SLOTS; k++) {
        inputs[`y${k}`] = ys[k] ?? z!;
        inputs[`dy${k}`] = dys[k] ?? z!;
      }
      const [dz, dBias] = runKernel(DNC_INTERFACE_GRAD, inputs, attrs);
      return { z: () => dz as tf.Tensor, bias: () => dBias as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerInterfaceKernels();

function tableDims<N extends string>(table: readonly ControlSpec<N>[], heads: number): TableDims {
  return { heads, lengths: table.map((c) => c.length), activations: table.map((c) => ACTIVATION_CODES.indexOf(c.activation)) };
}

/**
 * Adds the bias, clips, splits and activates a two-table interface vector in one kernel (cpu
 * and wasm backends); the same function as `activateTable` on the write and read segments of
 * clip(z + bias, ±clip).
 * @param z `[B, L]`: the write heads' segments, then the read heads'.
 * @param bias `[L]`
 * @returns every control `[B, H, length]`, by name, per group.
 */
export function fusedInterface<W extends string, R extends string>(
  z: tf.Tensor2D,
  bias: tf.Tensor1D,
  writeHeads: number,
  writeTable: readonly ControlSpec<W>[],
  readHeads: number,
  readTable: readonly ControlSpec<R>[],
  clip: number = INTERFACE_CLIP,
): { write: Record<W, tf.Tensor3D>; read: Record<R, tf.Tensor3D> } {
  const w = tableDims(writeTable, writeHeads);
  const r = tableDims(readTable, readHeads);
  if (writeTable.length + readTable.length > SLOTS) {
    throw new EngramError(
      'fusedInterface',
      `${writeTable.length + readTable.length} controls is more than the kernel's ${SLOTS}`,
      'use the reference ops for longer tables',
    );
  }
  const L = interfaceWidth({ batch: z.shape[0], write: w, read: r, clip });
  if (z.shape[1] !== L)
    throw new EngramError('fusedInterface(z)', `expected shape [B,${L}] but got [${z.shape.join(',')}]`, 'pass the interface vectors of every head');
  const attrs: InterfaceAttrs = {
    writeHeads,
    writeLengths: [...w.lengths],
    writeActivations: [...w.activations],
    readHeads,
    readLengths: [...r.lengths],
    readActivations: [...r.activations],
    clip,
  };
  const outs = runKernel(DNC_INTERFACE, { z, bias }, attrs);
  const group = <N extends string>(table: readonly ControlSpec<N>[], heads: number, first: number) =>
    Object.fromEntries(heads > 0 ? table.map((c, k) => [c.name, outs[first + k]]) : []) as Record<N, tf.Tensor3D>;
  return { write: group(writeTable, writeHeads, 0), read: group(readTable, readHeads, writeHeads > 0 ? writeTable.length : 0) };
}
