import * as tf from '@tensorflow/tfjs';
import { fusedBackend } from '@engram/tensor';
// Every fused memory kernel registers itself once, when its module is first imported (all of
// them are imported by the fused ops below this folder's index); there is no lazy flag to check.

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
