/**
 * The sparse (k-row) read and write kernels against the composite sparseRead / sparseWrite:
 * values and gradients to 1e-5 relative, rows shared between heads and repeated within a head,
 * and the property that names them: rows nobody addressed are copied bit for bit, and get
 * the incoming gradient unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sparseRead, sparseWrite, type SparseWeights } from '../src/index.ts';
import { fusedSparseRead, fusedSparseWrite } from '../src/ntm/fused/index.ts';
import { compare, mulberry32, randomNested, randomT3 } from './helpers.ts';

/** Random rows (or the given ones) and positive values for `[B, H, k]`. */
function sparseWeights(B: number, H: number, k: number, N: number, seed: number, rows?: number[][][]): SparseWeights {
  const rng = mulberry32(seed);
  const idx =
    rows ??
    Array.from({ length: B }, () =>
      Array.from({ length: H }, () => {
        const pool = Array.from({ length: N }, (_, i) => i).sort(() => rng() - 0.5);
        return pool.slice(0, k);
      }),
    );
  const values = randomNested<number[][][]>([B, H, k], rng).map((x) => x.map((r) => r.map((v) => 0.5 + 0.45 * v)));
  return { indices: tf.tensor3d(idx, [B, H, k], 'int32'), values: tf.tensor3d(values) };
}

const CASES: [string, number, number, number, number[][][] | undefined][] = [
  ['B=1, H=1, k=1', 1, 1, 1, undefined],
  ['B=3, H=1, k=3', 3, 1, 3, undefined],
  ['B=2, H=2, k=2', 2, 2, 2, undefined],
  // both heads on row 4; head 0 names row 1 twice
  [
    'B=1, H=2, k=3, rows shared and repeated',
    1,
    2,
    3,
    [
      [
        [4, 1, 1],
        [2, 4, 7],
      ],
    ],
  ],
];

describe('fused sparse read equals sparseRead (values and gradients, 1e-5 relative)', () => {
  for (const [name, B, H, k, rows] of CASES) {
    it(name, () => {
      const N = 9;
      const M = 4;
      const w = sparseWeights(B, H, k, N, 10 + B + H + k, rows);
      const memory = tf.tensor3d(randomT3([B, N, M], mulberry32(20 + B)));
      const r = compare(
        (m, v) => fusedSparseRead(m as tf.Tensor3D, { indices: w.indices, values: v as tf.Tensor3D }),
        (m, v) => sparseRead(m as tf.Tensor3D, { indices: w.indices, values: v as tf.Tensor3D }),
        [memory, w.values],
        5,
      );
      expect(r.value).toBeLessThan(1e-5);
      r.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
      tf.dispose([memory, w.indices, w.values]);
    });
  }
});

describe('fused sparse write equals sparseWrite (values and gradients, 1e-5 relative)', () => {
  for (const [name, B, H, k, rows] of CASES) {
    it(name, () => {
      const N = 9;
      const M = 4;
      const rng = mulberry32(30 + B + H);
      const w = sparseWeights(B, H, k, N, 40 + B + H + k, rows);
      const inputs = [
        tf.tensor3d(randomT3([B, N, M], rng)),
        w.values,
        tf.tensor3d(randomT3([B, H, M], rng).map((x) => x.map((r) => r.map((v) => 0.5 + 0.45 * v)))),
        tf.tensor3d(randomT3([B, H, M], rng)),
      ];
      const call = (f: typeof sparseWrite) => (m: tf.Tensor, v: tf.Tensor, e: tf.Tensor, a: tf.Tensor) =>
        f(m as tf.Tensor3D, { indices: w.indices, values: v as tf.Tensor3D }, e as tf.Tensor3D, a as tf.Tensor3D);
      const r = compare(call(fusedSparseWrite) as never, call(sparseWrite) as never, inputs, 6);
      expect(r.value).toBeLessThan(1e-5);
      r.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
      tf.dispose([...inputs, w.indices]);
    });
  }
});

describe('sparse writes touch only the addressed rows', () => {
  it('unaddressed rows are copied exactly and pass their gradient through unchanged', () => {
    const [B, H, k, N, M] = [2, 1, 2, 64, 3];
    const rows = [[[5, 40]], [[0, 63]]];
    const w = sparseWeights(B, H, k, N, 3, rows);
    const memory = tf.tensor3d(randomT3([B, N, M], mulberry32(4)));
    const erase = tf.fill([B, H, M], 0.5) as tf.Tensor3D;
    const add = tf.fill([B, H, M], 2) as tf.Tensor3D;
    const out = fusedSparseWrite(memory, w, erase, add);
    const before = memory.arraySync();
    const after = out.arraySync();
    const dy = tf.tensor3d(randomT3([B, N, M], mulberry32(5)));
    const dMemory = tf
      .grad((m: tf.Tensor) => tf.sum(tf.mul(fusedSparseWrite(m as tf.Tensor3D, w, erase, add), dy)))(memory)
      .arraySync() as number[][][];
    const dyv = dy.arraySync();
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        const addressed = rows[b]![0]!.includes(i);
        expect(
          after[b]![i]!.every((v, j) => v === before[b]![i]![j]),
          `row ${b},${i} unchanged`,
        ).toBe(!addressed);
        if (!addressed) expect(dMemory[b]![i]).toEqual(dyv[b]![i]);
      }
    }
    tf.dispose([memory, erase, add, out, dy, w.indices, w.values]);
  });
});
