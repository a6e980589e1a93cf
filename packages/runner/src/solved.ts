import type { MetricRow } from './runs.ts';
import type { RunSpec } from './schema.ts';

/** "Solved" without `train.stopWhen`: below this many bits per sequence at an evaluation. */
export const DEFAULT_SOLVE_COST = 0.1;

/** Where a run first counted as solved (with `train.stopWhen`, where its training stopped). */
export interface SolvedAt {
  readonly step: number;
  readonly sequences: number;
  readonly seconds: number;
}

/** The cost a run must get below to count as solved: `train.stopWhen.cost`, else 0.1. */
export function solveThreshold(train: RunSpec['train']): number {
  return train.stopWhen?.cost ?? DEFAULT_SOLVE_COST;
}

/**
 * The first evaluation (a metrics.csv row: fresh sequences, evaluation mode) below `threshold`.
 * The one rule train, summary.md and compare share; it is also the Trainer's stopWhen test.
 */
export function firstSolved(rows: readonly MetricRow[], threshold: number): SolvedAt | undefined {
  const row = rows.find((r) => r.cost < threshold);
  return row && { step: row.step, sequences: row.sequences, seconds: row.seconds };
}
