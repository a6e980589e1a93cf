import type { AlgorithmicTask, TaskDefinition } from '@engram/tensor';

/** What the runner needs from a task package beyond the training interface. */
export type RunnerTask = AlgorithmicTask<Record<string, unknown>>;

/** How the runner makes a task and varies its length for curricula and generalisation tests. */
export type TaskEntry = TaskDefinition<Record<string, unknown>>;
