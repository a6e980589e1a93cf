/**
 * Read and write: hand-computed cases, the float64 reference, gradients, and the sparse heads
 * against the dense ones.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError } from '@engram/tensor';
import { read, sparseRead, sparseToDense, sparseWrite, write, type SparseWeights } from '../src/index.ts';
import * as ref from './reference/ntm64.ts';
import { arr, checkGradients, mapNested, maxDiff, mulberry32, randomT3, relErr, softmaxRows, type T3 } from './helpers.ts';

function writeTf(m: T3, w: T3, e: T3, a: T3): T3 {
  return tf.tidy(() => arr<T3>(write(tf.tensor3d(m), tf.tensor3d(w), tf.tensor3d(e), tf.tensor3d(a))));
}

describe('write: hand-computed cases', () => {
  const memory: T3 = [
    [
      [1, 2],
      [3, 4],
      [7, 8],
    ],
  ];

  it('one-hot weight on slot 1, erase all ones, add [5, 6]: row 1 becomes [5, 6], the others stay', () => {
    expect(writeTf(memory, [[[0, 1, 0]]], [[[1, 1]]], [[[5, 6]]])).toEqual([
      [
        [1, 2],
        [5, 6],
        [7, 8],
      ],
    ]);
  });

  it('half weights: M_i * (1 - w_i e) + w_i a, computed by hand', () => {
    // w = [0.5, 0.5, 0], e = [1, 0.5], a = [2, 4]
    // row 0: [1*(1-0.5) + 1, 2*(1-0.25) + 2] = [1.5, 3.5]; row 1: [3*0.5 + 1, 4*0.75 + 2] = [2.5, 5]
    expect(writeTf(memory, [[[0.5, 0.5, 0]]], [[[1, 0.5]]], [[[2, 4]]])).toEqual([
      [
        [1.5, 3.5],
        [2.5, 5],
        [7, 8],
      ],
    ]);
  });

  it('two write heads: every head erases, then every head adds (not one head after the other)', () => {
    // 2 * (1 - 0.5) * (1 - 0.5) + 0.5 * 1 + 1 * 3 = 4; head-after-head would give (2*0.5 + 0.5)*0.5 + 3 = 3.75
    expect(writeTf([[[2]]], [[[0.5], [1]]], [[[1], [0.5]]], [[[1], [3]]])).toEqual([[[4]]]);
  });

  it('erase 0 and add 0 leave memory unchanged; full erase with weight 1 and add 0 zeroes the row', () => {
    expect(writeTf(memory, [[[0.3, 0.7, 0]]], [[[0, 0]]], [[[0, 0]]])).toEqual(memory);
    expect(writeTf(memory, [[[0, 0, 1]]], [[[1, 1]]], [[[0, 0]]])).toEqual([
      [
        [1, 2],
        [3, 4],
        [0, 0],
      ],
    ]);
  });

  it('read is the weighted sum of rows', () => {
    const out = tf.tidy(() =>
      arr<T3>(
        read(
          tf.tensor3d(memory),
          tf.tensor3d([
            [
              [0.25, 0.75, 0],
              [0, 0, 1],
            ],
          ]),
        ),
      ),
    );
    expect(out).toEqual([
      [
        [2.5, 3.5],
        [7, 8],
      ],
    ]);
  });
});

const B = 2;
const N = 7;
const M = 3;
const rng = mulberry32(51);
const memory = randomT3([B, N, M], rng, 2);
const ww = softmaxRows(randomT3([B, 2, N], rng, 2)); // two write heads
const erase = mapNested(randomT3([B, 2, M], rng, 2), ref.sigmoid);
const add = randomT3([B, 2, M], rng);
const rw = softmaxRows(randomT3([B, 3, N], rng, 2)); // three read heads

describe('read and write vs the float64 reference', () => {
  it('write with two heads equals the reference', () => {
    expect(maxDiff(writeTf(memory, ww, erase, add), ref.write(memory, ww, erase, add))).toBeLessThan(1e-5);
    const one = ww.map((hs) => [hs[0]!]);
    const e1 = erase.map((hs) => [hs[0]!]);
    const a1 = add.map((hs) => [hs[0]!]);
    expect(maxDiff(writeTf(memory, one, e1, a1), ref.write(memory, one, e1, a1))).toBeLessThan(1e-5);
  });

  it('read with three heads equals the reference', () => {
    const out = tf.tidy(() => arr<T3>(read(tf.tensor3d(memory), tf.tensor3d(rw))));
    expect(maxDiff(out, ref.read(memory, rw))).toBeLessThan(1e-5);
  });

  it('rows with zero write weight (from every head) are unchanged, bit for bit', () => {
    const w = ww.map((hs) => hs.map((row) => row.map((x, i) => (i === 1 || i === 4 ? 0 : x))));
    const out = writeTf(memory, w, erase, add);
    const m32 = mapNested(memory, Math.fround);
    for (let b = 0; b < B; b++) {
      for (const i of [1, 4]) expect(out[b]![i]).toEqual(m32[b]![i]);
      expect(maxDiff(out[b]![0]!, m32[b]![0]!)).toBeGreaterThan(1e-3);
    }
  });

  it('gradients of write w.r.t. memory, weights, erase and add match finite differences', () => {
    checkGradients(
      (m, w, e, a) => write(m as tf.Tensor3D, w as tf.Tensor3D, e as tf.Tensor3D, a as tf.Tensor3D),
      (m: T3, w: T3, e: T3, a: T3) => ref.write(m, w, e, a),
      [memory, ww, erase, add],
    );
    // single head (the squeeze path instead of prod)
    const pick = (x: T3) => x.map((hs) => [hs[1]!]);
    checkGradients(
      (m, w, e, a) => write(m as tf.Tensor3D, w as tf.Tensor3D, e as tf.Tensor3D, a as tf.Tensor3D),
      (m: T3, w: T3, e: T3, a: T3) => ref.write(m, w, e, a),
      [memory, pick(ww), pick(erase), pick(add)],
    );
  });

  it('gradients of read w.r.t. memory and weights match finite differences', () => {
    checkGradients(
      (m, w) => read(m as tf.Tensor3D, w as tf.Tensor3D),
      (m: T3, w: T3) => ref.read(m, w),
      [memory, rw],
    );
  });

  it('shape mismatches throw an EngramError naming the argument', () => {
    tf.tidy(() => {
      const m = tf.tensor3d(memory);
      expect(() => write(m, tf.tensor3d(ww), tf.tensor3d(erase), tf.zeros([B, 2, M + 1]) as tf.Tensor3D)).toThrow(EngramError);
      expect(() => write(m, tf.tensor3d(ww), tf.tensor3d(erase), tf.zeros([B, 2, M + 1]) as tf.Tensor3D)).toThrow(/^write\(add\)/);
      expect(() => write(m, tf.zeros([B, 2, N + 1]) as tf.Tensor3D, tf.tensor3d(erase), tf.tensor3d(add))).toThrow(/^write\(weights\)/);
    });
  });
});

/**
 * Sparse weights for B=2, W heads, k=3: indices chosen so that heads overlap (head 0 and 1 share
 * rows 2 and 5 in batch 0, row 0 in batch 1); a third head (when W = 3) shares row 2 with both.
 */
const INDICES: T3 = [
  [
    [2, 5, 0],
    [5, 3, 2],
    [2, 6, 4],
  ],
  [
    [0, 1, 6],
    [4, 0, 3],
    [3, 6, 1],
  ],
];
const k = 3;
const sparseValues = (w: number, seed: number): T3 => softmaxRows(randomT3([B, 3, k], mulberry32(seed), 2)).map((hs) => hs.slice(0, w));

function makeSparse(w: number, values: T3): SparseWeights {
  return {
    indices: tf.tensor3d(
      INDICES.map((hs) => hs.slice(0, w)),
      undefined,
      'int32',
    ),
    values: tf.tensor3d(values),
  };
}

describe('sparse heads equal the dense heads given the densified weights', () => {
  it('sparseToDense puts each value at its index (and sums nothing else)', () => {
    const out = tf.tidy(() =>
      arr<T3>(
        sparseToDense(
          makeSparse(2, [
            [
              [0.5, 0.25, 0.25],
              [0.1, 0.2, 0.7],
            ],
            [
              [1, 0, 0],
              [0.3, 0.3, 0.4],
            ],
          ]),
          N,
        ),
      ),
    );
    expect(out).toEqual(
      mapNested(
        [
          [
            [0.25, 0, 0.5, 0, 0, 0.25, 0],
            [0, 0, 0.7, 0.2, 0, 0.1, 0],
          ],
          [
            [1, 0, 0, 0, 0, 0, 0],
            [0.3, 0, 0, 0.4, 0.3, 0, 0],
          ],
        ],
        Math.fround,
      ),
    );
  });

  it('sparseRead equals read of the densified weights', () => {
    const values = sparseValues(3, 52);
    const out = tf.tidy(() => {
      const sp = makeSparse(3, values);
      const m = tf.tensor3d(memory);
      return { sparse: arr<T3>(sparseRead(m, sp)), dense: arr<T3>(read(m, sparseToDense(sp, N))) };
    });
    expect(maxDiff(out.sparse, out.dense)).toBeLessThan(1e-6);
  });

  for (const w of [1, 2, 3]) {
    it(`sparseWrite equals write of the densified weights (${w} write head${w > 1 ? 's, overlapping top-k sets' : ''})`, () => {
      const values = sparseValues(w, 53 + w);
      const e = erase.map((hs) => [...hs, hs[0]!].slice(0, w));
      const a = add.map((hs) => [...hs, hs[1]!].slice(0, w));
      const out = tf.tidy(() => {
        const sp = makeSparse(w, values);
        const m = tf.tensor3d(memory);
        const dense = sparseToDense(sp, N);
        return {
          sparse: arr<T3>(sparseWrite(m, sp, tf.tensor3d(e), tf.tensor3d(a))),
          dense: arr<T3>(write(m, dense, tf.tensor3d(e), tf.tensor3d(a))),
          denseW: arr<T3>(dense),
        };
      });
      expect(maxDiff(out.sparse, out.dense)).toBeLessThan(1e-6);
      expect(maxDiff(out.sparse, ref.write(memory, out.denseW, e, a))).toBeLessThan(1e-5);
      // rows outside every head's k indices are bit-identical
      const m32 = mapNested(memory, Math.fround);
      let untouched = 0;
      for (let b = 0; b < B; b++) {
        const touched = new Set(INDICES[b]!.slice(0, w).flat());
        for (let i = 0; i < N; i++) {
          if (touched.has(i)) expect(maxDiff(out.sparse[b]![i]!, m32[b]![i]!)).toBeGreaterThan(1e-4);
          else {
            expect(out.sparse[b]![i]).toEqual(m32[b]![i]);
            untouched++;
          }
        }
      }
      expect(untouched).toBeGreaterThan(0);
    });
  }

  it("gradient of sparseRead w.r.t. values and memory equals the dense path's gradient", () => {
    const values = sparseValues(3, 60);
    const proj = randomT3([B, 3, M], mulberry32(61));
    const grads = (sparse: boolean) =>
      tf.tidy(() => {
        const idx = tf.tensor3d(INDICES, undefined, 'int32');
        const p = tf.tensor3d(proj);
        const g = tf.grads((m: tf.Tensor, v: tf.Tensor) => {
          const sp = { indices: idx as tf.Tensor3D, values: v as tf.Tensor3D };
          const out = sparse ? sparseRead(m as tf.Tensor3D, sp) : read(m as tf.Tensor3D, sparseToDense(sp, N));
          return tf.sum(tf.mul(out, p));
        })([tf.tensor3d(memory), tf.tensor3d(values)]);
        return g.map((t) => arr<T3>(t));
      });
    const [sm, sv] = grads(true);
    const [dm, dv] = grads(false);
    expect(relErr(sm!, dm!)).toBeLessThan(1e-6);
    expect(relErr(sv!, dv!)).toBeLessThan(1e-6);
    // sanity: rows never addressed get zero gradient, the gradient is not trivially zero
    expect(sm![1]![5]).toEqual([0, 0, 0]);
    expect(Math.max(...sv!.flat(2).map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it("gradient of sparseWrite w.r.t. values, erase, add and memory equals the dense path's gradient (overlapping heads)", () => {
    const values = sparseValues(3, 62);
    const e = erase.map((hs) => [...hs, hs[0]!]);
    const a = add.map((hs) => [...hs, hs[1]!]);
    const proj = randomT3([B, N, M], mulberry32(63));
    const grads = (sparse: boolean) =>
      tf.tidy(() => {
        const idx = tf.tensor3d(INDICES, undefined, 'int32');
        const p = tf.tensor3d(proj);
        const g = tf.grads((m: tf.Tensor, v: tf.Tensor, ee: tf.Tensor, aa: tf.Tensor) => {
          const sp = { indices: idx as tf.Tensor3D, values: v as tf.Tensor3D };
          const out = sparse
            ? sparseWrite(m as tf.Tensor3D, sp, ee as tf.Tensor3D, aa as tf.Tensor3D)
            : write(m as tf.Tensor3D, sparseToDense(sp, N), ee as tf.Tensor3D, aa as tf.Tensor3D);
          // a non-linear scalar so that the gradient depends on the written values too
          return tf.sum(tf.mul(tf.square(out), p));
        })([tf.tensor3d(memory), tf.tensor3d(values), tf.tensor3d(e), tf.tensor3d(a)]);
        return g.map((t) => arr<T3>(t));
      });
    const s = grads(true);
    const d = grads(false);
    const names = ['memory', 'values', 'erase', 'add'];
    s.forEach((g, i) => {
      expect(Math.max(...(d[i] as T3).flat(2).map(Math.abs)), names[i]).toBeGreaterThan(1e-3);
      expect(relErr(g, d[i] as T3), names[i]).toBeLessThan(1e-5);
    });
  });

  it('shape mismatches throw an EngramError naming the argument', () => {
    tf.tidy(() => {
      const sp = makeSparse(2, sparseValues(2, 64));
      const bad = { indices: sp.indices, values: tf.zeros([B, 2, k + 1]) as tf.Tensor3D };
      expect(() => sparseRead(tf.tensor3d(memory), bad)).toThrow(/^sparseRead\(values\)/);
      expect(() => sparseWrite(tf.tensor3d(memory), sp, tf.tensor3d(erase), tf.zeros([B, 1, M]) as tf.Tensor3D)).toThrow(/^sparseWrite\(add\)/);
    });
  });
});
