/**
 * Tests of the float64 reference itself, so that it can be trusted as the oracle for the tfjs code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EPSILON,
  accessStep,
  additiveScores,
  bilinearScores,
  contentWeights,
  controlLength,
  cosineScores,
  dotScores,
  interpolate,
  ntmAddress,
  read,
  scaledDotScores,
  sharpen,
  shift,
  sigmoid,
  softmax,
  softplus,
  sparsemax,
  write,
  type AccessParams,
  type AccessState,
  type Mat,
  type T3,
} from './reference/ntm64.ts';
import { centralDifference, flatten, maxAbsDiff, mulberry32, numericGradient, randomNested, unflatten } from './reference/finiteDiff.ts';

interface PytorchNtmFixture {
  note: string;
  cosineSemanticsDiff: number;
  inputs: {
    memory: T3;
    key: T3;
    beta: Mat;
    gate: Mat;
    shiftDist: T3;
    shiftDistPytorchOrder: T3;
    gamma: Mat;
    prev: T3;
  };
  intermediates: { content: T3; interpolated: T3; shifted: T3 };
  expected: T3;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/pytorch_ntm_address.json', import.meta.url), 'utf8')) as PytorchNtmFixture;

/** Sums over the last axis of [B][H][N]. */
const sums = (w: T3): number[] => w.flat().map((v) => v.reduce((s, x) => s + x, 0));

/** A one-hot [1][1][n] weighting at slot i. */
const oneHot = (n: number, i: number): T3 => [[Array.from({ length: n }, (_, j) => (j === i ? 1 : 0))]];

describe('ntm64 primitives', () => {
  it('sparsemax projects [1, 0.5, -1] to [0.75, 0.25, 0]', () => {
    const out = sparsemax([1, 0.5, -1]);
    expect(maxAbsDiff(out, [0.75, 0.25, 0])).toBeLessThan(1e-15);
    expect(
      maxAbsDiff(
        sparsemax([
          [1, 0.5, -1],
          [3, 0, 0],
        ]),
        [
          [0.75, 0.25, 0],
          [1, 0, 0],
        ],
      ),
    ).toBeLessThan(1e-15);
  });

  it('softmax is max-subtracted and sums to 1', () => {
    const out = softmax([[1000, 1000, 0]]);
    expect(maxAbsDiff(out, [[0.5, 0.5, 0]])).toBeLessThan(1e-15);
  });

  it('shift one-hot on +1 moves slot 2 to slot 3 and wraps N-1 to 0', () => {
    const plusOne: T3 = [[[0, 0, 1]]]; // ordered s = -1, 0, +1
    expect(shift(oneHot(5, 2), plusOne)).toEqual(oneHot(5, 3));
    expect(shift(oneHot(5, 4), plusOne)).toEqual(oneHot(5, 0));
    expect(shift(oneHot(5, 2), [[[1, 0, 0]]])).toEqual(oneHot(5, 1));
    expect(shift(oneHot(5, 0), [[[0, 0, 0, 0, 1]]])).toEqual(oneHot(5, 2)); // S = 2, s = +2
  });

  it('write with one-hot weight, full erase and add [5, 6] replaces only that row', () => {
    const memory: T3 = [
      [
        [1, 2],
        [3, 4],
        [7, 8],
      ],
    ];
    const out = write(memory, [[[0, 1, 0]]], [[[1, 1]]], [[[5, 6]]]);
    expect(out).toEqual([
      [
        [1, 2],
        [5, 6],
        [7, 8],
      ],
    ]);
  });

  it('write composes multiple heads multiplicatively (erase) and additively (add)', () => {
    const out = write([[[2]]], [[[0.5], [1]]], [[[1], [0.5]]], [[[1], [3]]]);
    // 2 * (1 - 0.5) * (1 - 0.5) + 0.5 * 1 + 1 * 3
    expect(out[0]![0]![0]).toBeCloseTo(4, 15);
  });

  it('read is the weighted sum of rows', () => {
    expect(
      read(
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
        [
          [
            [0.25, 0.75],
            [1, 0],
          ],
        ],
      ),
    ).toEqual([
      [
        [2.5, 3.5],
        [1, 2],
      ],
    ]);
  });

  it('score functions agree with hand-computed values', () => {
    const memory: T3 = [
      [
        [1, 0],
        [3, 4],
      ],
    ];
    const keys: T3 = [[[0, 2]]];
    expect(dotScores(memory, keys)).toEqual([[[0, 8]]]);
    expect(maxAbsDiff(scaledDotScores(memory, keys), [[[0, 8 / Math.SQRT2]]])).toBeLessThan(1e-15);
    expect(maxAbsDiff(cosineScores(memory, keys), [[[0, 8 / (Math.sqrt(25 + 1e-4) * Math.sqrt(4 + 1e-8))]]])).toBeLessThan(1e-15);
    expect(maxAbsDiff(cosineScores(memory, keys, 0, 0), [[[0, 0.8]]])).toBeLessThan(1e-15);
    expect(
      bilinearScores(memory, keys, [
        [1, 0],
        [0, 1],
      ]),
    ).toEqual(dotScores(memory, keys));
    expect(
      bilinearScores(memory, keys, [
        [0, 1],
        [0, 0],
      ]),
    ).toEqual([[[0, 0]]]); // k_0 W01 m_1 with k_0 = 0
    expect(
      bilinearScores(memory, keys, [
        [0, 0],
        [1, 0],
      ]),
    ).toEqual([[[2, 6]]]); // k_1 W10 m_0
    const add = additiveScores(memory, keys, [[1], [0]], [[0], [1]], [2]);
    // 2 tanh(k_0 + m_1): slot 0 -> 2 tanh(0 + 0), slot 1 -> 2 tanh(0 + 4)
    expect(maxAbsDiff(add, [[[0, 2 * Math.tanh(4)]]])).toBeLessThan(1e-15);
  });

  it('softplus and sigmoid are stable at the extremes', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });

  it('controlLength counts key, beta, gate, shift, gamma (+ erase, add)', () => {
    expect(controlLength(5, 1, false)).toBe(5 + 1 + 1 + 3 + 1);
    expect(controlLength(5, 1, true)).toBe(5 + 1 + 1 + 3 + 1 + 10);
  });
});

describe('ntm64 addressing', () => {
  const rng = mulberry32(1234);
  const B = 3;
  const H = 2;
  const N = 7;
  const M = 4;
  const memory = randomNested<T3>([B, N, M], rng, 2);
  const keys = randomNested<T3>([B, H, M], rng);
  const beta = randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 3 + 2 * x));
  const gate = randomNested<Mat>([B, H], rng).map((r) => r.map(sigmoid));
  const shiftDist = softmax(randomNested<T3>([B, H, 3], rng, 2));
  const gamma = randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 1 + softplus(x)));
  const prev = softmax(randomNested<T3>([B, H, N], rng, 2));

  it('every stage keeps the weights summing to 1', () => {
    const content = contentWeights(memory, keys, beta);
    const gated = interpolate(content, prev, gate);
    const shifted = shift(gated, shiftDist);
    const out = sharpen(shifted, gamma);
    for (const w of [content, gated, shifted, out, ntmAddress(memory, keys, beta, gate, shiftDist, gamma, prev)]) {
      for (const s of sums(w)) expect(Math.abs(s - 1)).toBeLessThan(1e-14);
    }
    for (const s of sparsemax(randomNested<T3>([B, H, N], rng, 3)).flat()) {
      expect(Math.abs(s.reduce((a, x) => a + x, 0) - 1)).toBeLessThan(1e-14);
    }
  });

  it('gate 1 keeps the content weights and gate 0 keeps prev', () => {
    const content = contentWeights(memory, keys, beta);
    const ones = gate.map((r) => r.map(() => 1));
    const zeros = gate.map((r) => r.map(() => 0));
    expect(interpolate(content, prev, ones)).toEqual(content);
    expect(interpolate(content, prev, zeros)).toEqual(prev);
  });

  it('sharpen with gamma 1 is (w + EPSILON) renormalised', () => {
    const w: T3 = [[[0.2, 0.8]]];
    const expected = [0.2 + EPSILON, 0.8 + EPSILON].map((x) => x / (1 + 2 * EPSILON));
    expect(maxAbsDiff(sharpen(w, [[1]]), [[expected]])).toBeLessThan(1e-16);
  });
});

describe('ntm64 against the pytorch-ntm transcription', () => {
  const { inputs, intermediates, expected } = fixture;
  const cosineNoEps = (m: T3, k: T3): T3 => cosineScores(m, k, 0, 0);

  it('records that the fixture mirrors pytorch-ntm', () => {
    expect(fixture.note).toMatch(/pytorch-ntm/);
    expect(fixture.cosineSemanticsDiff).toBeLessThan(1e-14);
  });

  it('interpolate and shift match pytorch-ntm stage by stage to float64 rounding', () => {
    expect(maxAbsDiff(interpolate(intermediates.content, inputs.prev, inputs.gate), intermediates.interpolated)).toBeLessThan(1e-15);
    expect(maxAbsDiff(shift(intermediates.interpolated, inputs.shiftDist), intermediates.shifted)).toBeLessThan(1e-15);
  });

  it('pytorch-ntm orders its shifts (+1, 0, -1), the reverse of ours', () => {
    const reversed = inputs.shiftDistPytorchOrder.map((b) => b.map((d) => [...d].reverse()));
    expect(reversed).toEqual(inputs.shiftDist);
    // Feeding pytorch-ntm's order straight into our shift gives a visibly different answer.
    expect(maxAbsDiff(shift(intermediates.interpolated, inputs.shiftDistPytorchOrder), intermediates.shifted)).toBeGreaterThan(0.05);
  });

  it('with the epsilons set to 0, the whole address matches pytorch-ntm to 1e-12', () => {
    const content = contentWeights(inputs.memory, inputs.key, inputs.beta, cosineNoEps);
    expect(maxAbsDiff(content, intermediates.content)).toBeLessThan(1e-12);
    const shifted = shift(interpolate(content, inputs.prev, inputs.gate), inputs.shiftDist);
    expect(maxAbsDiff(sharpen(shifted, inputs.gamma, 0), expected)).toBeLessThan(1e-12);
  });

  it('ntmAddress (with its floors) is within 2e-5 of pytorch-ntm, and the row-norm floor is why', () => {
    // Measured 8.2e-6: pytorch-ntm has no floor under a memory row's norm (ours: sqrt(|m|^2 + 1e-4),
    // ROW_NORM_FLOOR) and no epsilon inside the sharpen power (ours: (w + 1e-8)^gamma, 2.2e-8 on its own).
    const out = ntmAddress(inputs.memory, inputs.key, inputs.beta, inputs.gate, inputs.shiftDist, inputs.gamma, inputs.prev);
    const diff = maxAbsDiff(out, expected);
    expect(diff).toBeLessThan(2e-5);
    const noRowFloor = (m: T3, k: T3): T3 => cosineScores(m, k, 0);
    const shifted = shift(interpolate(contentWeights(inputs.memory, inputs.key, inputs.beta, noRowFloor), inputs.prev, inputs.gate), inputs.shiftDist);
    expect(maxAbsDiff(sharpen(shifted, inputs.gamma), expected)).toBeLessThan(5e-8);
  });
});

describe('ntm64 accessStep', () => {
  const M = 2;
  const S = 1;
  const N = 3;
  const wLen = controlLength(M, S, true);
  const rLen = controlLength(M, S, false);
  const L = wLen + rLen;
  const rng = mulberry32(99);
  const params: AccessParams = {
    projection: randomNested<Mat>([4, L], rng),
    bias: randomNested<number[]>([L], rng),
    N,
    M,
    readHeads: 1,
    writeHeads: 1,
    shiftRange: S,
  };
  const controller = randomNested<Mat>([2, 4], rng);
  const state: AccessState = {
    memory: randomNested<T3>([2, N, M], rng),
    readWeights: softmax(randomNested<T3>([2, 1, N], rng)),
    writeWeights: softmax(randomNested<T3>([2, 1, N], rng)),
    readVectors: randomNested<T3>([2, 1, M], rng),
  };

  it('splits z as [write: key, beta, gate, shift, gamma, erase, add][read: key, beta, gate, shift, gamma]', () => {
    const { readVectors, state: next } = accessStep(params, controller, state);
    const z = controller.map((c) => params.bias.map((bl, l) => bl + c.reduce((s, ci, p) => s + ci * params.projection[p]![l]!, 0)));
    const seg = (b: number, from: number, n: number): number[] => z[b]!.slice(from, from + n);
    const perBatch = <T>(f: (b: number) => T): T[] => [0, 1].map(f);
    const head = (base: number) => ({
      key: perBatch((b) => [seg(b, base, M).map(Math.tanh)]),
      beta: perBatch((b) => [softplus(seg(b, base + M, 1)[0]!)]),
      gate: perBatch((b) => [sigmoid(seg(b, base + M + 1, 1)[0]!)]),
      shift: perBatch((b) => softmax([seg(b, base + M + 2, 3)])),
      gamma: perBatch((b) => [1 + softplus(seg(b, base + M + 5, 1)[0]!)]),
    });
    const w = head(0);
    const ww = ntmAddress(state.memory, w.key, w.beta, w.gate, w.shift, w.gamma, state.writeWeights);
    const erase = perBatch((b) => [seg(b, M + 6, M).map(sigmoid)]);
    const add = perBatch((b) => [seg(b, 2 * M + 6, M).map(Math.tanh)]);
    const memory = write(state.memory, ww, erase, add);
    const r = head(wLen);
    // read-write (the default): the reads address and read the memory before this step's write
    const rw = ntmAddress(state.memory, r.key, r.beta, r.gate, r.shift, r.gamma, state.readWeights);
    expect(maxAbsDiff(next.writeWeights, ww)).toBe(0);
    expect(maxAbsDiff(next.memory, memory)).toBe(0);
    expect(maxAbsDiff(next.readWeights, rw)).toBe(0);
    expect(maxAbsDiff(readVectors, read(state.memory, rw))).toBe(0);
    expect(next.readVectors).toBe(readVectors);
    // write-read: they see the new memory
    const late = accessStep({ ...params, order: 'write-read' }, controller, state);
    const rwLate = ntmAddress(memory, r.key, r.beta, r.gate, r.shift, r.gamma, state.readWeights);
    expect(maxAbsDiff(late.state.readWeights, rwLate)).toBe(0);
    expect(maxAbsDiff(late.readVectors, read(memory, rwLate))).toBe(0);
    expect(maxAbsDiff(late.readVectors, readVectors)).toBeGreaterThan(1e-3);
  });

  it('rejects a projection whose width does not match the head layout', () => {
    const bad = { ...params, readHeads: 2 };
    expect(() => accessStep(bad, controller, state)).toThrow(RangeError);
  });
});

describe('finiteDiff', () => {
  it('centralDifference of a sum of squares matches 2x', () => {
    const x = [0.3, -1.2, 2.5, 0];
    const g = centralDifference((v) => v.reduce((s, xi) => s + xi * xi, 0), x);
    expect(
      maxAbsDiff(
        g,
        x.map((xi) => 2 * xi),
      ),
    ).toBeLessThan(1e-8);
    expect(x).toEqual([0.3, -1.2, 2.5, 0]); // input untouched
  });

  it('numericGradient of read w.r.t. the weights is the memory row sums', () => {
    const memory: T3 = [
      [
        [1, 2],
        [3, 4],
        [5, -6],
      ],
    ];
    const g = numericGradient((w: T3) => flatten(read(memory, w)).values.reduce((s, x) => s + x, 0), [[[0.2, 0.3, 0.5]]]);
    expect(maxAbsDiff(g, [[[3, 7, -1]]])).toBeLessThan(1e-8);
  });

  it('flatten and unflatten round-trip and reject ragged arrays', () => {
    const nested = [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ];
    const { values, shape } = flatten(nested);
    expect(shape).toEqual([1, 2, 3]);
    expect(values).toEqual([1, 2, 3, 4, 5, 6]);
    expect(unflatten(values, shape)).toEqual(nested);
    expect(unflatten<number>([7], [])).toBe(7);
    expect(() => flatten([[1, 2], [3]])).toThrow(RangeError);
  });

  it('randomNested is deterministic per seed and within [-scale, scale)', () => {
    const a = randomNested([2, 3, 4], mulberry32(5), 0.5);
    const b = randomNested([2, 3, 4], mulberry32(5), 0.5);
    const c = randomNested([2, 3, 4], mulberry32(6), 0.5);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(flatten(a).shape).toEqual([2, 3, 4]);
    for (const v of flatten(a).values) expect(v >= -0.5 && v < 0.5).toBe(true);
  });
});
