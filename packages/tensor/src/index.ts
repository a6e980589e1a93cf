export { EngramError, check } from './errors.ts';
export { ShapeScope, shapes, type Dim } from './shapes.ts';
export { Rng, type RngState } from './random.ts';
export { initBackend, currentBackend, parseBackend, BACKENDS, DEFAULT_EMBEDDED, type BackendName, type BackendChoice, type BackendOptions } from './backend.ts';
export { stopGradient, tidy, variableFrom, plainVariables, type VariableFactory } from './gradient.ts';
export {
  blankExample,
  lengthRange,
  packExamples,
  thresholdCost,
  renderSequence,
  OptionReader,
  type SequenceBatch,
  type SequenceTask,
  type AlgorithmicTask,
  type TaskDefinition,
  type Example,
} from './task.ts';
export { fusedClip, CLIP, CLIP_GRAD } from './kernels/clipKernel.ts';
export {
  registerFusedKernel,
  registerFusedGradient,
  runKernel,
  int32Input,
  fusedBackend,
  FUSED_BACKENDS,
  type FusedKernelSpec,
  type FusedBackendName,
} from './kernels/fusedKernel.ts';
