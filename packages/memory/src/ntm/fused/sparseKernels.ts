import * as tf from '@tensorflow/tfjs';
import { int32Input, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';
import { gatherRows, sparseReadBackward, sparseReadForward, sparseWriteBackward, sparseWriteForward, type SparseDims } from './sparseMath.ts';
import { memoryHeadDims } from './dims.ts';

/** Sizes from memory `[B,N,M]` and indices `[B,H,k]`. */
const sparseDims = (memory: readonly number[], indices: readonly number[]): SparseDims => ({ ...memoryHeadDims(memory, indices), k: indices[2]! });

/** Sizes from the gathered rows `[B,H,k,M]` and the number of slots (the backward kernels never see the memory). */
const rowsDims = (rows: readonly number[], slots: number): SparseDims => ({
  batch: rows[0]!,
  heads: rows[1]!,
  k: rows[2]!,
  width: rows[3]!,
  slots,
});

/** The backward kernels' one attribute: N, the number of slots of the memory they return the gradient of. */
type SlotsAttr = { slots: number };

/**
 * Top-k (and other k-row) reads and writes as registered kernels: each touches only the k
 * addressed rows per head, where the composite `sparseRead` / `sparseWrite` gather, build
 * masks and scatter back through a dense segment sum. Each forward kernel also outputs the
 * addressed rows `[B, H, k, M]` as they were, and its gradient saves those instead of the
 * memory: backpropagation through T steps then keeps T * H * k rows alive, not T memories
 * (SAM's point, Rae et al. 2016), once the caller lets go of the old memories.
 */
export const SPARSE_READ = 'EngramSparseRead';
export const SPARSE_READ_GRAD = 'EngramSparseReadGrad';
export const SPARSE_WRITE = 'EngramSparseWrite';
export const SPARSE_WRITE_GRAD = 'EngramSparseWriteGrad';

/** Registers the sparse read and write kernels, their backward kernels and gradients (idempotent). */
function registerSparseKernels(): void {
  registerFusedKernel({
    name: SPARSE_READ,
    inputs: ['memory', 'indices', 'values'],
    int32Inputs: ['indices'],
    outputShapes: ([m, i]) => [
      [m![0]!, i![1]!, m![2]!],
      [...i!, m![2]!],
    ],
    compute: ([memory, indices, values], [out, rows], [m, i]) => {
      const d = sparseDims(m!, i!);
      sparseReadForward(d, memory!, int32Input(indices), values!, out!);
      gatherRows(d, memory!, int32Input(indices), rows!);
    },
  });
  registerFusedKernel<SlotsAttr>({
    name: SPARSE_READ_GRAD,
    inputs: ['dy', 'rows', 'indices', 'values'],
    int32Inputs: ['indices'],
    outputShapes: ([, r, , v], { slots }) => [[r![0]!, slots, r![3]!], [...v!]],
    compute: ([dy, rows, indices, values], [dMemory, dValues], [, r], { slots }) =>
      sparseReadBackward(rowsDims(r!, slots), dy!, rows!, int32Input(indices), values!, dMemory!, dValues!),
  });
  registerFusedGradient({
    kernelName: SPARSE_READ,
    inputsToSave: ['indices', 'values'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [indices, values, rows] = saved as tf.Tensor[];
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [dMemory, dValues] = runKernel(SPARSE_READ_GRAD, { dy, rows: rows!, indices: indices!, values: values! }, { slots: (attrs as SlotsAttr).slots });
      // float32 zeros: the indices may come from a kernel on the tape (SAM's content top-k)
      return { memory: () => dMemory as tf.Tensor, indices: () => tf.zeros(indices!.shape), values: () => dValues as tf.Tensor };
    },
  });
  const writeInputs = ['memory', 'indices', 'values', 'erase', 'add'] as const;
  registerFusedKernel({
    name: SPARSE_WRITE,
    inputs: writeInputs,
    int32Inputs: ['indices'],
    outputShapes: ([m, i]) => [[...m!], [...i!, m![2]!]],
    compute: ([memory, indices, values, erase, add], [out, old], [m, i]) => {
      const d = sparseDims(m!, i!);
      gatherRows(d, memory!, int32Input(indices), old!);
      sparseWriteForward(d, memory!, int32Input(indices), values!, erase!, add!, out!);
    },
  });
  registerFusedKernel({
    name: SPARSE_WRITE_GRAD,
    inputs: ['dy', 'old', 'indices', 'values', 'erase', 'add'],
    int32Inputs: ['indices'],
    outputShapes: ([dy, , , v, e, a]) => [[...dy!], [...v!], [...e!], [...a!]],
    compute: ([dy, old, indices, values, erase, add], [dMemory, dValues, dErase, dAdd], [dyShape, o]) =>
      sparseWriteBackward(rowsDims(o!, dyShape![1]!), dy!, old!, int32Input(indices), values!, erase!, add!, {
        memory: dMemory!,
        values: dValues!,
        erase: dErase!,
        add: dAdd!,
      }),
  });
  registerFusedGradient({
    kernelName: SPARSE_WRITE,
    inputsToSave: ['indices', 'values', 'erase', 'add'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [indices, values, erase, add, old] = saved as tf.Tensor[];
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [dMemory, dValues, dErase, dAdd] = runKernel(SPARSE_WRITE_GRAD, {
        dy,
        old: old!,
        indices: indices!,
        values: values!,
        erase: erase!,
        add: add!,
      });
      return {
        memory: () => dMemory as tf.Tensor,
        indices: () => tf.zeros(indices!.shape), // float32, as the read's
        values: () => dValues as tf.Tensor,
        erase: () => dErase as tf.Tensor,
        add: () => dAdd as tf.Tensor,
      };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerSparseKernels();

/**
 * Fused sparse read; the same function as `sparseRead` (readWrite.ts).
 * @param memory `[B, N, M]`; weights: indices and values `[B, R, k]`.
 * @returns read vectors `[B, R, M]`
 */
export function fusedSparseRead(memory: tf.Tensor3D, weights: SparseWeights): tf.Tensor3D {
  const [out, rows] = runKernel(SPARSE_READ, { memory, indices: weights.indices, values: weights.values }, { slots: memory.shape[1] });
  rows!.dispose(); // the gradient holds its own reference when a tape records
  return out as tf.Tensor3D;
}

/**
 * Fused sparse write (erase all, then add all, on the addressed rows only); the same function
 * as `sparseWrite` (readWrite.ts).
 * @param memory `[B, N, M]`; weights: indices and values `[B, W, k]`; erase, add `[B, W, M]`.
 * @returns the new memory `[B, N, M]`
 */
export function fusedSparseWrite(memory: tf.Tensor3D, weights: SparseWeights, erase: tf.Tensor3D, add: tf.Tensor3D): tf.Tensor3D {
  const [out, old] = runKernel(SPARSE_WRITE, { memory, indices: weights.indices, values: weights.values, erase, add });
  old!.dispose(); // the gradient holds its own reference when a tape records
  return out as tf.Tensor3D;
}
