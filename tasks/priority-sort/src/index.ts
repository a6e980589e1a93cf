export { prioritySort, sortExample, type PrioritySortOptions, type SortExample } from './prioritySort.ts';
