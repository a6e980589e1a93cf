import * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel, shapes } from '@engram/tensor';
import { type AllocationDims, type AllocationInputs, allocationBackward, allocationForward } from './allocationMath.ts';

/** Kernel names (tfjs registry). */
export const DNC_ALLOCATION = 'EngramDncAllocation';
export const DNC_ALLOCATION_GRAD = 'EngramDncAllocationGrad';

const INPUTS = ['usage', 'prevWrites', 'freeGate', 'prevReads', 'content', 'allocationGate', 'writeGate'] as const;

/** Arrays in {@link INPUTS} order as the named record the loops take (inputs, or their gradients). */
function byName(a: readonly Float32Array[]): AllocationInputs {
  const [usage, prevWrites, freeGate, prevReads, content, allocationGate, writeGate] = a as Float32Array[];
  return {
    usage: usage!,
    prevWrites: prevWrites!,
    freeGate: freeGate!,
    prevReads: prevReads!,
    content: content!,
    allocationGate: allocationGate!,
    writeGate: writeGate!,
  };
}

/** Sizes from usage `[B,N]` and the previous reads `[B,R,N]`. */
function dimsOf(usage: readonly number[], reads: readonly number[]): AllocationDims {
  return { batch: usage[0]!, slots: usage[1]!, readHeads: reads[1]! };
}

/** Registers the forward and backward kernels and the gradient (once, at import). */
function registerAllocationKernels(): void {
  registerFusedKernel({
    name: DNC_ALLOCATION,
    inputs: INPUTS,
    // usage [B,N], write weights [B,1,N], retention [B,N], then for the backward pass the mapped usage s and the free list [B,N]
    outputShapes: ([u, w]) => [[...u!], [...w!], [...u!], [...u!], [...u!]],
    compute: (ins, [u, w, psi, s, order], [us, , , rs]) => allocationForward(dimsOf(us!, rs!), byName(ins), u!, w!, psi!, s!, order!),
  });
  registerFusedKernel({
    name: DNC_ALLOCATION_GRAD,
    inputs: ['dUsage', 'dWrites', 'dRetention', 'sorted', 'order', 'retention', ...INPUTS],
    outputShapes: (s) => s.slice(6).map((x) => [...x]),
    compute: (ins, outs, s) => {
      const [dUsage, dWrites, dRetention, sorted, order, retention] = ins as Float32Array[];
      allocationBackward(dimsOf(s[6]!, s[9]!), byName(ins.slice(6)), sorted!, order!, retention!, dUsage!, dWrites!, dRetention!, byName(outs));
    },
  });
  registerFusedGradient({
    kernelName: DNC_ALLOCATION,
    inputsToSave: [...INPUTS],
    outputsToSave: [false, false, true, true, true],
    gradFunc: (dy, saved) => {
      const dys = (Array.isArray(dy) ? dy : [dy]) as (tf.Tensor | undefined)[];
      const inputs = saved.slice(0, INPUTS.length) as tf.Tensor[];
      const [retention, sorted, order] = saved.slice(INPUTS.length) as tf.Tensor[];
      // an output nothing used may come without a gradient
      const named: Record<string, tf.Tensor> = {
        dUsage: dys[0] ?? tf.zerosLike(retention!),
        dWrites: dys[1] ?? tf.zerosLike(inputs[4]!),
        dRetention: dys[2] ?? tf.zerosLike(retention!),
        sorted: sorted!,
        order: order!,
        retention: retention!,
      };
      INPUTS.forEach((n, i) => (named[n] = inputs[i] as tf.Tensor));
      const g = runKernel(DNC_ALLOCATION_GRAD, named);
      return Object.fromEntries(INPUTS.map((name, i) => [name, () => g[i] as tf.Tensor]));
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerAllocationKernels();

/**
 * Usage (after the previous writes and this step's frees), allocation and the write weights of
 * one write head in one kernel (cpu and wasm backends): the same function as dncRetention,
 * usageAfter, dncAllocation and the write-weight mix of DncAccess.step with W = 1, with the
 * previous writes carrying no gradient.
 * @param usage `[B, N]`; prevWrites `[B, 1, N]`; freeGate `[B, R]`; prevReads `[B, R, N]`;
 *   content `[B, 1, N]` the write head's content weights; allocationGate, writeGate `[B, 1, 1]`.
 * @returns usage `[B, N]`, the write weights `[B, 1, N]` and the retention `[B, N]`.
 */
export function fusedAllocation(
  usage: tf.Tensor2D,
  prevWrites: tf.Tensor3D,
  freeGate: tf.Tensor2D,
  prevReads: tf.Tensor3D,
  content: tf.Tensor3D,
  allocationGate: tf.Tensor3D,
  writeGate: tf.Tensor3D,
): { usage: tf.Tensor2D; writeWeights: tf.Tensor3D; retention: tf.Tensor2D } {
  const s = shapes('fusedAllocation');
  s.check('usage', usage, ['B', 'N']);
  s.check('prevWrites', prevWrites, ['B', 1, 'N']);
  s.check('freeGate', freeGate, ['B', 'R']);
  s.check('prevReads', prevReads, ['B', 'R', 'N']);
  s.check('content', content, ['B', 1, 'N']);
  s.check('allocationGate', allocationGate, ['B', 1, 1]);
  s.check('writeGate', writeGate, ['B', 1, 1]);
  const [u, w, psi, sorted, order] = runKernel(DNC_ALLOCATION, { usage, prevWrites, freeGate, prevReads, content, allocationGate, writeGate });
  // kept (as saved clones) only when a gradient tape records this call
  sorted!.dispose();
  order!.dispose();
  return { usage: u as tf.Tensor2D, writeWeights: w as tf.Tensor3D, retention: psi as tf.Tensor2D };
}
