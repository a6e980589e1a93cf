export { EngramError, check } from './errors.ts';
export { ShapeScope, shapes, type Dim } from './shapes.ts';
export { Rng, type RngState } from './random.ts';
export { initBackend, currentBackend, parseBackend, BACKENDS, DEFAULT_EMBEDDED, type BackendName, type BackendChoice } from './backend.ts';
export { stopGradient, tidy, variableFrom, plainVariables, type VariableFactory } from './gradient.ts';
export type { SequenceBatch, SequenceTask } from './task.ts';
