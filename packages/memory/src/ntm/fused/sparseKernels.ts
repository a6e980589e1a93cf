import * as tf from '@tensorflow/tfjs';
import { int32Input, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';
import { sparseReadBackward, sparseReadForward, sparseWriteBackward, sparseWriteForward, type SparseDims } from './sparseMath.ts';
import { memoryHeadDims } from './dims.ts';

/** Sizes from memory `[B,N,M]` and indices `[B,H,k]`. */
const sparseDims = (memory: readonly number[], indices: readonly number[]): SparseDims => ({ ...memoryHeadDims(memory, indices), k: indices[2]! });

/**
 * Top-k (and other k-row) reads and writes as registered kernels: each touches only the k
 * addressed rows per head, where the composite `sparseRead` / `sparseWrite` gather, build
 * masks and scatter back through a dense segment sum.
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
    outputShapes: ([m, i]) => [[m![0]!, i![1]!, m![2]!]],
    compute: ([memory, indices, values], [out], [m, i]) => sparseReadForward(sparseDims(m!, i!), memory!, int32Input(indices), values!, out!),
  });
  registerFusedKernel({
    name: SPARSE_READ_GRAD,
    inputs: ['dy', 'memory', 'indices', 'values'],
    int32Inputs: ['indices'],
    outputShapes: ([, m, , v]) => [[...m!], [...v!]],
    compute: ([dy, memory, indices, values], [dMemory, dValues], [, m, i]) =>
      sparseReadBackward(sparseDims(m!, i!), dy!, memory!, int32Input(indices), values!, dMemory!, dValues!),
  });
  registerFusedGradient({
    kernelName: SPARSE_READ,
    inputsToSave: ['memory', 'indices', 'values'],
    gradFunc: (dy, saved) => {
      const [memory, indices, values] = saved as tf.Tensor[];
      const [dMemory, dValues] = runKernel(SPARSE_READ_GRAD, { dy: dy as tf.Tensor, memory: memory!, indices: indices!, values: values! });
      return { memory: () => dMemory as tf.Tensor, indices: () => tf.zerosLike(indices!), values: () => dValues as tf.Tensor };
    },
  });
  const writeInputs = ['memory', 'indices', 'values', 'erase', 'add'] as const;
  registerFusedKernel({
    name: SPARSE_WRITE,
    inputs: writeInputs,
    int32Inputs: ['indices'],
    outputShapes: ([m]) => [[...m!]],
    compute: ([memory, indices, values, erase, add], [out], [m, i]) =>
      sparseWriteForward(sparseDims(m!, i!), memory!, int32Input(indices), values!, erase!, add!, out!),
  });
  registerFusedKernel({
    name: SPARSE_WRITE_GRAD,
    inputs: ['dy', ...writeInputs],
    int32Inputs: ['indices'],
    outputShapes: ([, m, , v, e, a]) => [[...m!], [...v!], [...e!], [...a!]],
    compute: ([dy, memory, indices, values, erase, add], [dMemory, dValues, dErase, dAdd], [, m, i]) =>
      sparseWriteBackward(sparseDims(m!, i!), dy!, memory!, int32Input(indices), values!, erase!, add!, {
        memory: dMemory!,
        values: dValues!,
        erase: dErase!,
        add: dAdd!,
      }),
  });
  registerFusedGradient({
    kernelName: SPARSE_WRITE,
    inputsToSave: [...writeInputs],
    gradFunc: (dy, saved) => {
      const [memory, indices, values, erase, add] = saved as tf.Tensor[];
      const [dMemory, dValues, dErase, dAdd] = runKernel(SPARSE_WRITE_GRAD, {
        dy: dy as tf.Tensor,
        memory: memory!,
        indices: indices!,
        values: values!,
        erase: erase!,
        add: add!,
      });
      return {
        memory: () => dMemory as tf.Tensor,
        indices: () => tf.zerosLike(indices!),
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
  return runKernel(SPARSE_READ, { memory, indices: weights.indices, values: weights.values })[0] as tf.Tensor3D;
}

/**
 * Fused sparse write (erase all, then add all, on the addressed rows only); the same function
 * as `sparseWrite` (readWrite.ts).
 * @param memory `[B, N, M]`; weights: indices and values `[B, W, k]`; erase, add `[B, W, M]`.
 * @returns the new memory `[B, N, M]`
 */
export function fusedSparseWrite(memory: tf.Tensor3D, weights: SparseWeights, erase: tf.Tensor3D, add: tf.Tensor3D): tf.Tensor3D {
  return runKernel(SPARSE_WRITE, { memory, indices: weights.indices, values: weights.values, erase, add })[0] as tf.Tensor3D;
}
