/**
 * The cpu backend's replaced SplitV and UnsortedSegmentSum kernels give tfjs's results
 * (checked against plain-array expectations on the cpu backend, whatever backend the run uses).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCpuKernels } from '../src/kernels/cpuKernels.ts';

let previous = '';
beforeAll(async () => {
  previous = tf.getBackend();
  registerCpuKernels();
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend(previous);
});

describe('cpu SplitV', () => {
  it('splits along every axis, with sizes, a -1 size and equal parts, float32 and int32', () => {
    const x = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const values = x.arraySync();
    const [a, b] = tf.split(x, [1, -1], 2);
    expect(a!.arraySync()).toEqual(values.map((m) => m.map((r) => r.slice(0, 1))));
    expect(b!.arraySync()).toEqual(values.map((m) => m.map((r) => r.slice(1))));
    const parts = tf.split(x, 3, 1);
    parts.forEach((p, k) => expect(p.arraySync()).toEqual(values.map((m) => [m[k]])));
    const [c, d] = tf.split(x, [1, 1], 0);
    expect(c!.arraySync()).toEqual([values[0]]);
    expect(d!.arraySync()).toEqual([values[1]]);
    const xi = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [2, 3],
      'int32',
    );
    const [e, f] = tf.split(xi, [2, 1], -1);
    expect(e!.dtype).toBe('int32');
    expect(e!.arraySync()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(f!.arraySync()).toEqual([[3], [6]]);
    tf.dispose([x, a!, b!, ...parts, c!, d!, xi, e!, f!]);
  });
  it('the gradient of concat goes through it', () => {
    const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, b], 1), tf.range(0, 10).reshape([2, 5]))))([
      tf.ones([2, 2]),
      tf.ones([2, 3]),
    ]);
    expect(ga!.arraySync()).toEqual([
      [0, 1],
      [5, 6],
    ]);
    expect(gb!.arraySync()).toEqual([
      [2, 3, 4],
      [7, 8, 9],
    ]);
  });
});

describe('cpu UnsortedSegmentSum', () => {
  it('sums rows into their segments and drops ids out of range', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const ids = tf.tensor1d([2, 0, 2, 5], 'int32');
    expect(tf.unsortedSegmentSum(x, ids, 3).arraySync()).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
    ]);
  });
  it('is the gradient of gather', () => {
    const [g] = tf.grads((x: tf.Tensor) => tf.sum(tf.gather(x, tf.tensor1d([0, 2, 2], 'int32'))))([tf.tensor1d([1, 2, 3])]);
    expect(g!.arraySync()).toEqual([1, 0, 2]);
  });
});
