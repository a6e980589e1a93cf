// The task-level pieces live in @engram/core (tasks depend on it alone); re-exported here so
// the packages above keep one import for tensors, backends and errors.
export * from '@engram/core';
export {
  initBackend,
  currentBackend,
  parseBackend,
  BACKENDS,
  DEFAULT_EMBEDDED,
  type BackendName,
  type BackendChoice,
  type BackendOptions,
  PROCESS_PATCHES,
  type ProcessPatch,
} from './backend.ts';
export { stopGradient, untaped, tidy, variableFrom, plainVariables, type VariableFactory } from './gradient.ts';
export { fusedClip, CLIP, CLIP_GRAD } from './kernels/clipKernel.ts';
export { WasmKernels, setSimdKernels, simdKernelsEnabled, simdUnavailableReason, type WasmKernelExports } from './kernels/wasmKernels.ts';
export {
  registerFusedKernel,
  registerFusedGradient,
  runKernel,
  computeFused,
  int32Input,
  int32Output,
  fusedBackend,
  FUSED_BACKENDS,
  type FusedKernelSpec,
  type FusedBackendName,
} from './kernels/fusedKernel.ts';
