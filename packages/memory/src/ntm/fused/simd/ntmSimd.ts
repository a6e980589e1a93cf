import { WasmKernels } from '@engram/tensor';
import { KEY_NORM_EPSILON, LOG_EPSILON, ROW_NORM_FLOOR } from '../../../constants.ts';
import type { AddressDims } from '../addressMath.ts';
import type { MemoryHeadDims } from '../dims.ts';
import { NTM_WASM_BASE64 } from './ntmWasm.ts';

/**
 * The WebAssembly SIMD twins of the memory package's fused kernels (packages/memory/assembly):
 * the NTM's (this folder's parent) and the DNC's temporal kernel (dnc/fused), the same
 * equations as their JavaScript loops, with the sweeps over a memory row or a link row four
 * float32 lanes at a time.
 */
export const ntmSimd = new WasmKernels('@engram/memory', NTM_WASM_BASE64, (e) =>
  (e['configure'] as (rowNormFloor: number, keyNormEpsilon: number, logEpsilon: number) => void)(rowNormFloor, KEY_NORM_EPSILON, LOG_EPSILON),
);

/** The row-norm floor the module holds now (one per module, set before each cosine kernel). */
let rowNormFloor = ROW_NORM_FLOOR;

/**
 * Sets the cosine's row-norm floor δ of the twins to that of the kernel about to run (its
 * `rowNormFloor` attribute): the module keeps one δ, shared by the NTM's addressing and the
 * DNC's content weights, so every kernel that scores rows sets its own first.
 */
export function useSimdRowNormFloor(floor: number): void {
  if (floor === rowNormFloor) return;
  rowNormFloor = floor;
  ntmSimd.reconfigure();
}

/** The module's entry points, one per fused kernel (assembly/kernels.ts). */
export type SimdKernelName =
  | 'ntmAddress'
  | 'ntmAddressGrad'
  | 'ntmAddressRead'
  | 'ntmAddressReadGrad'
  | 'ntmAddressWrite'
  | 'ntmAddressWriteGrad'
  | 'ntmRead'
  | 'ntmReadGrad'
  | 'ntmWrite'
  | 'ntmWriteGrad'
  | 'ntmControls'
  | 'ntmControlsGrad'
  | 'dncTemporal'
  | 'dncTemporalGrad'
  | 'contentWeights'
  | 'contentWeightsGrad';

/** Runs the twin `name` of a fused kernel; false when the twins are off here (the caller runs its loops). */
export function runSimdKernel(name: SimdKernelName, sizes: readonly number[], inputs: readonly Float32Array[], outputs: readonly Float32Array[]): boolean {
  return ntmSimd.run(name, sizes, inputs, outputs);
}

/** True when the fused NTM kernels run their twins (switched on, and loaded here). */
export function simdKernelsActive(): boolean {
  return ntmSimd.active;
}

/** The leading scalars of an addressing twin: B, H, N, M, S and 1 for sparsemax. */
function addressSizes(d: AddressDims, sparse: boolean): number[] {
  return [d.batch, d.heads, d.slots, d.width, d.shiftRange, sparse ? 1 : 0];
}

/** Runs an addressing twin (`ntmAddress*`) with the row-norm floor of its call `d`; false as {@link runSimdKernel}. */
export function runAddressSimdKernel(
  name: SimdKernelName,
  d: AddressDims,
  sparse: boolean,
  inputs: readonly Float32Array[],
  outputs: readonly Float32Array[],
): boolean {
  useSimdRowNormFloor(d.rowNormFloor);
  return runSimdKernel(name, addressSizes(d, sparse), inputs, outputs);
}

/** The leading scalars of a read or write twin: B, H, N, M. */
export function headSizes(d: MemoryHeadDims): number[] {
  return [d.batch, d.heads, d.slots, d.width];
}
