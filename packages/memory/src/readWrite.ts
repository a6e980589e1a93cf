import * as tf from '@tensorflow/tfjs';
import { shapes } from '@engram/tensor';
import { weightedSum } from './attend.ts';

/**
 * NTM read (eq. 2): r = sum_i w_i M_i, for every read head at once.
 * @param memory `[B, N, M]`
 * @param weights `[B, R, N]`
 * @returns read vectors `[B, R, M]`
 */
export function read(memory: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor3D {
  return weightedSum(memory, weights);
}

/**
 * NTM write (eqs. 3-4) for all write heads: first every head erases, then every head adds:
 * M'_i = M_i * prod_h (1 - w_h(i) e_h) + sum_h w_h(i) a_h.
 * @param memory `[B, N, M]`
 * @param weights `[B, W, N]`
 * @param erase `[B, W, M]` in [0, 1]
 * @param add `[B, W, M]`
 * @returns the new memory `[B, N, M]`
 */
export function write(memory: tf.Tensor3D, weights: tf.Tensor3D, erase: tf.Tensor3D, add: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('write');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('weights', weights, ['B', 'W', 'N']);
  s.check('erase', erase, ['B', 'W', 'M']);
  s.check('add', add, ['B', 'W', 'M']);
  return tf.tidy(() => {
    const w = tf.expandDims(weights, -1); // [B,W,N,1]
    const keep = tf.sub(1, tf.mul(w, tf.expandDims(erase, 2))); // [B,W,N,M]
    const kept = tf.mul(memory, weights.shape[1] === 1 ? tf.squeeze(keep, [1]) : tf.prod(keep, 1));
    const added = tf.matMul(weights, add, true, false); // [B,N,M] = sum_h w_h(i) a_h
    return tf.add(kept, added) as tf.Tensor3D;
  });
}

/**
 * Sparse weights: each head attends to k rows only.
 * `indices: [B, H, k]` int32 slot numbers (distinct within a head), `values: [B, H, k]`.
 */
export interface SparseWeights {
  readonly indices: tf.Tensor3D;
  readonly values: tf.Tensor3D;
}

/** Row numbers into memory reshaped to `[B*N, M]`: b*N + index, as `[B*H*k]` int32. */
function flatRows(indices: tf.Tensor3D, slots: number): tf.Tensor1D {
  const [b, h, k] = indices.shape;
  return tf.reshape(tf.add(indices, strideOffsets(b, slots, [b, 1, 1])), [b * h * k]) as tf.Tensor1D;
}

/** int32 `shape`-shaped tensor holding 0, stride, 2*stride, ... (count values), for flattening indices. */
export function strideOffsets(count: number, stride: number, shape: number[]): tf.Tensor {
  const v = new Int32Array(count);
  for (let i = 0; i < count; i++) v[i] = i * stride;
  return tf.tensor(v, shape, 'int32');
}

/** `[W*k, W]` float32: entry (h*k + j, h) = 1, i.e. which head each addressed entry belongs to. */
function headMembership(heads: number, k: number): tf.Tensor2D {
  const v = new Float32Array(heads * k * heads);
  for (let h = 0; h < heads; h++) for (let j = 0; j < k; j++) v[(h * k + j) * heads + h] = 1;
  return tf.tensor2d(v, [heads * k, heads]);
}

/** Densifies sparse weights to `[B, H, N]` (O(B H N), no memory-sized work). */
export function sparseToDense(sparse: SparseWeights, slots: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, k] = sparse.indices.shape;
    const flat = tf.reshape(tf.add(sparse.indices, strideOffsets(b * h, slots, [b, h, 1])), [b * h * k]);
    const dense = tf.unsortedSegmentSum(tf.reshape(sparse.values, [b * h * k]), flat as tf.Tensor1D, b * h * slots);
    return tf.reshape(dense, [b, h, slots]) as tf.Tensor3D;
  });
}

/**
 * Read that touches only the k addressed rows of each head: O(B R k M).
 * @param memory `[B, N, M]`
 * @returns `[B, R, M]`
 */
export function sparseRead(memory: tf.Tensor3D, weights: SparseWeights): tf.Tensor3D {
  const s = shapes('sparseRead');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('indices', weights.indices, ['B', 'R', 'k']);
  s.check('values', weights.values, ['B', 'R', 'k']);
  return tf.tidy(() => {
    const [b, n, m] = memory.shape;
    const [, r, k] = weights.indices.shape;
    const rows = tf.gather(tf.reshape(memory, [b * n, m]), flatRows(weights.indices, n)); // [B*R*k, M]
    const v = tf.reshape(weights.values, [b * r, 1, k]);
    return tf.reshape(tf.matMul(v, tf.reshape(rows, [b * r, k, m])), [b, r, m]) as tf.Tensor3D;
  });
}

/**
 * Write that touches only the addressed rows: the same erase-then-add rule as {@link write},
 * computed on the gathered rows (rows shared by several heads see every head's weight) and
 * scattered back as a sum of per-row changes. O(B W k M + W^2 k^2) work besides the copy of
 * the memory tensor that any immutable update makes.
 * @param memory `[B, N, M]`
 * @param erase `[B, W, M]`
 * @param add `[B, W, M]`
 * @returns `[B, N, M]`
 */
export function sparseWrite(memory: tf.Tensor3D, weights: SparseWeights, erase: tf.Tensor3D, add: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('sparseWrite');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('indices', weights.indices, ['B', 'W', 'k']);
  s.check('values', weights.values, ['B', 'W', 'k']);
  s.check('erase', erase, ['B', 'W', 'M']);
  s.check('add', add, ['B', 'W', 'M']);
  return tf.tidy(() => {
    const [b, n, m] = memory.shape;
    const [, w, k] = weights.indices.shape;
    const flat = flatRows(weights.indices, n); // [B*W*k]
    const rows = tf.reshape(tf.gather(tf.reshape(memory, [b * n, m]), flat), [b, w * k, m]);
    // same[b, p, q] = 1 when addressed entry p and entry q name the same row (p, q over W*k).
    const idx = tf.reshape(weights.indices, [b, w * k]);
    const same = tf.cast(tf.equal(tf.expandDims(idx, 2), tf.expandDims(idx, 1)), 'float32'); // [B,Wk,Wk]
    // weight every head puts on the row of entry p: wAll[b, p, h] = sum_l same[p, (h,l)] values[h,l]
    const vals = tf.reshape(weights.values, [b, w * k]);
    const headOf = headMembership(w, k); // [Wk, W]
    const wAll = tf.matMul(tf.mul(same, tf.expandDims(vals, 1)), tf.tile(tf.expandDims(headOf, 0), [b, 1, 1])); // [B,Wk,W]
    const keep = tf.sub(1, tf.mul(tf.expandDims(wAll, -1), tf.expandDims(erase, 1))); // [B,Wk,W,M]
    const kept = tf.mul(rows, w === 1 ? tf.squeeze(keep, [2]) : tf.prod(keep, 2));
    const newRows = tf.add(kept, tf.matMul(wAll, add)); // [B,Wk,M]
    const multiplicity = tf.sum(same, -1, true); // [B,Wk,1]
    const delta = tf.div(tf.sub(newRows, rows), multiplicity);
    const dense = tf.unsortedSegmentSum(tf.reshape(delta, [b * w * k, m]), flat, b * n);
    return tf.add(memory, tf.reshape(dense, [b, n, m])) as tf.Tensor3D;
  });
}
