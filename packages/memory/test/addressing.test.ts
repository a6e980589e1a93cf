/**
 * NTM addressing: hand-computed cases, the float64 reference, the pytorch-ntm fixture,
 * finite-difference gradients and invariants.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError } from '@engram/tensor';
import { contentWeights, interpolate, ntmAddress, sharpen, shift, sparsemax } from '../src/index.ts';
import * as ref from './reference/ntm64.ts';
import { arr, checkGradients, mapNested, maxDiff, mulberry32, randomMat, randomT3, softmaxRows, type Mat, type T3 } from './helpers.ts';

const oneHot = (n: number, i: number): number[] => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));

function shiftTf(w: T3, d: T3): T3 {
  return tf.tidy(() => arr<T3>(shift(tf.tensor3d(w), tf.tensor3d(d))));
}

describe('hand-computed cases', () => {
  it('a one-hot shift of +1 moves slot 2 to 3 and wraps N-1 to 0', () => {
    const plusOne: T3 = [[[0, 0, 1]], [[0, 0, 1]]]; // shifts -1, 0, +1
    expect(shiftTf([[oneHot(5, 2)], [oneHot(5, 4)]], plusOne)).toEqual([[oneHot(5, 3)], [oneHot(5, 0)]]);
  });

  it('a one-hot shift of -1 moves slot 0 to N-1; S=2 shifts by +2 and -2', () => {
    expect(shiftTf([[oneHot(5, 0)]], [[[1, 0, 0]]])).toEqual([[oneHot(5, 4)]]);
    expect(
      shiftTf(
        [[oneHot(7, 6), oneHot(7, 1)]],
        [
          [
            [0, 0, 0, 0, 1],
            [1, 0, 0, 0, 0],
          ],
        ],
      ),
    ).toEqual([[oneHot(7, 1), oneHot(7, 6)]]);
  });

  it('shift by 0 is the identity, exactly', () => {
    const w = softmaxRows(randomT3([2, 3, 6], mulberry32(40), 2));
    const zero = w.map((hs) => hs.map(() => [0, 1, 0]));
    const out = shiftTf(w, zero);
    expect(out).toEqual(mapNested(w, Math.fround)); // bit-identical to the float32 input
  });

  it('a split shift spreads the mass: 0.25 left, 0.75 right of slot 1', () => {
    expect(shiftTf([[oneHot(4, 1)]], [[[0.25, 0, 0.75]]])).toEqual([[[0.25, 0, 0.75, 0]]]);
  });

  it('sharpen with gamma 1 is the identity to 1e-6; gamma 2 squares and renormalises', () => {
    const w: T3 = [
      [
        [0.1, 0.2, 0.3, 0.4],
        [0.5, 0.5, 0, 0],
      ],
    ];
    const id = tf.tidy(() => arr<T3>(sharpen(tf.tensor3d(w), tf.tensor2d([[1, 1]]))));
    expect(maxDiff(id, w)).toBeLessThan(1e-6);
    const sq = tf.tidy(() => arr<T3>(sharpen(tf.tensor3d(w), tf.tensor2d([[2, 2]]))));
    expect(
      maxDiff(sq, [
        [
          [0.01 / 0.3, 0.04 / 0.3, 0.09 / 0.3, 0.16 / 0.3],
          [0.5, 0.5, 0, 0],
        ],
      ]),
    ).toBeLessThan(1e-6);
  });

  it('interpolate with gate 1 gives the content weights, with gate 0 the previous weights', () => {
    const rng = mulberry32(41);
    const content = softmaxRows(randomT3([2, 2, 5], rng));
    const prev = softmaxRows(randomT3([2, 2, 5], rng));
    const run = (g: Mat) => tf.tidy(() => arr<T3>(interpolate(tf.tensor3d(content), tf.tensor3d(prev), tf.tensor2d(g))));
    expect(
      maxDiff(
        run([
          [1, 1],
          [1, 1],
        ]),
        content,
      ),
    ).toBeLessThan(1e-7);
    expect(
      run([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual(mapNested(prev, Math.fround));
    // mixed: head 0 takes content, head 1 keeps prev
    const mixed = run([
      [1, 0],
      [0, 1],
    ]);
    expect(maxDiff(mixed[0]![0]!, content[0]![0]!)).toBeLessThan(1e-7);
    expect(mixed[0]![1]).toEqual(prev[0]![1]!.map(Math.fround));
  });

  it('content addressing favours the row most similar to the key', () => {
    const memory: T3 = [
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 0],
      ],
    ];
    const w = tf.tidy(() => arr<T3>(contentWeights(tf.tensor3d(memory), tf.tensor3d([[[0, 0.1, 2]]]), tf.tensor2d([[20]]))));
    const row = w[0]![0]!;
    expect(row.indexOf(Math.max(...row))).toBe(2);
    expect(row[2]).toBeGreaterThan(0.99);
  });
});

// random inputs for the reference comparisons and gradient checks
const B = 2;
const H = 2;
const N = 6;
const M = 4;
const rng = mulberry32(42);
const memory = randomT3([B, N, M], rng);
const key = randomT3([B, H, M], rng);
const beta = randomMat(B, H, rng, (x) => 2 + 1.5 * x);
const gate = randomMat(B, H, rng, (x) => ref.sigmoid(2 * x));
const shiftDist = softmaxRows(randomT3([B, H, 3], rng, 2));
const gamma = randomMat(B, H, rng, (x) => 1 + ref.softplus(x));
const prev = softmaxRows(randomT3([B, H, N], rng, 2));

const T = {
  m: () => tf.tensor3d(memory),
  k: () => tf.tensor3d(key),
  beta: () => tf.tensor2d(beta),
  gate: () => tf.tensor2d(gate),
  s: () => tf.tensor3d(shiftDist),
  gamma: () => tf.tensor2d(gamma),
  prev: () => tf.tensor3d(prev),
};

describe('every stage vs the float64 reference', () => {
  it('contentWeights', () => {
    const out = tf.tidy(() => arr<T3>(contentWeights(T.m(), T.k(), T.beta())));
    expect(maxDiff(out, ref.contentWeights(memory, key, beta))).toBeLessThan(1e-5);
  });

  it('contentWeights with sparsemax is sparsemax(beta * cosine), with exact zeros', () => {
    const out = tf.tidy(() => arr<T3>(contentWeights(T.m(), T.k(), tf.tensor2d(beta.map((r) => r.map((x) => 3 * x))), undefined, sparsemax)));
    const scores = ref.cosineScores(memory, key).map((hs, b) => hs.map((row, h) => row.map((x) => 3 * beta[b]![h]! * x)));
    const expected = ref.sparsemax(scores);
    expect(maxDiff(out, expected)).toBeLessThan(1e-5);
    expect(out.flat(2).filter((x) => x === 0).length).toBe(expected.flat(2).filter((x) => x === 0).length);
    expect(out.flat(2).filter((x) => x === 0).length).toBeGreaterThan(0);
  });

  it('interpolate, shift, sharpen', () => {
    const content = ref.contentWeights(memory, key, beta);
    const gated = ref.interpolate(content, prev, gate);
    const shifted = ref.shift(gated, shiftDist);
    const out = tf.tidy(() => ({
      gated: arr<T3>(interpolate(tf.tensor3d(content), T.prev(), T.gate())),
      shifted: arr<T3>(shift(tf.tensor3d(gated), T.s())),
      sharp: arr<T3>(sharpen(tf.tensor3d(shifted), T.gamma())),
    }));
    expect(maxDiff(out.gated, gated)).toBeLessThan(1e-6);
    expect(maxDiff(out.shifted, shifted)).toBeLessThan(1e-6);
    expect(maxDiff(out.sharp, ref.sharpen(shifted, gamma))).toBeLessThan(1e-5);
  });

  it('ntmAddress, also with S = 2', () => {
    const out = tf.tidy(() => arr<T3>(ntmAddress(T.m(), T.k(), T.beta(), T.gate(), T.s(), T.gamma(), T.prev())));
    expect(maxDiff(out, ref.ntmAddress(memory, key, beta, gate, shiftDist, gamma, prev))).toBeLessThan(1e-5);
    const s2 = softmaxRows(randomT3([B, H, 5], mulberry32(43), 2));
    const out2 = tf.tidy(() => arr<T3>(ntmAddress(T.m(), T.k(), T.beta(), T.gate(), tf.tensor3d(s2), T.gamma(), T.prev())));
    expect(maxDiff(out2, ref.ntmAddress(memory, key, beta, gate, s2, gamma, prev))).toBeLessThan(1e-5);
  });
});

interface Fixture {
  inputs: { memory: T3; key: T3; beta: Mat; gate: Mat; shiftDist: T3; shiftDistPytorchOrder: T3; gamma: Mat; prev: T3 };
  intermediates: { content: T3; interpolated: T3; shifted: T3 };
  expected: T3;
}

describe('ntmAddress vs the pytorch-ntm fixture', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/pytorch_ntm_address.json', import.meta.url), 'utf8')) as Fixture;
  const i = fx.inputs;
  const run = (d: T3) =>
    tf.tidy(() =>
      arr<T3>(
        ntmAddress(
          tf.tensor3d(i.memory),
          tf.tensor3d(i.key),
          tf.tensor2d(i.beta),
          tf.tensor2d(i.gate),
          tf.tensor3d(d),
          tf.tensor2d(i.gamma),
          tf.tensor3d(i.prev),
        ),
      ),
    );

  it('matches the expected weights to 1e-5', () => {
    expect(maxDiff(run(i.shiftDist), fx.expected)).toBeLessThan(1e-5);
  });

  // The content weights differ by 1.5e-5 (measured): ROW_NORM_FLOOR in the cosine's row norms,
  // which pytorch-ntm does not have; the float64 oracle's test pins the rest to 1e-12 with the floors at 0.
  it('matches the intermediates (content, interpolated, shifted) to 3e-5', () => {
    const out = tf.tidy(() => {
      const c = contentWeights(tf.tensor3d(i.memory), tf.tensor3d(i.key), tf.tensor2d(i.beta));
      const g = interpolate(c, tf.tensor3d(i.prev), tf.tensor2d(i.gate));
      return { c: arr<T3>(c), g: arr<T3>(g), s: arr<T3>(shift(g, tf.tensor3d(i.shiftDist))) };
    });
    expect(maxDiff(out.c, fx.intermediates.content)).toBeLessThan(3e-5);
    expect(maxDiff(out.g, fx.intermediates.interpolated)).toBeLessThan(3e-5);
    expect(maxDiff(out.s, fx.intermediates.shifted)).toBeLessThan(3e-5);
  });

  it("the shift order matters: pytorch-ntm's (+1, 0, -1) order gives a different answer", () => {
    expect(maxDiff(run(i.shiftDistPytorchOrder), fx.expected)).toBeGreaterThan(1e-3);
  });
});

describe('gradients of ntmAddress', () => {
  it('w.r.t. memory, key, beta, gate, shiftDist, gamma and prev match finite differences of the reference', () => {
    const errs = checkGradients(
      (m, k, b, g, s, ga, p) =>
        ntmAddress(m as tf.Tensor3D, k as tf.Tensor3D, b as tf.Tensor2D, g as tf.Tensor2D, s as tf.Tensor3D, ga as tf.Tensor2D, p as tf.Tensor3D),
      (m: T3, k: T3, b: Mat, g: Mat, s: T3, ga: Mat, p: T3) => ref.ntmAddress(m, k, b, g, s, ga, p),
      [memory, key, beta, gate, shiftDist, gamma, prev] as [T3, T3, Mat, Mat, T3, Mat, T3],
    );
    expect(errs).toHaveLength(7);
  });

  it('of each stage on its own (contentWeights, interpolate, shift, sharpen)', () => {
    checkGradients(
      (m, k, b) => contentWeights(m as tf.Tensor3D, k as tf.Tensor3D, b as tf.Tensor2D),
      (m: T3, k: T3, b: Mat) => ref.contentWeights(m, k, b),
      [memory, key, beta] as [T3, T3, Mat],
    );
    const content = ref.contentWeights(memory, key, beta);
    checkGradients(
      (c, p, g) => interpolate(c as tf.Tensor3D, p as tf.Tensor3D, g as tf.Tensor2D),
      (c: T3, p: T3, g: Mat) => ref.interpolate(c, p, g),
      [content, prev, gate] as [T3, T3, Mat],
    );
    checkGradients(
      (w, s) => shift(w as tf.Tensor3D, s as tf.Tensor3D),
      (w: T3, s: T3) => ref.shift(w, s),
      [prev, shiftDist],
    );
    checkGradients(
      (w, g) => sharpen(w as tf.Tensor3D, g as tf.Tensor2D),
      (w: T3, g: Mat) => ref.sharpen(w, g),
      [prev, gamma] as [T3, Mat],
    );
  });
});

describe('invariants on random inputs', () => {
  it('weights are >= 0 and sum to 1 on every head, for every seed', () => {
    for (let seed = 0; seed < 5; seed++) {
      const r = mulberry32(100 + seed);
      const n = 5 + seed;
      const w = tf.tidy(() =>
        arr<T3>(
          ntmAddress(
            tf.tensor3d(randomT3([3, n, 4], r, 3)),
            tf.tensor3d(randomT3([3, 2, 4], r)),
            tf.tensor2d(randomMat(3, 2, r, (x) => 10 * (x + 1))),
            tf.tensor2d(randomMat(3, 2, r, (x) => (x + 1) / 2)),
            tf.tensor3d(softmaxRows(randomT3([3, 2, 3], r, 3))),
            tf.tensor2d(randomMat(3, 2, r, (x) => 1 + 10 * (x + 1))),
            tf.tensor3d(softmaxRows(randomT3([3, 2, n], r, 3))),
          ),
        ),
      );
      for (const row of w.flat()) {
        expect(row).toHaveLength(n);
        for (const x of row) expect(x).toBeGreaterThanOrEqual(0);
        expect(Math.abs(row.reduce((a, x) => a + x, 0) - 1)).toBeLessThan(1e-5);
      }
    }
  });
});

describe('sharpen with a large gamma', () => {
  // float32 underflow: (1/128)^gamma is below 1e-45 for gamma > ~21, so a naive power-then-normalise
  // gives 0/0 on the uniform weighting every MemoryAccess starts from (N = 128, the copy-task size).
  const N128 = 128;
  const uniform: T3 = [[Array.from({ length: N128 }, () => 1 / N128), softmaxRows(randomT3([1, 1, N128], mulberry32(44), 0.5))[0]![0]!]];
  const gammas: Mat = [[25, 60]];

  it('stays finite and equals the reference on diffuse weightings (N = 128, gamma 25 and 60)', () => {
    const out = tf.tidy(() => arr<T3>(sharpen(tf.tensor3d(uniform), tf.tensor2d(gammas))));
    expect(out.flat(2).every(Number.isFinite)).toBe(true);
    expect(maxDiff(out, ref.sharpen(uniform, gammas))).toBeLessThan(1e-5);
  });

  it('has finite gradients there, matching finite differences of the reference', () => {
    const small: T3 = [[uniform[0]![1]!.slice(0, 40).map((x) => x * 3)]];
    checkGradients(
      (w, g) => sharpen(w as tf.Tensor3D, g as tf.Tensor2D),
      (w: T3, g: Mat) => ref.sharpen(w, g),
      [small, [[30]]] as [T3, Mat],
      { tol: 2e-3 },
    );
  });
});

describe('shift distribution validation', () => {
  const w = () => tf.tensor3d([[oneHot(4, 0)]]);

  it('2S+1 > N throws an EngramError naming shift(shiftDist)', () => {
    tf.tidy(() => {
      expect(() => shift(w(), tf.tensor3d([[[0.2, 0.2, 0.2, 0.2, 0.2]]]))).toThrow(EngramError);
      expect(() => shift(w(), tf.tensor3d([[[0.2, 0.2, 0.2, 0.2, 0.2]]]))).toThrow(/^shift\(shiftDist\): .*at most N=4/);
    });
  });

  it('an even length throws an EngramError', () => {
    tf.tidy(() => {
      expect(() => shift(w(), tf.tensor3d([[[0.5, 0.5]]]))).toThrow(EngramError);
      expect(() => shift(w(), tf.tensor3d([[[0.5, 0.5]]]))).toThrow(/must be odd/);
      expect(() => ntmAddress(T.m(), T.k(), T.beta(), T.gate(), tf.tensor3d(key), T.gamma(), T.prev())).toThrow(EngramError);
    });
  });

  it('2S+1 = N is allowed (every shift) and a single-slot shift (S=0) is the identity', () => {
    const out = shiftTf([[oneHot(3, 0)]], [[[0.2, 0.3, 0.5]]]);
    expect(maxDiff(out, [[[0.3, 0.5, 0.2]]])).toBeLessThan(1e-7);
    expect(shiftTf([[[0.1, 0.9, 0]]], [[[1]]])).toEqual([[[0.1, 0.9, 0].map(Math.fround)]]);
  });

  it('shape mismatches between arguments throw, naming the argument', () => {
    tf.tidy(() => {
      expect(() => interpolate(T.prev(), T.prev(), tf.zeros([B, H + 1]) as tf.Tensor2D)).toThrow(/^interpolate\(gate\)/);
      expect(() => sharpen(T.prev(), tf.zeros([B + 1, H]) as tf.Tensor2D)).toThrow(/^sharpen\(gamma\)/);
    });
  });
});
