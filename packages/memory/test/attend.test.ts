/**
 * Attention on a hand-made key-value memory, and the general invariants of attend.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError } from '@engram/tensor';
import { attend, attentionWeights, dot, hardmax, sparsemax, weightedSum } from '../src/index.ts';
import * as ref from './reference/ntm64.ts';
import { arr, checkGradients, maxDiff, mulberry32, randomMat, randomT3, type Mat, type T3 } from './helpers.ts';

// Four keys, one-hot-ish (distinct directions), and four values unrelated to the keys.
const KEYS = [
  [1, 0.1, 0, 0],
  [0, 1, 0.1, 0],
  [0, 0, 1, 0.1],
  [0.1, 0, 0, 1],
];
const VALUES = [
  [3, -1, 0.5],
  [-2, 4, 1],
  [0.25, 0.5, -6],
  [7, 7, 7],
];

/** Runs attend on nested arrays with batch 1; queries [H][K]. */
function run(queries: number[][], options: Parameters<typeof attend>[3] = {}): { output: number[][]; weights: number[][] } {
  return tf.tidy(() => {
    const { output, weights } = attend(tf.tensor3d([queries]), tf.tensor3d([KEYS]), tf.tensor3d([VALUES]), options);
    return { output: arr<T3>(output)[0] as number[][], weights: arr<T3>(weights)[0] as number[][] };
  });
}

describe('attend on a hand-made key-value memory', () => {
  // queries that are noisy copies of keys 2 and 0
  const queries = [
    [0.05, -0.02, 0.9, 0.12],
    [1.1, 0.05, 0.02, -0.03],
  ];

  it('with a large strength and softmax the output is (almost) the value whose key matches', () => {
    const strength = tf.tensor2d([[60, 60]]);
    const { output, weights } = run(queries, { strength });
    expect(weights[0]?.[2]).toBeGreaterThan(0.999);
    expect(weights[1]?.[0]).toBeGreaterThan(0.999);
    expect(maxDiff(output, [VALUES[2]!, VALUES[0]!])).toBeLessThan(1e-4);
    strength.dispose();
  });

  it('a small strength blurs the read: the output is far from the matching value', () => {
    const strength = tf.tensor2d([[1, 1]]);
    const { output } = run(queries, { strength });
    expect(maxDiff(output, [VALUES[2]!, VALUES[0]!])).toBeGreaterThan(1);
    strength.dispose();
  });

  it('with the hard normaliser the output is exactly the matching value', () => {
    const { output, weights } = run(queries, { normalize: hardmax });
    expect(weights).toEqual([
      [0, 0, 1, 0],
      [1, 0, 0, 0],
    ]);
    expect(output).toEqual([VALUES[2], VALUES[0]]);
  });

  it('keys and values play different roles: attending with a value as query does not return it', () => {
    // VALUES[3] = [7,7,7] is not a key; querying with key 1 returns VALUES[1], not a key
    const { output } = run([[0, 1, 0.1, 0]], { normalize: hardmax });
    expect(output).toEqual([VALUES[1]]);
  });

  it('weights are >= 0 and sum to 1, output = weights . values', () => {
    for (const normalize of [undefined, sparsemax]) {
      const { output, weights } = run(queries, normalize ? { normalize, strength: tf.tensor2d([[5, 5]]) } : {});
      for (const row of weights) {
        for (const w of row) expect(w).toBeGreaterThanOrEqual(0);
        expect(Math.abs(row.reduce((s, w) => s + w, 0) - 1)).toBeLessThan(1e-6);
      }
      const expected = weights.map((w) => VALUES[0]!.map((_, j) => w.reduce((s, wi, i) => s + wi * VALUES[i]![j]!, 0)));
      expect(maxDiff(output, expected)).toBeLessThan(1e-6);
    }
  });
});

describe('attend on random inputs', () => {
  const rng = mulberry32(31);
  const B = 2;
  const H = 3;
  const N = 6;
  const K = 4;
  const V = 5;
  const q = randomT3([B, H, K], rng);
  const k = randomT3([B, N, K], rng);
  const v = randomT3([B, N, V], rng);
  const beta = randomMat(B, H, rng, (x) => 3 + 2 * x);

  it('weights equal the reference content weights (cosine, softmax, strength) and the output their average of values', () => {
    const { output, weights } = tf.tidy(() => {
      const r = attend(tf.tensor3d(q), tf.tensor3d(k), tf.tensor3d(v), { strength: tf.tensor2d(beta) });
      return { output: arr<T3>(r.output), weights: arr<T3>(r.weights) };
    });
    const expectedW = ref.contentWeights(k, q, beta);
    expect(maxDiff(weights, expectedW)).toBeLessThan(1e-6);
    expect(maxDiff(output, ref.read(v, expectedW))).toBeLessThan(1e-5);
  });

  it('a custom score function is used (dot product, no strength)', () => {
    const w = tf.tidy(() => arr<T3>(attentionWeights(tf.tensor3d(q), tf.tensor3d(k), { score: dot })));
    expect(maxDiff(w, ref.softmax(ref.dotScores(k, q)))).toBeLessThan(1e-6);
  });

  it('gradients w.r.t. query, keys, values and strength match finite differences of the reference', () => {
    checkGradients(
      (qq, kk, vv, bb) => attend(qq as tf.Tensor3D, kk as tf.Tensor3D, vv as tf.Tensor3D, { strength: bb as tf.Tensor2D }).output,
      (qq: T3, kk: T3, vv: T3, bb: Mat) => ref.read(vv, ref.contentWeights(kk, qq, bb)),
      [q, k, v, beta] as [T3, T3, T3, Mat],
    );
  });

  it('weightedSum is a batched weights . values product', () => {
    const w = ref.softmax(randomT3([B, H, N], rng));
    const out = tf.tidy(() => arr<T3>(weightedSum(tf.tensor3d(v), tf.tensor3d(w))));
    expect(maxDiff(out, ref.read(v, w))).toBeLessThan(1e-6);
  });

  it('shape mismatches throw an EngramError naming the function and argument', () => {
    tf.tidy(() => {
      const qt = tf.tensor3d(q);
      const kt = tf.tensor3d(k);
      expect(() => attend(qt, kt, tf.zeros([B, N + 1, V]) as tf.Tensor3D)).toThrow(EngramError);
      expect(() => attend(qt, kt, tf.zeros([B, N + 1, V]) as tf.Tensor3D)).toThrow(/^attend\(values\)/);
      expect(() => attentionWeights(tf.zeros([B, H, K + 1]) as tf.Tensor3D, kt)).toThrow(/^attentionWeights\(keys\): dimension K/);
      expect(() => attentionWeights(qt, kt, { strength: tf.zeros([B, H + 1]) as tf.Tensor2D })).toThrow(/^attentionWeights\(strength\)/);
      expect(() => weightedSum(tf.zeros([B, N]) as unknown as tf.Tensor3D, tf.zeros([B, H, N]) as tf.Tensor3D)).toThrow(/^weightedSum\(values\)/);
    });
  });
});
