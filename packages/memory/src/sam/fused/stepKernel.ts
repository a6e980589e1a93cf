import * as tf from '@tensorflow/tfjs';
import { int32Input, int32Output, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';
import { gatherRows, sparseWriteBackward, sparseWriteForward, type SparseDims } from '../../ntm/fused/sparseMath.ts';
import { scratch32 } from '../../ntm/fused/scratch.ts';
import { contentTopkBackward, contentTopkForward, type ContentTopkDims } from './contentTopkMath.ts';

/**
 * One SAM memory step as one kernel: the sparse write, the content top-k of the read heads on
 * the new memory and their reads, with one gradient.
 *
 * Why one kernel and not the three it is made of (fusedSparseWrite, contentTopk,
 * fusedSparseRead, which compute the same): tfjs frees no gradient during a backward pass. Each
 * consumer of a memory adds an `[B, N, M]` gradient that lives until the pass ends, so three
 * consumers per step keep 3T memory-sized tensors at once however little the forward pass saved.
 * Here each memory has one consumer, the next step, and this kernel's gradient disposes the
 * memory gradient it was handed once it has used it: the backward pass then holds one or two
 * memory gradients at a time, and the forward pass k rows per head and step.
 *
 * Dimension names: B batch, N slots, M width, E write entries, R read heads, k rows per read head.
 */
export const SAM_STEP = 'EngramSamStep';
export const SAM_STEP_GRAD = 'EngramSamStepGrad';

type StepAttrs = { k: number; rowNormFloor: number; slots: number };

const writeDims = (m: readonly number[], wi: readonly number[]): SparseDims => ({ batch: m[0]!, slots: m[1]!, width: m[2]!, heads: 1, k: wi[2]! });
const readDims = (b: number, n: number, m: number, keys: readonly number[], k: number, rowNormFloor: number): ContentTopkDims => ({
  batch: b,
  slots: n,
  width: m,
  heads: keys[1]!,
  k,
  rowNormFloor,
});

/** r[b,h,:] = sum_l w[b,h,l] rows[b,h,l,:] */
function readFromRows(d: ContentTopkDims, weights: Float32Array, rows: Float32Array, out: Float32Array): void {
  const { batch: B, heads: H, k: K, width: M } = d;
  for (let bh = 0; bh < B * H; bh++) {
    for (let j = 0; j < M; j++) out[bh * M + j] = 0;
    for (let l = 0; l < K; l++) {
      const e = bh * K + l;
      const w = weights[e]!;
      for (let j = 0; j < M; j++) out[bh * M + j] = out[bh * M + j]! + w * rows[e * M + j]!;
    }
  }
}

function registerSamStep(): void {
  registerFusedKernel<StepAttrs>({
    name: SAM_STEP,
    inputs: ['memory', 'writeIndices', 'writeValues', 'erase', 'add', 'keys', 'strengths', 'written'],
    int32Inputs: ['writeIndices'],
    int32Outputs: [1],
    // memory, read indices, read weights, read vectors | saved: old write rows, read rows, read scores
    outputShapes: ([m, wi, , , , keys], { k }) => {
      const brk = [m![0]!, keys![1]!, k];
      return [[...m!], brk, brk, [m![0]!, keys![1]!, m![2]!], [...wi!, m![2]!], [...brk, m![2]!], brk];
    },
    compute: ([memory, wi, wv, erase, add, keys, strengths, written], [next, ri, rw, rv, old, rows, scores], [m, wis, , , , ks], { k, rowNormFloor }) => {
      const wd = writeDims(m!, wis!);
      gatherRows(wd, memory!, int32Input(wi), old!);
      sparseWriteForward(wd, memory!, int32Input(wi), wv!, erase!, add!, next!);
      const rd = readDims(m![0]!, m![1]!, m![2]!, ks!, k, rowNormFloor);
      contentTopkForward(rd, next!, keys!, strengths!, written!, { indices: int32Output(ri), weights: rw!, rows: rows!, scores: scores! });
      readFromRows(rd, rw!, rows!, rv!);
    },
  });
  registerFusedKernel<StepAttrs>({
    name: SAM_STEP_GRAD,
    inputs: [
      'dMemory',
      'dReadWeights',
      'dReadVectors',
      'writeIndices',
      'writeValues',
      'erase',
      'add',
      'old',
      'readIndices',
      'readWeights',
      'rows',
      'scores',
      'keys',
      'strengths',
    ],
    int32Inputs: ['writeIndices', 'readIndices'],
    outputShapes: ([dm, , , , wv, e, a, , , , , , keys, beta]) => [[...dm!], [...wv!], [...e!], [...a!], [...keys!], [...beta!]],
    compute: (
      [dMemory, dReadWeights, dReadVectors, wi, wv, erase, add, old, ri, rw, rows, scores, keys, strengths],
      [dPrev, dWriteValues, dErase, dAdd, dKeys, dStrengths],
      [dm, , , wis, , , , , , , , , ks],
      { k, rowNormFloor },
    ) => {
      const [B, N, M] = dm as [number, number, number];
      const rd = readDims(B, N, M, ks!, k, rowNormFloor);
      const R = rd.heads;
      // the read: dWeights_l = dReadWeights_l + dr·rows_l, and dr w_l onto the new memory's row
      const dWeights = scratch32('samStep.dWeights', B * R * k);
      // the new memory's whole gradient is summed in dPrev, which the write's backward then turns
      // in place into the old memory's (it reads each entry before it overwrites it)
      const gNew = dPrev!;
      gNew.set(dMemory!);
      const readIdx = int32Input(ri);
      for (let bh = 0; bh < B * R; bh++) {
        const b = Math.floor(bh / R);
        for (let l = 0; l < k; l++) {
          const e = bh * k + l;
          let dw = dReadWeights![e]!;
          const w = rw![e]!;
          const r = (b * N + readIdx[e]!) * M;
          for (let j = 0; j < M; j++) {
            const g = dReadVectors![bh * M + j]!;
            dw += g * rows![e * M + j]!;
            gNew[r + j] = gNew[r + j]! + w * g;
          }
          dWeights[e] = dw;
        }
      }
      // the content top-k onto keys, strengths and the kept rows of the new memory
      contentTopkBackward(
        rd,
        dWeights,
        { indices: readIdx, weights: rw!, rows: rows!, scores: scores!, keys: keys!, strengths: strengths! },
        { memory: gNew, keys: dKeys!, strengths: dStrengths! },
        true,
      );
      // the write, from the new memory's whole gradient
      sparseWriteBackward(writeDims(dm!, wis!), gNew, old!, int32Input(wi), wv!, erase!, add!, {
        memory: dPrev!,
        values: dWriteValues!,
        erase: dErase!,
        add: dAdd!,
      });
    },
  });
  registerFusedGradient({
    kernelName: SAM_STEP,
    inputsToSave: ['writeIndices', 'writeValues', 'erase', 'add', 'keys', 'strengths'],
    outputsToSave: [false, true, true, false, true, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [wi, wv, erase, add, keys, strengths, ri, rw, old, rows, scores] = saved as tf.Tensor[];
      const [dMemory, , dReadWeights, dReadVectors] = dys as tf.Tensor[];
      const [dPrev, dWriteValues, dErase, dAdd, dKeys, dStrengths] = runKernel(
        SAM_STEP_GRAD,
        {
          dMemory: dMemory!,
          dReadWeights: dReadWeights!,
          dReadVectors: dReadVectors!,
          writeIndices: wi!,
          writeValues: wv!,
          erase: erase!,
          add: add!,
          old: old!,
          readIndices: ri!,
          readWeights: rw!,
          rows: rows!,
          scores: scores!,
          keys: keys!,
          strengths: strengths!,
        },
        attrs as StepAttrs,
      );
      // This step produced the memory, so nothing after this reads its gradient: free it now,
      // or tfjs keeps it (and one per step) until the backward pass ends (see above).
      dMemory!.dispose();
      const n = (attrs as StepAttrs).slots;
      return {
        memory: () => dPrev as tf.Tensor,
        writeIndices: () => tf.zeros(wi!.shape),
        writeValues: () => dWriteValues as tf.Tensor,
        erase: () => dErase as tf.Tensor,
        add: () => dAdd as tf.Tensor,
        keys: () => dKeys as tf.Tensor,
        strengths: () => dStrengths as tf.Tensor,
        written: () => tf.zeros([dPrev!.shape[0], n]), // which rows were written picks rows: no gradient
      };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerSamStep();

/** What one SAM step's kernel returns. */
export interface SamStepOutputs {
  /** `[B, N, M]` */
  readonly memory: tf.Tensor3D;
  /** `[B, R, k]` */
  readonly reads: SparseWeights;
  /** `[B, R, M]` */
  readonly readVectors: tf.Tensor3D;
}

/**
 * One SAM memory step: fusedSparseWrite(memory, writes, erase, add), then contentTopk of the
 * keys on the new memory, then fusedSparseRead of it, in one kernel with one gradient.
 * @param memory `[B, N, M]`; writes `[B, 1, E]`; erase, add `[B, 1, M]`; keys `[B, R, M]`;
 *   strengths `[B, R]`; written `[B, N]` (the rows written so far, this step's included).
 */
export function samStep(
  memory: tf.Tensor3D,
  writes: SparseWeights,
  erase: tf.Tensor3D,
  add: tf.Tensor3D,
  keys: tf.Tensor3D,
  strengths: tf.Tensor2D,
  written: tf.Tensor2D,
  k: number,
  rowNormFloor: number,
): SamStepOutputs {
  const attrs: StepAttrs = { k, rowNormFloor, slots: memory.shape[1] };
  const [next, indices, weights, readVectors, old, rows, scores] = runKernel(
    SAM_STEP,
    { memory, writeIndices: writes.indices, writeValues: writes.values, erase, add, keys, strengths, written },
    attrs,
  );
  // the gradient holds its own references when a tape records
  tf.dispose([old!, rows!, scores!]);
  return { memory: next as tf.Tensor3D, reads: { indices: indices as tf.Tensor3D, values: weights as tf.Tensor3D }, readVectors: readVectors as tf.Tensor3D };
}
