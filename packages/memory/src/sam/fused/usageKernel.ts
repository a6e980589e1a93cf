import * as tf from '@tensorflow/tfjs';
import { int32Input, int32Output, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';

/**
 * SAM's usage and least-used row (Rae et al. 2016, §3.3), one O(N) pass per batch row:
 *     U_t = λ U_{t-1} + sum over heads of the read and write weights (scattered on their rows)
 * the least-used row argmin_i U_t(i) (the lowest row on a tie, so an unwritten memory is
 * filled from row 0 on), and which rows have been written (a write weight > 0 at some step). Usage steers which row a write allocates, but carries no gradient:
 * it is a discrete choice, like the rows top-k keeps.
 */
export const SAM_USAGE = 'EngramSamUsage';

/** λ, and the inputs' shapes (so the zero gradient saves no tensor: usage is `[B, N]` a step). */
type UsageAttrs = { decay: number; usageShape: number[]; readShape: number[]; writeShape: number[] };

function registerSamUsage(): void {
  registerFusedKernel<UsageAttrs>({
    name: SAM_USAGE,
    inputs: ['usage', 'written', 'readIndices', 'readValues', 'writeIndices', 'writeValues'],
    int32Inputs: ['readIndices', 'writeIndices'],
    int32Outputs: [1],
    outputShapes: ([u]) => [[...u!], [u![0]!, 1, 1], [...u!]],
    compute: ([usage, written, readIndices, readValues, writeIndices, writeValues], [next, leastUsed, nowWritten], [u, , ri, , wi], { decay }) => {
      const [B, N] = u as [number, number];
      const lru = int32Output(leastUsed);
      const scatter = (indices: Int32Array, values: Float32Array, perRow: number, b: number) => {
        for (let e = b * perRow; e < (b + 1) * perRow; e++) next![b * N + indices[e]!]! += Math.abs(values[e]!);
      };
      for (let b = 0; b < B; b++) {
        for (let i = b * N; i < (b + 1) * N; i++) next![i] = decay * usage![i]!;
        scatter(int32Input(readIndices), readValues!, ri![1]! * ri![2]!, b);
        scatter(int32Input(writeIndices), writeValues!, wi![1]! * wi![2]!, b);
        nowWritten!.set(written!.subarray(b * N, (b + 1) * N), b * N);
        const perRow = wi![1]! * wi![2]!;
        for (let e = b * perRow; e < (b + 1) * perRow; e++) if (writeValues![e]! > 0) nowWritten![b * N + int32Input(writeIndices)[e]!] = 1;
        let best = 0;
        for (let i = 1; i < N; i++) if (next![b * N + i]! < next![b * N + best]!) best = i;
        lru[b] = best;
      }
    },
  });
  registerFusedGradient({
    kernelName: SAM_USAGE,
    // no gradient: usage picks a row (see above); zeros of the inputs' shapes
    gradFunc: (_dy, _saved, attrs) => {
      const { usageShape, readShape, writeShape } = attrs as unknown as UsageAttrs;
      const zeros = (shape: number[]) => () => tf.zeros(shape);
      return {
        usage: zeros(usageShape),
        written: zeros(usageShape),
        readIndices: zeros(readShape),
        readValues: zeros(readShape),
        writeIndices: zeros(writeShape),
        writeValues: zeros(writeShape),
      };
    },
  });
}
registerSamUsage();

/**
 * The usage after this step's reads and writes, each batch row's least-used row, and the rows
 * written so far.
 * @param usage, written `[B, N]`; reads `[B, R, k]`; writes `[B, 1, E]`.
 * @returns usage and written `[B, N]`, and the least-used row `[B, 1, 1]` int32.
 */
export function samUsage(
  usage: tf.Tensor2D,
  written: tf.Tensor2D,
  reads: SparseWeights,
  writes: SparseWeights,
  decay: number,
): { usage: tf.Tensor2D; leastUsed: tf.Tensor3D; written: tf.Tensor2D } {
  const [next, leastUsed, nowWritten] = runKernel(
    SAM_USAGE,
    { usage, written, readIndices: reads.indices, readValues: reads.values, writeIndices: writes.indices, writeValues: writes.values },
    { decay, usageShape: usage.shape, readShape: reads.indices.shape, writeShape: writes.indices.shape },
  );
  return { usage: next as tf.Tensor2D, leastUsed: leastUsed as tf.Tensor3D, written: nowWritten as tf.Tensor2D };
}
