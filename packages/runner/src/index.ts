/** What other packages (the benchmarks) use of the runner: experiments and how a run is built from one. */
export { loadExperiment, runSpecFor, variantNames, listExperiments } from './experiment.ts';
export { applyOverrides, makeTask, modelConfigFor, makeModel, trainingTask } from './build.ts';
export type { RunSpec } from './schema.ts';
export { loadTaskModule, taskEntry, TASKS, type TaskRef } from './taskRegistry.ts';
export { median } from './stats.ts';
export { Curriculum, type CurriculumConfig } from './curriculum.ts';
