/**
 * Similarities (score functions) against the float64 reference, their independence of N, and
 * the cosine's behaviour on all-zero vectors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError, Rng } from '@engram/tensor';
import { additive, bilinear, cosine, dot, makeSimilarity, scaledDot, SIMILARITIES, type ScoreFn } from '../src/index.ts';
import * as ref from './reference/ntm64.ts';
import { allFinite, arr, checkGradients, maxDiff, mulberry32, randomT3, type Mat, type T3 } from './helpers.ts';

const B = 2;
const H = 3;
const N = 7;
const M = 5;
const rng = mulberry32(11);
const memory = randomT3([B, N, M], rng);
const keys = randomT3([B, H, M], rng);

/** Runs a tfjs score function on nested arrays: memory [B][N][M], keys [B][H][M] -> [B][H][N]. */
function scoreTf(score: ScoreFn, mem: T3, k: T3): T3 {
  return tf.tidy(() => arr<T3>(score(tf.tensor3d(mem), tf.tensor3d(k))));
}

/** The learned similarities with their variables read into reference score functions. */
function learned(): { name: string; score: ScoreFn; refScore: ref.ScoreFn; dispose: () => void }[] {
  const bi = bilinear(M, new Rng(3));
  const w = arr<Mat>(bi.variables[0] as tf.Variable);
  const ad = additive(M, 4, new Rng(4));
  const [wq, wk, v] = ad.variables.map((x) => x.arraySync()) as [Mat, Mat, Mat];
  return [
    { name: 'bilinear', score: bi.score, refScore: (m, k) => ref.bilinearScores(m, k, w), dispose: () => tf.dispose([...bi.variables]) },
    {
      name: 'additive',
      score: ad.score,
      refScore: (m, k) =>
        ref.additiveScores(
          m,
          k,
          wq,
          wk,
          v.map((r) => r[0] as number),
        ),
      dispose: () => tf.dispose([...ad.variables]),
    },
  ];
}

const fixed: { name: string; score: ScoreFn; refScore: ref.ScoreFn }[] = [
  { name: 'cosine', score: cosine, refScore: (m, k) => ref.cosineScores(m, k) },
  { name: 'dot', score: dot, refScore: ref.dotScores },
  { name: 'scaledDot', score: scaledDot, refScore: ref.scaledDotScores },
];

describe('similarities vs the float64 reference', () => {
  for (const s of fixed) {
    it(`${s.name} equals the reference on random inputs (B=2, H=3, N=7, M=5)`, () => {
      const out = scoreTf(s.score, memory, keys);
      expect(maxDiff(out, s.refScore(memory, keys))).toBeLessThan(1e-5);
    });
  }

  it('bilinear and additive equal the reference given their variables', () => {
    for (const s of learned()) {
      const out = scoreTf(s.score, memory, keys);
      const expected = s.refScore(memory, keys);
      // the learned weights must matter: the scores differ from plain dot products
      expect(maxDiff(expected, ref.dotScores(memory, keys)), s.name).toBeGreaterThan(1e-2);
      expect(maxDiff(out, expected), s.name).toBeLessThan(1e-5);
      s.dispose();
    }
  });

  it('the variables are trainable and shaped [K,K] (bilinear) and [K,A],[K,A],[A,1] (additive)', () => {
    const bi = makeSimilarity('bilinear', M, new Rng(1));
    const ad = makeSimilarity('additive', M, new Rng(1), 6);
    expect(bi.variables.map((v) => v.shape)).toEqual([[M, M]]);
    expect(ad.variables.map((v) => v.shape)).toEqual([
      [M, 6],
      [M, 6],
      [6, 1],
    ]);
    expect([...bi.variables, ...ad.variables].every((v) => v.trainable)).toBe(true);
    for (const name of ['cosine', 'dot', 'scaledDot'] as const) expect(makeSimilarity(name, M, new Rng(1)).variables).toHaveLength(0);
    tf.dispose([...bi.variables, ...ad.variables]);
  });

  it('gradients w.r.t. memory and keys match finite differences of the reference', () => {
    for (const s of [...fixed, ...learned()]) {
      checkGradients(
        (m, k) => s.score(m as tf.Tensor3D, k as tf.Tensor3D),
        (m: T3, k: T3) => s.refScore(m, k),
        [memory, keys],
      );
      if ('dispose' in s) (s as { dispose: () => void }).dispose();
    }
  });

  it('makeSimilarity knows every listed name and rejects others with an EngramError naming the field', () => {
    for (const name of SIMILARITIES) {
      const s = makeSimilarity(name, M, new Rng(0));
      expect(s.name).toBe(name);
      tf.dispose([...s.variables]);
    }
    expect(() => makeSimilarity('euclid' as never, M, new Rng(0))).toThrow(EngramError);
    expect(() => makeSimilarity('euclid' as never, M, new Rng(0))).toThrow(/^similarity: unknown similarity 'euclid'/);
  });
});

describe("a key's score does not depend on N", () => {
  const extra = randomT3([B, 4, M], mulberry32(12), 3);
  const grown = memory.map((rows, b) => [...rows, ...(extra[b] as number[][])]);

  for (const name of SIMILARITIES) {
    it(`${name}: adding rows leaves the scores of the original rows unchanged`, () => {
      const s = makeSimilarity(name, M, new Rng(5));
      const before = scoreTf(s.score, memory, keys);
      const after = scoreTf(s.score, grown, keys);
      expect(after[0]?.[0]).toHaveLength(N + 4);
      const firstN = after.map((hs) => hs.map((row) => row.slice(0, N)));
      expect(maxDiff(firstN, before)).toBeLessThan(1e-6);
      tf.dispose([...s.variables]);
    });
  }
});

describe('cosine on all-zero vectors', () => {
  it('all-zero memory and key give finite scores (0) and finite gradients', () => {
    const zm = tf.zeros([1, 4, 3]) as tf.Tensor3D;
    const zk = tf.zeros([1, 2, 3]) as tf.Tensor3D;
    const out = cosine(zm, zk);
    expect(arr(out)).toEqual([
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    ]);
    const [gm, gk] = tf.grads((m: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(cosine(m as tf.Tensor3D, k as tf.Tensor3D), tf.range(1, 9).reshape([1, 2, 4]))))([
      zm,
      zk,
    ]);
    expect(allFinite(gm as tf.Tensor)).toBe(true);
    expect(allFinite(gk as tf.Tensor)).toBe(true);
    tf.dispose([zm, zk, out, gm as tf.Tensor, gk as tf.Tensor]);
  });

  it('a zero key against non-zero memory (and vice versa) is finite, with a finite, non-zero gradient', () => {
    const m = tf.tensor3d(memory);
    const zk = tf.zeros([B, H, M]) as tf.Tensor3D;
    const g = tf.grad((k: tf.Tensor) => tf.sum(tf.square(cosine(m, k as tf.Tensor3D))) as tf.Scalar)(zk);
    const g1 = tf.grad((k: tf.Tensor) => tf.sum(cosine(m, k as tf.Tensor3D)) as tf.Scalar)(zk);
    expect(allFinite(g)).toBe(true);
    expect(allFinite(g1)).toBe(true);
    // d/dk of sum_n m_n.k / (|m_n|_δ sqrt(ε)) at k = 0 is sum_n m_n / (|m_n|_δ 1e-4): large but finite
    const expected = memory.map((rows) =>
      Array.from({ length: H }, () =>
        rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]! / (Math.sqrt(ref.dot(r, r) + ref.ROW_NORM_FLOOR ** 2) * Math.sqrt(ref.KEY_NORM_EPSILON)), 0)),
      ),
    );
    expect(maxDiff(g1, expected) / Math.max(...expected.flat(2).map(Math.abs))).toBeLessThan(1e-4);
    tf.dispose([m, zk, g, g1]);
  });
});
