import * as tf from '@tensorflow/tfjs';
import { shapes } from '@engram/tensor';
import { strideOffsets } from '../readWrite.ts';

/**
 * Usage is mapped to ALLOCATION_EPSILON + (1 - ALLOCATION_EPSILON) * u before allocating, as in
 * deepmind/dnc: it keeps every factor of the exclusive cumulative product, computed as
 * exp(cumsum(log u)), away from log(0), and it breaks the tie between slots that are all
 * exactly free (u = 0) in favour of the first, so an empty memory allocates slot 0 first.
 */
export const ALLOCATION_EPSILON = 1e-6;

/** Row i of `x [B, N]` at the columns `index [B, N]` (int32, no gradient): `out[b, j] = x[b, index[b, j]]`. */
function gatherColumns(x: tf.Tensor2D, index: tf.Tensor2D): tf.Tensor2D {
  const [b, n] = x.shape;
  const flat = tf.add(index, strideOffsets(b, n, [b, 1]));
  return tf.reshape(tf.gather(tf.reshape(x, [b * n]), tf.reshape(flat, [b * n])), [b, n]) as tf.Tensor2D;
}

/**
 * The free list of every batch row: slots in ascending usage, equal usages in slot order (as
 * TensorFlow's top_k orders ties, which deepmind/dnc relies on: an empty memory allocates slot
 * 0, then 1, ...), and its inverse. Sorted in JavaScript with a stable sort, because tfjs's
 * top-k does not promise an order for ties on every backend; the values are read without
 * gradient (a permutation has none).
 * @returns `order [B, N]` (order[b, j] = the j-th freest slot) and `inverse [B, N]`, int32.
 */
function freeList(usage: tf.Tensor2D): { order: tf.Tensor2D; inverse: tf.Tensor2D } {
  const [b, n] = usage.shape;
  const u = usage.dataSync();
  const order = new Int32Array(b * n);
  const inverse = new Int32Array(b * n);
  const slots = Array.from({ length: n }, (_, i) => i);
  for (let r = 0; r < b; r++) {
    const row = r * n;
    const sorted = [...slots].sort((i, j) => (u[row + i] as number) - (u[row + j] as number));
    sorted.forEach((slot, j) => {
      order[row + j] = slot;
      inverse[row + slot] = j;
    });
  }
  return { order: tf.tensor2d(order, [b, n], 'int32'), inverse: tf.tensor2d(inverse, [b, n], 'int32') };
}

/**
 * Allocation weights of one write head (DNC Methods, eq. 1 of "Dynamic memory allocation"):
 * with the slots sorted by usage, free list phi, a[phi_j] = (1 - u[phi_j]) prod_{i<j} u[phi_i].
 *
 * The sort carries no gradient (tfjs has no TopK gradient, and a permutation has none to give):
 * the free list is an int32 constant and the sorted usage is gathered with it, so the gradient
 * reaches usage through the gathered values, as in deepmind/dnc.
 * @param usage `[B, N]` in [0, 1].
 * @returns `[B, N]`, >= 0, summing to at most 1.
 */
export function allocationOf(usage: tf.Tensor2D): tf.Tensor2D {
  shapes('allocationOf').check('usage', usage, ['B', 'N']);
  return tf.tidy(() => {
    const u = tf.add(ALLOCATION_EPSILON, tf.mul(1 - ALLOCATION_EPSILON, usage)) as tf.Tensor2D;
    const { order, inverse } = freeList(u);
    const sorted = gatherColumns(u, order);
    const before = tf.exp(tf.cumsum(tf.log(sorted), 1, true)); // exclusive cumulative product
    const sortedAllocation = tf.mul(tf.sub(1, sorted), before) as tf.Tensor2D;
    return gatherColumns(sortedAllocation, inverse);
  });
}

/**
 * Allocation weights of every write head, as deepmind/dnc's `write_allocation_weights`: head h
 * allocates from the usage the heads before it left, each raising it by
 * (1 - u) * g_h * a_h so that two heads do not allocate the same slot.
 * @param usage `[B, N]` in [0, 1] (after this step's frees).
 * @param writeGates `[B, W]` in [0, 1]: each head's write gate times its allocation gate.
 * @returns `[B, W, N]`
 */
export function dncAllocation(usage: tf.Tensor2D, writeGates: tf.Tensor2D): tf.Tensor3D {
  const s = shapes('dncAllocation');
  s.check('usage', usage, ['B', 'N']);
  s.check('writeGates', writeGates, ['B', 'W']);
  return tf.tidy(() => {
    const heads = writeGates.shape[1];
    const gates = tf.unstack(writeGates, 1) as tf.Tensor1D[];
    const out: tf.Tensor2D[] = [];
    let u = usage;
    for (let h = 0; h < heads; h++) {
      const a = allocationOf(u);
      out.push(a);
      if (h + 1 < heads) u = tf.add(u, tf.mul(tf.mul(tf.sub(1, u), tf.expandDims(gates[h] as tf.Tensor1D, 1)), a)) as tf.Tensor2D;
    }
    return tf.stack(out, 1) as tf.Tensor3D;
  });
}
