/**
 * The dimensions every memory kernel call shares, from the shapes of memory `[B, N, M]` and of
 * the heads' weights (or sparse indices) `[B, H, ...]`; each kernel adds its own.
 */
export interface MemoryHeadDims {
  /** B */
  readonly batch: number;
  /** H */
  readonly heads: number;
  /** N */
  readonly slots: number;
  /** M */
  readonly width: number;
}

export function memoryHeadDims(memory: readonly number[], heads: readonly number[]): MemoryHeadDims {
  return { batch: memory[0]!, slots: memory[1]!, width: memory[2]!, heads: heads[1]! };
}
