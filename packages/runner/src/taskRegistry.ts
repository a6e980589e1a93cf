import { copy } from '@engram/task-copy';
import { repeatCopy } from '@engram/task-repeat-copy';
import { associativeRecall } from '@engram/task-associative-recall';
import { prioritySort } from '@engram/task-priority-sort';
import { ngrams } from '@engram/task-ngrams';
import type { TaskName } from './schema.ts';
import type { TaskEntry } from './tasks.ts';

/** Every task the runner knows, by the name experiments use. */
export const TASKS: Readonly<Record<TaskName, TaskEntry>> = {
  'copy': copy as unknown as TaskEntry,
  'repeat-copy': repeatCopy as unknown as TaskEntry,
  'associative-recall': associativeRecall as unknown as TaskEntry,
  'priority-sort': prioritySort as unknown as TaskEntry,
  'ngrams': ngrams as unknown as TaskEntry,
};
