// What a task needs and nothing more: the error class, seeded randomness, shape checks and the
// task interface with its helpers. No backend: a task package depends on this alone.
export { EngramError, check } from './errors.ts';
export { ShapeScope, shapes, type Dim } from './shapes.ts';
export { Rng, type RngState } from './random.ts';
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
