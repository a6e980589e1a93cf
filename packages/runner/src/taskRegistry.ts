import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EngramError } from '@engram/tensor';
import { copy } from '@engram/task-copy';
import { repeatCopy } from '@engram/task-repeat-copy';
import { associativeRecall } from '@engram/task-associative-recall';
import { prioritySort } from '@engram/task-priority-sort';
import { ngrams } from '@engram/task-ngrams';
import { TASK_MODULE, type TaskName } from './schema.ts';
import type { TaskEntry } from './tasks.ts';

/** Every task the runner knows, by the name experiments use. */
export const TASKS: Readonly<Record<TaskName, TaskEntry>> = {
  copy: copy as unknown as TaskEntry,
  'repeat-copy': repeatCopy as unknown as TaskEntry,
  'associative-recall': associativeRecall as unknown as TaskEntry,
  'priority-sort': prioritySort as unknown as TaskEntry,
  ngrams: ngrams as unknown as TaskEntry,
};

/** An experiment's `task` record, as far as finding its definition goes. */
export interface TaskRef {
  readonly kind: TaskName | typeof TASK_MODULE;
  readonly module?: string | undefined;
}

/** Task definitions imported from `task.module` files, by absolute path. */
const fromModules = new Map<string, TaskEntry>();

const DEFINITION_KEYS = ['name', 'defaults', 'make', 'atLength', 'withMaxLength', 'maxLength', 'minLength', 'lengthOption'] as const;

/**
 * Imports a `kind: "module"` task's file (once per process) and checks that its default export
 * looks like a TaskDefinition; the five shipped tasks need nothing. Call before {@link taskEntry}.
 */
export async function loadTaskModule(task: TaskRef): Promise<void> {
  if (task.kind !== TASK_MODULE || task.module === undefined || fromModules.has(task.module)) return;
  const path = task.module;
  if (!existsSync(path)) throw new EngramError('task.module', `${path} does not exist`, 'give the path of your task module relative to the experiment file');
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new EngramError(
      'task.module',
      `${path} cannot be imported (${String((e as Error).message ?? e).split('\n')[0]})`,
      'fix the module so that `node` can import it',
    );
  }
  const def = loaded.default as Record<string, unknown> | undefined;
  const missing = DEFINITION_KEYS.filter((k) => def === undefined || def === null || !(k in def));
  if (missing.length > 0) {
    throw new EngramError(
      'task.module',
      `${path}'s default export is not a task definition (missing ${missing.join(', ')})`,
      "export default an object like the shipped tasks' (see examples/custom-task)",
    );
  }
  fromModules.set(path, def as unknown as TaskEntry);
}

/** The definition of an experiment's task: a shipped one, or one imported by {@link loadTaskModule}. */
export function taskEntry(task: TaskRef): TaskEntry {
  if (task.kind !== TASK_MODULE) return TASKS[task.kind];
  const entry = task.module !== undefined ? fromModules.get(task.module) : undefined;
  if (!entry) throw new EngramError('task.module', `${task.module ?? '(none)'} was not loaded`, 'call loadTaskModule(spec.task) before building the task');
  return entry;
}
