import * as tf from '@tensorflow/tfjs';
import { int32Input, int32Output, registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import type { SparseWeights } from '../../readWrite.ts';
import { gatherRows, sparseWriteForward, type SparseDims } from '../../ntm/fused/sparseMath.ts';
import { scratch32, scratchInt } from '../../ntm/fused/scratch.ts';
import { mirrorHolds, mirrorNowHolds } from '../simd/samScan.ts';
import { contentTopkBackward, contentTopkForward, type ContentTopkDims } from './contentTopkMath.ts';
import { samWriteBackwardInPlace } from './writeBackward.ts';

/**
 * One SAM memory step as one kernel: the sparse write, the content top-k of the read heads on
 * the new memory and their reads, with one gradient.
 *
 * Why one kernel and not the three it is made of (fusedSparseWrite, contentTopk,
 * fusedSparseRead, which compute the same): tfjs frees no gradient during a backward pass. Each
 * consumer of a memory adds an `[B, N, M]` gradient that lives until the pass ends, so three
 * consumers per step keep 3T memory-sized tensors at once however little the forward pass saved.
 * Here each memory has one consumer, the next step, and this kernel's gradient turns the memory
 * gradient it was handed into the old memory's in place (ownedGradient): the backward pass then
 * holds one memory gradient, changes k rows of it per head and step, and the forward pass keeps
 * k rows per head and step. The content scan over all N rows is the one O(N M) sweep of a step
 * besides the copy an immutable memory update makes (simd/samScan.ts).
 *
 * Dimension names: B batch, N slots, M width, E write entries, R read heads, k rows per read head.
 */
export const SAM_STEP = 'EngramSamStep';
export const SAM_STEP_GRAD = 'EngramSamStepGrad';

/**
 * k, δ and N; `mirrored`: the content scan's mirror holds the input memory (simd/samScan.ts),
 * so the scan copies in only the rows this step writes (absent: false, the whole memory).
 */
type StepAttrs = { k: number; rowNormFloor: number; slots: number; mirrored?: boolean };

/** The rows the write names, as numbers b N + n `[B E]` (the rows the scan's mirror must take in). */
function writtenRows(d: SparseDims, indices: Int32Array): Int32Array {
  const rows = scratchInt('samStep.writtenRows', indices.length);
  const perBatch = indices.length / d.batch;
  for (let e = 0; e < indices.length; e++) rows[e] = Math.floor(e / perBatch) * d.slots + indices[e]!;
  return rows;
}

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
    compute: (
      [memory, wi, wv, erase, add, keys, strengths, written],
      [next, ri, rw, rv, old, rows, scores],
      [m, wis, , , , ks],
      { k, rowNormFloor, mirrored },
    ) => {
      const wd = writeDims(m!, wis!);
      gatherRows(wd, memory!, int32Input(wi), old!);
      sparseWriteForward(wd, memory!, int32Input(wi), wv!, erase!, add!, next!);
      const rd = readDims(m![0]!, m![1]!, m![2]!, ks!, k, rowNormFloor);
      const outs = { indices: int32Output(ri), weights: rw!, rows: rows!, scores: scores! };
      contentTopkForward(rd, next!, keys!, strengths!, written!, outs, mirrored ? writtenRows(wd, int32Input(wi)) : undefined);
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
    // dMemory is not an output: the kernel turns it in place into the old memory's gradient
    // (the gradient function hands it a tensor no other holds; see there)
    outputShapes: ([, , , , wv, e, a, , , , , , keys, beta]) => [[...wv!], [...e!], [...a!], [...keys!], [...beta!]],
    compute: (
      [dMemory, dReadWeights, dReadVectors, wi, wv, erase, add, old, ri, rw, rows, scores, keys, strengths],
      [dWriteValues, dErase, dAdd, dKeys, dStrengths],
      [dm, , , wis, , , , , , , , , ks],
      { k, rowNormFloor },
    ) => {
      const [B, N, M] = dm as [number, number, number];
      const rd = readDims(B, N, M, ks!, k, rowNormFloor);
      const gradient = dMemory!;
      // the read: dWeights_l = dReadWeights_l + dr·rows_l, and dr w_l onto the new memory's row
      const dWeights = readBackward(rd, dReadWeights!, dReadVectors!, int32Input(ri), rw!, rows!, gradient);
      // the content top-k onto keys, strengths and the kept rows of the new memory
      contentTopkBackward(
        rd,
        dWeights,
        { indices: int32Input(ri), weights: rw!, rows: rows!, scores: scores!, keys: keys!, strengths: strengths! },
        { memory: gradient, keys: dKeys!, strengths: dStrengths! },
        true,
      );
      // the write, from the new memory's whole gradient, onto the old memory's (in place)
      const wd = writeDims(dm!, wis!);
      samWriteBackwardInPlace({ batch: B, slots: N, width: M, entries: wd.k }, gradient, old!, int32Input(wi), wv!, erase!, add!, {
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
      const gradient = ownedGradient(dMemory!);
      const [dWriteValues, dErase, dAdd, dKeys, dStrengths] = runKernel(
        SAM_STEP_GRAD,
        {
          dMemory: gradient,
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
      const n = (attrs as StepAttrs).slots;
      return {
        memory: () => gradient,
        writeIndices: () => tf.zeros(wi!.shape),
        writeValues: () => dWriteValues as tf.Tensor,
        erase: () => dErase as tf.Tensor,
        add: () => dAdd as tf.Tensor,
        keys: () => dKeys as tf.Tensor,
        strengths: () => dStrengths as tf.Tensor,
        written: () => tf.zeros([gradient.shape[0], n]), // which rows were written picks rows: no gradient
      };
    },
  });
}

/**
 * The read's backward pass: dWeights `[B, R, k]` (dReadWeights_l + dr·rows_l), and dr w_l
 * added onto the kept rows of `gradient` `[B, N, M]`.
 */
function readBackward(
  d: ContentTopkDims,
  dReadWeights: Float32Array,
  dReadVectors: Float32Array,
  indices: Int32Array,
  weights: Float32Array,
  rows: Float32Array,
  gradient: Float32Array,
): Float32Array {
  const { batch: B, heads: R, k: K, slots: N, width: M } = d;
  const dWeights = scratch32('samStep.dWeights', B * R * K);
  for (let bh = 0; bh < B * R; bh++) {
    const b = Math.floor(bh / R);
    for (let l = 0; l < K; l++) {
      const e = bh * K + l;
      let dw = dReadWeights[e]!;
      const w = weights[e]!;
      const r = (b * N + indices[e]!) * M;
      for (let j = 0; j < M; j++) {
        const g = dReadVectors[bh * M + j]!;
        dw += g * rows[e * M + j]!;
        gradient[r + j] = gradient[r + j]! + w * g;
      }
      dWeights[e] = dw;
    }
  }
  return dWeights;
}

/**
 * The gradient of a step's new memory as a tensor the step's backward pass may change in place:
 * `dMemory` itself when no other tensor shares its data (the usual case: this step is the
 * memory's one consumer, so the gradient came from the next step's backward pass, or is tfjs's
 * zeros for an unused last memory), else a copy, and `dMemory` is let go. Either way nothing
 * after this step reads `dMemory` (tfjs frees no gradient during a backward pass, so letting go
 * here is what keeps one memory gradient alive instead of one per step), and one buffer carries
 * the memory's gradient back through the whole sequence with no O(N M) work per step.
 */
function ownedGradient(dMemory: tf.Tensor): tf.Tensor {
  if (tf.backend().refCount(dMemory.dataId) === 1) return dMemory;
  const copy = tf.add(dMemory, 0);
  dMemory.dispose();
  return copy;
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
  const attrs: StepAttrs = { k, rowNormFloor, slots: memory.shape[1], mirrored: mirrorHolds(memory) };
  const [next, indices, weights, readVectors, old, rows, scores] = runKernel(
    SAM_STEP,
    { memory, writeIndices: writes.indices, writeValues: writes.values, erase, add, keys, strengths, written },
    attrs,
  );
  mirrorNowHolds(next!);
  // the gradient holds its own references when a tape records
  tf.dispose([old!, rows!, scores!]);
  return { memory: next as tf.Tensor3D, reads: { indices: indices as tf.Tensor3D, values: weights as tf.Tensor3D }, readVectors: readVectors as tf.Tensor3D };
}
