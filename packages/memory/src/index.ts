export { KEY_NORM_EPSILON, LOG_EPSILON, RENORM_FLOOR, ROW_NORM_FLOOR } from './constants.ts';
export { cosine, dot, scaledDot, bilinear, additive, makeSimilarity, SIMILARITIES, type ScoreFn, type Similarity, type SimilarityName } from './similarity.ts';
export { softmax, sparsemax, hardmax, straightThrough, NORMALIZERS, type Normalizer, type NormalizerName } from './normalize.ts';
export { attend, attentionWeights, weightedSum, type AttendOptions } from './attend.ts';
export { contentWeights, interpolate, shift, sharpen, ntmAddress } from './addressing.ts';
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
} from './modes.ts';
export { sampleSlots, reinforceSurrogate, type SlotSample } from './sampling.ts';
export {
  controlTable,
  headLength,
  initialBias,
  activateControls,
  activateTable,
  INTERFACE_CLIP,
  WRITE_GATE_INITIAL_BIAS,
  type ControlSpec,
  type ControlName,
  type HeadControls,
  type Activation,
} from './controls.ts';
export { makeMemoryInit, MEMORY_INITS, CONSTANT_MEMORY_VALUE, type MemoryInit, type MemoryInitializer } from './init.ts';
export {
  MemoryAccess,
  INITIAL_FOCUS_LOGIT,
  resolveAccessConfig,
  KERNEL_CHOICES,
  ACCESS_ORDERS,
  type AccessOrder,
  type KernelChoice,
  type MemoryAccessConfig,
  type ResolvedAccessConfig,
  type AccessState,
  type StepOptions,
} from './access.ts';
export {
  fusedUnsupportedReason,
  fusedAddress,
  fusedWrite,
  fusedRead,
  fusedControls,
  fusedSparseRead,
  fusedSparseWrite,
  type FusedNormalizer,
  type FusedControls,
} from './fused/index.ts';
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
