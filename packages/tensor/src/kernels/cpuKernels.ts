import * as tf from '@tensorflow/tfjs';

/**
 * Two kernels of tfjs-backend-cpu 4.22 that are orders of magnitude slower than their work,
 * replaced with direct loops (same results) when the cpu backend is activated:
 * - UnsortedSegmentSum (the gradient of `gather`, used by the composite circular shift and the
 *   sparse heads): tfjs builds one mask per segment, O(segments x elements); measured here it
 *   was 75% of a composite training step at batch 32 (54 s of 72 s).
 * - SplitV along an inner axis (the gradient of every `concat`): tfjs slices element by element
 *   through index arithmetic (~4 ms for [32, 129]).
 * float32 and int32 only; other dtypes keep tfjs's kernels.
 */

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Values = Float32Array | Int32Array;

const REPLACED = Symbol.for('engram.cpuKernels');

function replace(name: string, make: (original: (a: Args) => unknown) => (a: Args) => unknown): void {
  const original = tf.getKernel(name, 'cpu');
  if (!original || (original as unknown as Record<symbol, boolean>)[REPLACED]) return;
  const prior = original.kernelFunc as unknown as (a: Args) => unknown;
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ ...original, kernelFunc: make(prior) as unknown as tf.KernelFunc, [REPLACED]: true } as tf.KernelConfig);
}

function allocate(dtype: tf.DataType, size: number): Values {
  return dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

/** out[s, ...] = sum over i with ids[i] = s of x[i, ...]; ids outside [0, numSegments) are dropped. */
function unsortedSegmentSum(prior: (a: Args) => unknown) {
  return (args: Args) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    const ids = args.inputs['segmentIds'] as tf.TensorInfo;
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || ids.dtype !== 'int32') return prior(args);
    const backend = args.backend as CpuBackendLike;
    const numSegments = (args.attrs as { numSegments: number }).numSegments;
    const inner = x.shape.slice(ids.shape.length).reduce((a, b) => a * b, 1);
    const xv = backend.data.get(x.dataId).values as Values;
    const iv = backend.data.get(ids.dataId).values as Int32Array;
    const out = allocate(x.dtype, numSegments * inner);
    for (let i = 0; i < iv.length; i++) {
      const s = iv[i]!;
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) out[dst + j] = out[dst + j]! + xv[src + j]!;
    }
    return backend.makeTensorInfo([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype, out);
  };
}

/** Splits along `axis` by copying contiguous runs: outer x (size along axis x inner) blocks. */
function splitV(prior: (a: Args) => unknown) {
  return (args: Args) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return prior(args);
    const backend = args.backend as CpuBackendLike;
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const rank = x.shape.length;
    const ax = axis < 0 ? axis + rank : axis;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
    const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
    const rowLen = (x.shape[ax] as number) * inner;
    const xv = backend.data.get(x.dataId).values as Values;
    let offset = 0;
    return sizes.map((s) => {
      const run = s * inner;
      const out = allocate(x.dtype, outer * run);
      for (let o = 0; o < outer; o++) out.set(xv.subarray(o * rowLen + offset, o * rowLen + offset + run), o * run);
      offset += run;
      const shape = [...x.shape];
      shape[ax] = s;
      return backend.makeTensorInfo(shape, x.dtype, out);
    });
  };
}

/** Replaces the two cpu kernels (once per process). */
export function registerCpuKernels(): void {
  replace('UnsortedSegmentSum', unsortedSegmentSum);
  replace('SplitV', splitV);
}
