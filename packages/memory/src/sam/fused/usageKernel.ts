import * as tf from '@tensorflow/tfjs';
import { int32Input, int32Output, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';

/**
 * SAM's bookkeeping of a step, none of it differentiable (it picks rows, as top-k does), each
 * kernel one O(N) pass per batch row, so that a step's row choices cost two dispatches instead
 * of a score of small ops:
 *
 * - {@link samUsage}, before the step's write: the write's rows (the rows last read, then the
 *   least-used row), the usage U_t = λ U_{t-1} + the last step's read weights + this step's
 *   write weights (Rae et al. 2016, §3.3; each scattered on its rows), the least-used row
 *   argmin_i U_t(i) (the lowest row on a tie, so an unwritten memory fills from row 0 on), the
 *   rows written so far (a write weight > 0 at some step) and the dense write weights;
 * - {@link samReadState}, after it: the read rows as float32 row numbers and the dense read
 *   weights, for the state (traces and plots read the dense weights).
 *
 * Dimension names: B batch, N slots, R read heads, k rows per read head, E = R k + 1 write entries.
 */
export const SAM_USAGE = 'EngramSamUsage';
export const SAM_READ_STATE = 'EngramSamReadState';

/** λ, and the inputs' shapes (so the zero gradients save no tensor). */
type UsageAttrs = { decay: number; shapes: number[][] };
/** N, and the inputs' shapes. */
type ReadStateAttrs = { slots: number; shapes: number[][] };

/** dense[b, h, indices[b, h, l]] += values[b, h, l] over `[B, H, k]` entries into `[B, H, N]` (zeroed first). */
function scatterDense(indices: ArrayLike<number>, values: Float32Array, perHead: number, slots: number, dense: Float32Array): void {
  dense.fill(0);
  for (let e = 0; e < indices.length; e++) {
    const at = Math.floor(e / perHead) * slots + indices[e]!;
    dense[at] = dense[at]! + values[e]!;
  }
}

/** The row of the least usage among `usage[from, from + n)` (the lowest on a tie). */
function leastUsedRow(usage: Float32Array, from: number, n: number): number {
  let best = 0;
  let least = usage[from]!;
  for (let i = 1; i < n; i++) {
    const u = usage[from + i]!;
    if (u < least) {
      least = u;
      best = i;
    }
  }
  return best;
}

function registerSamBookkeeping(): void {
  registerFusedKernel<UsageAttrs>({
    name: SAM_USAGE,
    inputs: ['usage', 'written', 'readIndices', 'readValues', 'leastUsed', 'writeValues'],
    int32Outputs: [3],
    // usage, written, least-used row (float32 row number), write indices (int32), dense write weights
    outputShapes: ([u, , , , , wv]) => [[...u!], [...u!], [u![0]!, 1], [...wv!], [u![0]!, 1, u![1]!]],
    compute: ([usage, written, readIndices, readValues, leastUsed, writeValues], [next, nowWritten, nextLeast, writeIndexOut, dense], [u, , ri], { decay }) => {
      const [B, N] = u as [number, number];
      const reads = ri![1]! * ri![2]!;
      const E = reads + 1;
      const writeIndices = int32Output(writeIndexOut);
      for (let b = 0; b < B; b++) {
        // the write's rows: the rows last read (every head's), then the least-used row
        for (let e = 0; e < reads; e++) writeIndices[b * E + e] = readIndices![b * reads + e]!;
        writeIndices[b * E + reads] = leastUsed![b]!;
      }
      scatterDense(writeIndices, writeValues!, E, N, dense!);
      for (let i = 0; i < B * N; i++) next![i] = decay * usage![i]!;
      nowWritten!.set(written!);
      for (let b = 0; b < B; b++) {
        for (let e = b * reads; e < (b + 1) * reads; e++) {
          const at = b * N + readIndices![e]!;
          next![at] = next![at]! + Math.abs(readValues![e]!);
        }
        for (let e = b * E; e < (b + 1) * E; e++) {
          const at = b * N + writeIndices[e]!;
          next![at] = next![at]! + Math.abs(writeValues![e]!);
          if (writeValues![e]! > 0) nowWritten![at] = 1;
        }
        nextLeast![b] = leastUsedRow(next!, b * N, N);
      }
    },
  });
  registerFusedGradient({
    kernelName: SAM_USAGE,
    // no gradient: usage picks a row (see above); zeros of the inputs' shapes
    gradFunc: (_dy, _saved, attrs) => zeroGradients(SAM_USAGE_INPUTS, (attrs as unknown as UsageAttrs).shapes),
  });
  registerFusedKernel<ReadStateAttrs>({
    name: SAM_READ_STATE,
    inputs: ['readIndices', 'readValues'],
    int32Inputs: ['readIndices'],
    // read rows (float32 row numbers), dense read weights
    outputShapes: ([ri], { slots }) => [[...ri!], [ri![0]!, ri![1]!, slots]],
    compute: ([readIndices, readValues], [rows, dense], [ri], { slots }) => {
      const indices = int32Input(readIndices);
      for (let e = 0; e < indices.length; e++) rows![e] = indices[e]!;
      scatterDense(indices, readValues!, ri![2]!, slots, dense!);
    },
  });
  registerFusedGradient({
    kernelName: SAM_READ_STATE,
    gradFunc: (_dy, _saved, attrs) => zeroGradients(['readIndices', 'readValues'], (attrs as unknown as ReadStateAttrs).shapes),
  });
}
// registered once, when this module is first imported
registerSamBookkeeping();

const SAM_USAGE_INPUTS = ['usage', 'written', 'readIndices', 'readValues', 'leastUsed', 'writeValues'];

/** Zero gradients for inputs of these shapes (the kernels run off the tape; a tape that records them gets no gradient through them). */
function zeroGradients(names: readonly string[], shapes: readonly number[][]): Record<string, () => tf.Tensor> {
  return Object.fromEntries(names.map((name, i) => [name, () => tf.zeros(shapes[i]!)]));
}

/** What {@link samUsage} returns. */
export interface SamUsage {
  /** `[B, N]` U_t */
  readonly usage: tf.Tensor2D;
  /** `[B, N]` 1 on the rows written so far, this step's included. */
  readonly written: tf.Tensor2D;
  /** `[B, 1]` the least-used row after this step (a row number as float32). */
  readonly leastUsed: tf.Tensor2D;
  /** `[B, 1, E]` int32: the write's rows, the rows last read then the least-used row of the last step. */
  readonly writeIndices: tf.Tensor3D;
  /** `[B, 1, N]` the write weights, dense. */
  readonly writeWeights: tf.Tensor3D;
}

/**
 * A step's usage bookkeeping, before its write (see above).
 * @param usage, written `[B, N]`; reads `[B, R, k]` (the last step's: row numbers as float32, as
 *   the state keeps them, and weights); leastUsed `[B, 1]` (float32); writeValues `[B, 1, R k + 1]`.
 */
export function samUsage(
  usage: tf.Tensor2D,
  written: tf.Tensor2D,
  reads: SparseWeights,
  leastUsed: tf.Tensor2D,
  writeValues: tf.Tensor3D,
  decay: number,
): SamUsage {
  const inputs = { usage, written, readIndices: reads.indices, readValues: reads.values, leastUsed, writeValues };
  const attrs: UsageAttrs = { decay, shapes: SAM_USAGE_INPUTS.map((n) => inputs[n as keyof typeof inputs].shape) };
  const [next, nowWritten, nextLeast, writeIndices, dense] = runKernel(SAM_USAGE, inputs, attrs);
  return {
    usage: next as tf.Tensor2D,
    written: nowWritten as tf.Tensor2D,
    leastUsed: nextLeast as tf.Tensor2D,
    writeIndices: writeIndices as tf.Tensor3D,
    writeWeights: dense as tf.Tensor3D,
  };
}

/**
 * The state's view of a step's reads: the rows as float32 row numbers and the dense weights.
 * @param reads `[B, R, k]` (int32 rows, weights).
 * @returns rows `[B, R, k]` float32, dense `[B, R, N]`.
 */
export function samReadState(reads: SparseWeights, slots: number): { rows: tf.Tensor3D; dense: tf.Tensor3D } {
  const attrs: ReadStateAttrs = { slots, shapes: [reads.indices.shape, reads.values.shape] };
  const [rows, dense] = runKernel(SAM_READ_STATE, { readIndices: reads.indices, readValues: reads.values }, attrs);
  return { rows: rows as tf.Tensor3D, dense: dense as tf.Tensor3D };
}
