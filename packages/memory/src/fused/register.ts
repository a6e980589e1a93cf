import * as tf from '@tensorflow/tfjs';
import { fusedBackend } from '@engram/tensor';
import { registerAddressKernels } from './addressKernel.ts';
import { registerControlsKernels } from './controlsKernel.ts';
import { registerReadKernels } from './readKernel.ts';
import { registerAddressWriteKernels } from './addressWriteKernel.ts';
import { registerAddressReadKernels } from './addressReadKernel.ts';
import { registerWriteKernels } from './writeKernel.ts';
import { registerSparseKernels } from './sparseKernels.ts';

let registered = false;

/**
 * Registers every fused memory kernel (forward, backward, gradient) for the cpu and wasm
 * backends. Idempotent and cheap after the first call; the fused functions call it themselves.
 */
export function ensureFusedKernels(): void {
  if (registered) return;
  registerControlsKernels();
  registerAddressKernels();
  registerWriteKernels();
  registerReadKernels();
  registerAddressWriteKernels();
  registerAddressReadKernels();
  registerSparseKernels();
  registered = true;
}

/**
 * Why the fused kernels cannot serve a memory, or undefined when they can: they exist for the
 * embedded backends (cpu, wasm) and for cosine similarity only.
 * @param backendName a tfjs backend name; default the active one.
 */
export function fusedUnsupportedReason(similarity: string, backendName: string = tf.getBackend()): string | undefined {
  if (similarity !== 'cosine') return `fused kernels implement cosine similarity only, not '${similarity}'`;
  if (!fusedBackend(backendName)) return `fused kernels exist for the cpu and wasm backends only, not '${backendName}'`;
  return undefined;
}
