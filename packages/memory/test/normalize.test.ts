/**
 * Normalisers: sparsemax (values, simplex, exact zeros, gradient), hardmax, straight-through.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { hardmax, NORMALIZERS, softmax, sparsemax, straightThrough } from '../src/index.ts';
import * as ref from './reference/ntm64.ts';
import { arr, checkGradients, flat, maxDiff, mulberry32, randomNested, randomT3, type T3 } from './helpers.ts';

/** The sparsemax threshold tau of one vector (float64): p = max(z - tau, 0). */
function threshold(v: number[]): number {
  const p = ref.sparsemax(v);
  const i = p.findIndex((x) => x > 0);
  return (v[i] as number) - (p[i] as number);
}

describe('sparsemax', () => {
  it('projects the planted [1, 0.5, -1] to exactly [0.75, 0.25, 0]', () => {
    const out = tf.tidy(() => arr(sparsemax(tf.tensor1d([1, 0.5, -1]))));
    expect(out).toEqual([0.75, 0.25, 0]);
    const batched = tf.tidy(() =>
      arr(
        sparsemax(
          tf.tensor2d([
            [1, 0.5, -1],
            [-1, 1, 0.5],
            [3, 0, 0],
          ]),
        ),
      ),
    );
    expect(batched).toEqual([
      [0.75, 0.25, 0],
      [0, 0.75, 0.25],
      [1, 0, 0],
    ]);
  });

  it('equal scores share the mass equally; adding a constant to every score changes nothing', () => {
    const out = tf.tidy(() =>
      arr<number[][]>(
        sparsemax(
          tf.tensor2d([
            [2, 2, 2, 2],
            [7, 7, -5, 7],
          ]),
        ),
      ),
    );
    expect(
      maxDiff(out, [
        [0.25, 0.25, 0.25, 0.25],
        [1 / 3, 1 / 3, 0, 1 / 3],
      ]),
    ).toBeLessThan(1e-6);
    expect(out[1]?.[2]).toBe(0);
    const shifted = tf.tidy(() => arr<number[][]>(sparsemax(tf.tensor2d([[1 + 10, 0.5 + 10, -1 + 10]]))));
    expect(shifted).toEqual([[0.75, 0.25, 0]]);
  });

  it('on random inputs: on the simplex, with exact zeros, equal to the reference', () => {
    const x = randomT3([3, 4, 9], mulberry32(21), 2);
    const out = tf.tidy(() => arr<T3>(sparsemax(tf.tensor3d(x))));
    expect(maxDiff(out, ref.sparsemax(x))).toBeLessThan(1e-6);
    let zeros = 0;
    let positives = 0;
    for (const row of out.flat()) {
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-6);
      for (const v of row) {
        expect(v).toBeGreaterThanOrEqual(0);
        if (v === 0) zeros++;
        else positives++;
      }
    }
    // the reference's zeros are zeros here too, exactly
    const refFlat = flat(ref.sparsemax(x));
    const outFlat = flat(out);
    refFlat.forEach((r, i) => {
      if (r === 0) expect(outFlat[i]).toBe(0);
    });
    expect(zeros).toBeGreaterThan(20); // sparse: a good share of exact zeros
    expect(positives).toBeGreaterThan(12);
  });

  it('gradient matches finite differences of the reference sparsemax (inputs away from support boundaries)', () => {
    // keep only rows where every |z_i - tau| > 0.05, so central differences never cross a boundary
    const rng = mulberry32(22);
    const rows: number[][] = [];
    while (rows.length < 8) {
      const v = randomNested<number[]>([7], rng, 2);
      const tau = threshold(v);
      if (v.every((z) => Math.abs(z - tau) > 0.05) && ref.sparsemax(v).filter((p) => p > 0).length >= 2) rows.push(v);
    }
    const x: T3 = [rows.slice(0, 4), rows.slice(4)];
    checkGradients(
      (z) => sparsemax(z),
      (z: T3) => ref.sparsemax(z),
      [x],
    );
  });

  it('gradient is zero outside the support and sums to zero inside (Jacobian diag(s) - s s^T/|S|)', () => {
    const z = tf.tensor2d([[1, 0.5, -1, 0.2]]);
    const dy = tf.tensor2d([[3, -1, 7, 2]]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(sparsemax(x), dy)) as tf.Scalar)(z);
    const p = arr<number[][]>(sparsemax(z))[0] as number[];
    const support = p.map((v) => (v > 0 ? 1 : 0));
    const k = support.reduce((a: number, b) => a + b, 0);
    const dyv = [3, -1, 7, 2];
    const mean = dyv.reduce((s, v, i) => s + v * (support[i] as number), 0) / k;
    const expected = [dyv.map((v, i) => (support[i] ? v - mean : 0))];
    expect(maxDiff(g, expected)).toBeLessThan(1e-6);
    expect(arr<number[][]>(g)[0]?.[2]).toBe(0);
    tf.dispose([z, dy, g]);
  });
});

describe('hardmax', () => {
  it('is one-hot at the argmax of the last axis, ties at the lowest index', () => {
    const x = tf.tensor3d([
      [
        [0.1, 0.7, 0.2],
        [5, -1, 4],
      ],
      [
        [-3, -2, -1],
        [2, 9, 9],
      ],
    ]);
    const out = hardmax(x);
    expect(out.dtype).toBe('float32');
    expect(arr(out)).toEqual([
      [
        [0, 1, 0],
        [1, 0, 0],
      ],
      [
        [0, 0, 1],
        [0, 1, 0],
      ],
    ]);
    tf.dispose([x, out]);
  });

  it('on random inputs every row has exactly one 1 at the argmax and zeros elsewhere', () => {
    const x = randomT3([2, 3, 11], mulberry32(23));
    const out = tf.tidy(() => arr<T3>(hardmax(tf.tensor3d(x))));
    out.forEach((hs, b) =>
      hs.forEach((row, h) => {
        const src = x[b]![h]!;
        const arg = src.indexOf(Math.max(...src));
        expect(row).toEqual(src.map((_, i) => (i === arg ? 1 : 0)));
      }),
    );
  });

  it('NORMALIZERS maps names to the functions', () => {
    expect(NORMALIZERS.softmax).toBe(softmax);
    expect(NORMALIZERS.sparsemax).toBe(sparsemax);
    expect(NORMALIZERS.hard).toBe(hardmax);
  });
});

describe('straightThrough', () => {
  const x = randomT3([2, 3, 6], mulberry32(24), 2);
  const proj = randomT3([2, 3, 6], mulberry32(25));

  it('forward is exactly the hard value', () => {
    const out = tf.tidy(() => {
      const soft = softmax(tf.tensor3d(x));
      const hard = hardmax(soft);
      return { st: arr<T3>(straightThrough(soft, hard)), hard: arr<T3>(hard) };
    });
    expect(out.st).toEqual(out.hard);
    expect(flat(out.st).filter((v) => v === 1)).toHaveLength(6);
  });

  it('gradient w.r.t. the soft input equals the gradient of the soft path', () => {
    const [gSt, gSoft] = tf.tidy(() => {
      const xt = tf.tensor3d(x);
      const p = tf.tensor3d(proj);
      const st = tf.grad((z: tf.Tensor) => {
        const soft = softmax(z);
        return tf.sum(tf.mul(straightThrough(soft, hardmax(soft)), p)) as tf.Scalar;
      })(xt);
      const soft = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(softmax(z), p)) as tf.Scalar)(xt);
      return [arr<T3>(st), arr<T3>(soft)];
    });
    expect(Math.max(...flat(gSoft).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(maxDiff(gSt, gSoft)).toBeLessThan(1e-7);
  });

  it('passes the incoming gradient through unchanged, evaluated at the hard value', () => {
    // d/dsoft sum(y^2) with y = straightThrough(soft, hard) is 2 * hard (not 2 * soft)
    const soft = tf.tensor1d([0.2, 0.5, 0.3]);
    const hard = tf.tensor1d([0, 1, 0]);
    const g = tf.grad((s: tf.Tensor) => tf.sum(tf.square(straightThrough(s, hard))) as tf.Scalar)(soft);
    expect(arr(g)).toEqual([0, 2, 0]);
    tf.dispose([soft, hard, g]);
  });
});
