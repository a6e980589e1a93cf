export { KEY_NORM_EPSILON, LOG_EPSILON, RENORM_FLOOR, ROW_NORM_FLOOR } from './constants.ts';
export {
  cosine,
  cosineWithFloor,
  dot,
  scaledDot,
  bilinear,
  additive,
  makeSimilarity,
  SIMILARITIES,
  type ScoreFn,
  type Similarity,
  type SimilarityName,
} from './similarity.ts';
export { softmax, sparsemax, hardmax, straightThrough, NORMALIZERS, type Normalizer, type NormalizerName } from './normalize.ts';
export { attend, attentionWeights, weightedSum, type AttendOptions } from './attend.ts';
export { interpolate, shift, sharpen, ntmAddress } from './ntm/addressing.ts';
export { contentWeights } from './contentWeights.ts';
export { read, write, sparseRead, sparseWrite, sparseToDense, type SparseWeights } from './readWrite.ts';
export {
  applyMode,
  parseMode,
  topkWeights,
  isDiscrete,
  MODE_KINDS,
  type AddressingMode,
  type AddressingModeSpec,
  type HeadWeights,
  type ModeContext,
  type ScoreTerms,
} from './ntm/modes.ts';
export { sampleSlots, reinforceSurrogate, type SlotSample } from './ntm/sampling.ts';
export { controlTable, activateControls, WRITE_GATE_INITIAL_BIAS, type ControlName, type HeadControls } from './ntm/controls.ts';
export { headLength, initialBias, activateTable, INTERFACE_CLIP, type ControlSpec, type Activation } from './interfaceTable.ts';
export { makeMemoryInit, MEMORY_INITS, CONSTANT_MEMORY_VALUE, type MemoryInit, type MemoryInitializer } from './init.ts';
export {
  MemoryAccess,
  INITIAL_FOCUS_LOGIT,
  resolveAccessConfig,
  ACCESS_ORDERS,
  type AccessOrder,
  type MemoryAccessConfig,
  type ResolvedAccessConfig,
  type AccessState,
  type StepOptions,
} from './ntm/access.ts';
export { KERNEL_CHOICES, type KernelChoice } from './config.ts';
export {
  fusedUnsupportedReason,
  setSimdKernels,
  simdKernelsActive,
  simdUnavailableReason,
  fusedAddress,
  fusedWrite,
  fusedRead,
  fusedControls,
  fusedSparseRead,
  fusedSparseWrite,
  NTM_ADDRESS_READ,
  NTM_ADDRESS_READ_GRAD,
  NTM_ADDRESS_WRITE,
  NTM_ADDRESS_WRITE_GRAD,
  NTM_CONTROLS,
  NTM_CONTROLS_GRAD,
  AUX_ROWS as ADDRESS_AUX_ROWS,
  controlShapes,
  interfaceLength,
  type ControlsDims,
  type FusedNormalizer,
  type FusedControls,
} from './ntm/fused/index.ts';
export {
  MEMORY_KINDS,
  commonStateTensors,
  type MemoryKind,
  type MemoryModule,
  type MemoryState,
  type MemoryStepOptions,
  type StateTensorSpec,
} from './module.ts';
export { makeMemory, memoryStateTensors, type MemoryConfig, type DistributiveOmit } from './memories.ts';
export { fusedTemporal } from './dnc/fused/temporalKernel.ts';
export {
  DncAccess,
  dncTemporalReference,
  resolveDncConfig,
  dncStateTensors,
  mixReadModes,
  type DncAccessConfig,
  type ResolvedDncConfig,
  type DncState,
} from './dnc/access.ts';
export { dncUsage, dncRetention } from './dnc/usage.ts';
export { dncAllocation, allocationOf, ALLOCATION_EPSILON } from './dnc/allocation.ts';
export { dncLinkage, dncDirectionalWeights, sharpenDirectional } from './dnc/linkage.ts';
export { dncContentWeights, maskedCosine } from './dnc/content.ts';
export {
  dncWriteTable,
  dncReadTable,
  splitDncInterface,
  type DncOptions,
  type DncControls,
  type DncReadControl,
  type DncWriteControl,
} from './dnc/interface.ts';
export {
  SamAccess,
  resolveSamConfig,
  samStateTensors,
  samReadTable,
  samWriteTable,
  type SamAccessConfig,
  type ResolvedSamConfig,
  type SamState,
} from './sam/access.ts';
export { contentTopk } from './sam/fused/contentTopkKernel.ts';
export { samUsage } from './sam/fused/usageKernel.ts';
export { samStep, type SamStepOutputs } from './sam/fused/stepKernel.ts';
