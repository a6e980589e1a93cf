/** One row of the comparison: a run and what it measured. */
export interface CompareRow {
  readonly run: string;
  readonly variant: string;
  readonly seed: number;
  readonly solved: boolean;
  readonly sequencesToSolve?: number;
  readonly secondsToSolve?: number;
  readonly finalCost: number;
  readonly generalisation: Record<string, number>;
  /** ngrams: the optimal estimator's cost on the same evaluation sequences, per length. */
  readonly optimal?: Record<string, number>;
  readonly msPerStep: number;
  readonly peakRssMb: number;
  readonly steps: number;
}
