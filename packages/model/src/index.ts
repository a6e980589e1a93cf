export type { ModelConfig, MemorySettings, NtmMemorySettings, ModelStepOptions, SequenceModel, StepTrace } from './model.ts';
export { MemoryCell, MemoryCore, OUTPUT_CLIP, type MemoryCellState, type MemoryCoreConfig } from './memoryCell.ts';
export { EngramCell, engramCell, type EngramCellArgs } from './layers.ts';
export { ControllerOnlyModel } from './baseline.ts';
export { buildModel } from './build.ts';
export { shardGradients, shardSizes, sliceBatch, unsplittable, type GradientShards, type ShardArray, type ShardRequest, type ShardResult } from './shards.ts';
export { unroll, type UnrollOptions, type UnrollTrace } from './unroll.ts';
export { maskedSigmoidCrossEntropy, bitsPerSequence, sequenceLosses } from './loss.ts';
export { ReinforceBaseline } from './reinforceBaseline.ts';
export { makeOptimizer, adam, rmsprop, learningRateAt, type Optimizer, type OptimizerConfig, type LearningRateChange } from './optimizers.ts';
export { clipGradients, globalNorm, type ClipConfig } from './clip.ts';
export { Trainer, gumbelTauAt, type GumbelSchedule, type StopWhen, type TrainConfig, type StepRecord, type EvalRecord, type TrainCallbacks } from './train.ts';
export {
  assignWeights,
  firstDifference,
  checkpointArtifacts,
  checkpointFromArtifacts,
  CHECKPOINT_FORMAT,
  CHECKPOINTS_KEPT,
  type Checkpoint,
  type CheckpointChoice,
  type CheckpointStore,
} from './checkpoint.ts';
export { setSequenceKernel, sequenceKernelEnabled, sequenceUnsupportedReason } from './sequence/wholeSequence.ts';
export { ntmSequence, NTM_SEQUENCE, NTM_SEQUENCE_GRAD } from './sequence/ntmSequenceKernel.ts';
