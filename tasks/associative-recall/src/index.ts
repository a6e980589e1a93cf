export { associativeRecall, recallExample, type AssociativeRecallOptions, type RecallExample } from './associativeRecall.ts';
