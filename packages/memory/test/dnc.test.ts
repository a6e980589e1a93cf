/**
 * The DNC memory: planted cases with exact answers, invariants, the float64 reference
 * (reference/dnc64.ts) on values and finite-difference gradients, and the whole access step.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { EngramError, setSimdKernels } from '@engram/tensor';
import {
  allocationOf,
  DncAccess,
  dncTemporalReference,
  fusedTemporal,
  dncAllocation,
  dncDirectionalWeights,
  dncLinkage,
  dncUsage,
  makeMemory,
  maskedCosine,
  sharpenDirectional,
  type DncState,
} from '../src/index.ts';
import * as ref from './reference/dnc64.ts';
import { activateTable, INTERFACE_CLIP } from '../src/interfaceTable.ts';
import { dncReadTable, dncWriteTable } from '../src/dnc/interface.ts';
import { fusedInterface } from '../src/dnc/fused/interfaceKernel.ts';
import { fusedAllocation } from '../src/dnc/fused/allocationKernel.ts';
import { fusedContentWeights } from '../src/dnc/fused/contentKernel.ts';
import { contentWeights } from '../src/contentWeights.ts';
import { dncRetention, usageAfter } from '../src/dnc/usage.ts';
import { arr, checkGradients, compare, maxDiff, mulberry32, randomNested, softmaxRows, type Mat, type Nested, type T3 } from './helpers.ts';

type T4 = ref.T4;
const oneHot = (n: number, i: number): number[] => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
const uniform01 = <T extends Nested>(shape: number[], seed: number): T =>
  randomNested<Nested>(shape, mulberry32(seed)).map(function f(x: Nested | number): Nested | number {
    return typeof x === 'number' ? (x + 1) / 2 : ((x as Nested[]).map(f) as Nested);
  }) as T;
/** Rows of soft weights that sum to < 1 (a write or read weighting), [B][H][N]. */
const weights = (b: number, h: number, n: number, seed: number, mass = 0.9): T3 =>
  softmaxRows(randomNested<T3>([b, h, n], mulberry32(seed), 3)).map((hs) => hs.map((w) => w.map((x) => x * mass)));

/** One write history of `steps` soft writes through dncLinkage, as tensors. */
function linkAfter(ws: T3[], n: number): { link: tf.Tensor4D; precedence: tf.Tensor3D } {
  const [b, w] = [ws[0]!.length, ws[0]![0]!.length];
  let link = tf.zeros([b, w, n, n]) as tf.Tensor4D;
  let precedence = tf.zeros([b, w, n]) as tf.Tensor3D;
  for (const x of ws) {
    const next = dncLinkage(link, precedence, tf.tensor3d(x));
    tf.dispose([link, precedence]);
    ({ link, precedence } = next);
  }
  return { link, precedence };
}

describe('planted cases', () => {
  it('write slot 3, then slot 7: link[7][3] = 1; forward from 3 reads 7, backward from 7 reads 3', () => {
    const n = 10;
    const { link, precedence } = linkAfter([[[oneHot(n, 3)]], [[oneHot(n, 7)]]], n);
    const l = arr<T4>(link);
    expect(l[0]![0]![7]![3]).toBe(1);
    expect(l[0]![0]!.flat().reduce((s, x) => s + x, 0)).toBe(1); // the only link
    expect(arr<T3>(precedence)[0]![0]).toEqual(oneHot(n, 7));
    const fwd = arr<T4>(dncDirectionalWeights(link, tf.tensor3d([[oneHot(n, 3), oneHot(n, 7)]]), true));
    const bwd = arr<T4>(dncDirectionalWeights(link, tf.tensor3d([[oneHot(n, 7), oneHot(n, 3)]]), false));
    expect(fwd[0]![0]![0]).toEqual(oneHot(n, 7));
    expect(fwd[0]![1]![0]).toEqual(Array(n).fill(0)); // nothing was written after 7
    expect(bwd[0]![0]![0]).toEqual(oneHot(n, 3));
    expect(bwd[0]![1]![0]).toEqual(Array(n).fill(0)); // nothing was written before 3
  });

  it('a sequence 2 -> 5 -> 1 is followed forward and backward, one link per step', () => {
    const n = 6;
    const { link } = linkAfter([[[oneHot(n, 2)]], [[oneHot(n, 5)]], [[oneHot(n, 1)]]], n);
    const fwd = arr<T4>(dncDirectionalWeights(link, tf.tensor3d([[oneHot(n, 2), oneHot(n, 5)]]), true));
    expect(fwd[0]![0]![0]).toEqual(oneHot(n, 5));
    expect(fwd[0]![1]![0]).toEqual(oneHot(n, 1));
  });

  it('allocation picks the least used slot: usage [0.9, 0.1, 0.5, 1] allocates 0.9 to slot 1, then 0.1 * 0.5 to slot 2', () => {
    const a = arr<Mat>(allocationOf(tf.tensor2d([[0.9, 0.1, 0.5, 1]])))[0]!;
    const e = ref.ALLOCATION_EPSILON;
    const u = [0.9, 0.1, 0.5, 1].map((x) => e + (1 - e) * x);
    expect(a[1]).toBeCloseTo(1 - u[1]!, 6);
    expect(a[2]).toBeCloseTo((1 - u[2]!) * u[1]!, 6);
    expect(a[0]).toBeCloseTo((1 - u[0]!) * u[1]! * u[2]!, 6);
    expect(a[3]).toBeLessThan(1e-6);
  });

  it('an empty memory allocates slot 0 first; a second write head, gated open, allocates another slot', () => {
    const a = arr<T3>(dncAllocation(tf.zeros([1, 5]) as tf.Tensor2D, tf.tensor2d([[1, 1]])))[0]!;
    expect(a[0]![0]).toBeCloseTo(1, 5);
    expect(a[1]![0]).toBeLessThan(1e-5);
    expect(Math.max(...a[1]!)).toBeCloseTo(1, 5);
    // with the first head's gate closed, the second sees the same free list and allocates slot 0 too
    const closed = arr<T3>(dncAllocation(tf.zeros([1, 5]) as tf.Tensor2D, tf.tensor2d([[0, 1]])))[0]!;
    expect(closed[1]![0]).toBeCloseTo(1, 5);
  });

  it('usage: a full write raises usage to 1, a full free with the slot read frees it to 0', () => {
    const u = arr<Mat>(dncUsage(tf.tensor2d([[0.2, 0.2, 0]]), tf.tensor3d([[[1, 0, 0]]]), tf.tensor2d([[0]]), tf.tensor3d([[[0, 0, 0]]])))[0]!;
    expect(u[0]).toBeCloseTo(1, 6);
    expect(u[1]).toBeCloseTo(0.2, 6);
    const freed = arr<Mat>(dncUsage(tf.tensor2d([[0.7, 0.7, 0]]), tf.tensor3d([[[0, 0, 0]]]), tf.tensor2d([[1]]), tf.tensor3d([[[0, 1, 0]]])))[0]!;
    expect(freed[0]).toBeCloseTo(0.7, 6);
    expect(freed[1]).toBeCloseTo(0, 6);
  });

  it('sharpness 1 leaves a normalised row as it is; a large strength moves its mass to the peak', () => {
    const d = tf.tensor4d([[[[0.2, 0.5, 0.3]]]]);
    expect(maxDiff(arr(sharpenDirectional(d, tf.tensor2d([[1]]))), [[[[0.2, 0.5, 0.3]]]])).toBeLessThan(1e-6);
    const sharp = arr<T4>(sharpenDirectional(d, tf.tensor2d([[20]])))[0]![0]![0]!;
    expect(sharp[1]).toBeGreaterThan(0.99);
  });
});

describe('invariants over random histories', () => {
  const [b, w, r, n] = [2, 2, 3, 8];
  it('usage stays in [0, 1]; allocations are >= 0 and sum to <= 1; links have zero diagonals and rows and columns summing to <= 1', () => {
    let usage = tf.zeros([b, n]) as tf.Tensor2D;
    const writes: T3[] = [];
    for (let t = 0; t < 12; t++) {
      const ww = weights(b, w, n, 100 + t, 1 / w);
      writes.push(ww);
      const next = dncUsage(usage, tf.tensor3d(ww), tf.tensor2d(uniform01<Mat>([b, r], 200 + t)), tf.tensor3d(weights(b, r, n, 300 + t)));
      usage.dispose();
      usage = next;
      const u = arr<Mat>(usage).flat();
      expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...u)).toBeLessThanOrEqual(1 + 1e-6);
      const a = arr<T3>(dncAllocation(usage, tf.tensor2d(uniform01<Mat>([b, w], 400 + t))));
      for (const head of a.flat()) {
        expect(Math.min(...head)).toBeGreaterThanOrEqual(0);
        expect(head.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
    const { link, precedence } = linkAfter(writes, n);
    for (const lw of arr<T4>(link).flat()) {
      lw.forEach((row, i) => {
        expect(row[i]).toBe(0);
        expect(row.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(1 + 1e-6);
        expect(lw.reduce((s, rr) => s + rr[i]!, 0)).toBeLessThanOrEqual(1 + 1e-6);
        expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
      });
    }
    for (const p of arr<T3>(precedence).flat()) expect(p.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(1 + 1e-6);
  });
});

describe('against the float64 reference', () => {
  const [b, w, r, n, m] = [2, 2, 2, 6, 4];
  const prevUsage = uniform01<Mat>([b, n], 1);
  const prevWrite = weights(b, w, n, 2, 0.5);
  const free = uniform01<Mat>([b, r], 3);
  const prevRead = weights(b, r, n, 4);
  const gates = uniform01<Mat>([b, w], 5);
  const link = ref.linkage(
    randomNested<T4>([b, w, n, n], mulberry32(6)).map((x) => x.map((y) => y.map((z) => z.map((v) => Math.abs(v) / n)))),
    weights(b, w, n, 7, 0.8),
    weights(b, w, n, 8, 0.5),
  ).link;
  const precedence = weights(b, w, n, 9, 0.7);

  it('usage: values, and gradients for usage, free gates and read weights; none for the write weights (stop-gradient)', () => {
    expect(
      maxDiff(
        arr(dncUsage(tf.tensor2d(prevUsage), tf.tensor3d(prevWrite), tf.tensor2d(free), tf.tensor3d(prevRead))),
        ref.usage(prevUsage, prevWrite, free, prevRead),
      ),
    ).toBeLessThan(1e-6);
    checkGradients(
      (u, f, rw) => dncUsage(u as tf.Tensor2D, tf.tensor3d(prevWrite), f as tf.Tensor2D, rw as tf.Tensor3D),
      (u, f, rw) => ref.usage(u as Mat, prevWrite, f as Mat, rw as T3),
      [prevUsage, free, prevRead],
    );
    // no path from the write weights to usage at all
    expect(() =>
      tf.grad((ww: tf.Tensor) => tf.sum(dncUsage(tf.tensor2d(prevUsage), ww as tf.Tensor3D, tf.tensor2d(free), tf.tensor3d(prevRead))))(tf.tensor3d(prevWrite)),
    ).toThrow(/Cannot compute gradient/);
  });

  it('allocation: values and gradients for usage and gates, one and two write heads', () => {
    const usage = uniform01<Mat>([b, n], 10);
    expect(maxDiff(arr(dncAllocation(tf.tensor2d(usage), tf.tensor2d(gates))), ref.allocation(usage, gates))).toBeLessThan(1e-6);
    checkGradients(
      (u, g) => dncAllocation(u as tf.Tensor2D, g as tf.Tensor2D),
      (u, g) => ref.allocation(u as Mat, g as Mat),
      [usage, gates],
    );
    const one = gates.map((g) => [g[0]!]); // one head: its gate only raises the usage later heads see
    checkGradients(
      (u) => dncAllocation(u as tf.Tensor2D, tf.tensor2d(one)),
      (u) => ref.allocation(u as Mat, one),
      [usage],
      { seed: 7 },
    );
  });

  it('linkage: values and gradients for the previous link, precedence and write weights', () => {
    const ww = weights(b, w, n, 11, 0.6);
    const got = dncLinkage(tf.tensor4d(link), tf.tensor3d(precedence), tf.tensor3d(ww));
    const want = ref.linkage(link, precedence, ww);
    expect(maxDiff(arr(got.link), want.link)).toBeLessThan(1e-6);
    expect(maxDiff(arr(got.precedence), want.precedence)).toBeLessThan(1e-6);
    checkGradients(
      (l, p, x) => dncLinkage(l as tf.Tensor4D, p as tf.Tensor3D, x as tf.Tensor3D).link,
      (l, p, x) => ref.linkage(l as T4, p as T3, x as T3).link,
      [link, precedence, ww],
    );
    checkGradients(
      (p, x) => dncLinkage(tf.tensor4d(link), p as tf.Tensor3D, x as tf.Tensor3D).precedence,
      (p, x) => ref.linkage(link, p as T3, x as T3).precedence,
      [precedence, ww],
    );
  });

  it('directional weights, forward and backward: values and gradients', () => {
    for (const forward of [true, false]) {
      expect(maxDiff(arr(dncDirectionalWeights(tf.tensor4d(link), tf.tensor3d(prevRead), forward)), ref.directional(link, prevRead, forward))).toBeLessThan(
        1e-6,
      );
      checkGradients(
        (l, rw) => dncDirectionalWeights(l as tf.Tensor4D, rw as tf.Tensor3D, forward),
        (l, rw) => ref.directional(l as T4, rw as T3, forward),
        [link, prevRead],
      );
    }
  });

  it('sharpness control and masked cosine: values and gradients', () => {
    const d = ref.directional(link, prevRead, true);
    const s = uniform01<Mat>([b, r], 12).map((x) => x.map((v) => 1 + 3 * v));
    expect(maxDiff(arr(sharpenDirectional(tf.tensor4d(d), tf.tensor2d(s))), ref.sharpen(d, s))).toBeLessThan(1e-5);
    checkGradients(
      (x, y) => sharpenDirectional(x as tf.Tensor4D, y as tf.Tensor2D),
      (x, y) => ref.sharpen(x as T4, y as Mat),
      [d, s],
      { tol: 3e-3 },
    );
    const mem = randomNested<T3>([b, n, m], mulberry32(13));
    const keys = randomNested<T3>([b, r, m], mulberry32(14));
    const mask = uniform01<T3>([b, r, m], 15);
    expect(maxDiff(arr(maskedCosine(tf.tensor3d(mem), tf.tensor3d(keys), tf.tensor3d(mask))), ref.maskedCosine(mem, keys, mask))).toBeLessThan(1e-5);
    checkGradients(
      (x, k, y) => maskedCosine(x as tf.Tensor3D, k as tf.Tensor3D, y as tf.Tensor3D),
      (x, k, y) => ref.maskedCosine(x as T3, k as T3, y as T3),
      [mem, keys, mask],
    );
  });
});

describe('DncAccess', () => {
  const sizes = { slots: 6, width: 4, readHeads: 2, writeHeads: 2, controllerSize: 5 };
  const variants = [{}, { masking: true, deallocation: true, sharpness: true }];

  /** A state mid-sequence: distinct usages (no ties for the sort), soft weights, links from a few writes. */
  function randomState(access: DncAccess, seed: number): DncState {
    const [b, n, m, r, w] = [2, 6, 4, 2, 2];
    const ws = [0, 1, 2].map((t) => weights(b, w, n, seed + t, 0.6));
    const { link, precedence } = linkAfter(ws, n);
    const memory = tf.tensor3d(randomNested<T3>([b, n, m], mulberry32(seed + 10)));
    const readWeights = tf.tensor3d(weights(b, r, n, seed + 11));
    return Object.freeze({
      ...access.initialState(b),
      memory,
      readWeights,
      writeWeights: tf.tensor3d(ws[2]!),
      readVectors: tf.matMul(readWeights, memory) as tf.Tensor3D,
      usage: tf.tensor2d(uniform01<Mat>([b, n], seed + 12).map((row) => row.map((x) => 0.05 + 0.9 * x))),
      link,
      precedence,
    });
  }

  function refState(s: DncState): ref.DncState64 {
    return {
      memory: arr(s.memory),
      readWeights: arr(s.readWeights),
      writeWeights: arr(s.writeWeights),
      readVectors: arr(s.readVectors),
      usage: arr(s.usage),
      link: arr(s.link),
      precedence: arr(s.precedence),
    };
  }

  for (const options of variants) {
    const label = Object.keys(options).length ? 'with the DNC-MD options' : "the paper's DNC";
    it(`${label}: four steps match the float64 reference (reads and every state tensor)`, () => {
      const access = new DncAccess({ kind: 'dnc', ...sizes, ...options, seed: 3 });
      const p: ref.DncParams = { projection: arr(access.projection), bias: arr(access.projectionBias), N: 6, M: 4, R: 2, W: 2, ...options };
      let state = randomState(access, 20);
      let want = refState(state);
      for (let t = 0; t < 4; t++) {
        const h = randomNested<Mat>([2, 5], mulberry32(50 + t), 2);
        const [reads, next] = access.step(tf.tensor2d(h), state);
        const r = ref.dncStep(p, h, want);
        expect(maxDiff(arr(reads), r.reads), `reads at step ${t}`).toBeLessThan(1e-5);
        for (const k of ['usage', 'link', 'precedence', 'memory', 'readWeights', 'writeWeights'] as const) {
          expect(maxDiff(arr(next[k]), r.state[k]), `${k} at step ${t}`).toBeLessThan(1e-5);
        }
        state = next;
        want = r.state;
      }
      access.dispose();
    });

    it(`${label}: the gradient of a three-step unroll with respect to the controller outputs matches finite differences of the reference`, () => {
      const access = new DncAccess({ kind: 'dnc', ...sizes, ...options, seed: 4 });
      const p: ref.DncParams = { projection: arr(access.projection), bias: arr(access.projectionBias), N: 6, M: 4, R: 2, W: 2, ...options };
      const hs = [0, 1, 2].map((t) => randomNested<Mat>([2, 5], mulberry32(60 + t), 1.5));
      const start = randomState(access, 30);
      const init = refState(start);
      // usage takes the previous writes without gradient: the reference sees the unperturbed ones
      const frozen: T3[] = [init.writeWeights];
      hs.reduce((s, h) => {
        const r = ref.dncStep(p, h, s);
        frozen.push(r.state.writeWeights);
        return r.state;
      }, init);
      checkGradients(
        (h0, h1, h2) => {
          let s = start;
          const reads: tf.Tensor[] = [];
          for (const h of [h0, h1, h2]) {
            const [rv, next] = access.step(h as tf.Tensor2D, s);
            reads.push(rv);
            s = next;
          }
          return tf.stack(reads);
        },
        (h0, h1, h2) => {
          let s = init;
          const reads: T3[] = [];
          for (const [t, h] of [h0, h1, h2].entries()) {
            const r = ref.dncStep(p, h as Mat, s, frozen[t]);
            reads.push(r.reads);
            s = r.state;
          }
          return reads;
        },
        hs as [Mat, Mat, Mat],
      );
      access.dispose();
    });
  }

  it('leaks no tensors across steps and gives the same numbers for the same seed', () => {
    const run = () => {
      const access = makeMemory({ kind: 'dnc', ...sizes, seed: 9 });
      let state = access.initialState(2);
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      for (let t = 0; t < 5; t++) {
        const h = tf.tensor2d(randomNested<Mat>([2, 5], mulberry32(70 + t)));
        const [, next] = access.step(h, state);
        h.dispose();
        if (t > 0) tf.dispose(Object.values(state) as tf.Tensor[]);
        state = next;
        counts.push(tf.memory().numTensors - before);
      }
      const out = arr<T3>(state.readVectors);
      tf.dispose(Object.values(state) as tf.Tensor[]);
      access.dispose();
      return { counts, out };
    };
    const a = run();
    const b2 = run();
    expect(new Set(a.counts.slice(1)).size).toBe(1);
    expect(b2.out).toEqual(a.out);
  });

  it('declares its state tensors with their shapes, and rejects bad options with the field named', () => {
    const access = new DncAccess({ kind: 'dnc', ...sizes });
    const state = access.initialState(3) as unknown as Record<string, tf.Tensor>;
    expect(access.stateTensors.map((t) => t.name)).toEqual([
      'memory',
      'readWeights',
      'writeWeights',
      'readVectors',
      'usage',
      'link',
      'precedence',
      'readModes',
    ]);
    for (const t of access.stateTensors) expect(state[t.name]!.shape).toEqual([3, ...t.shape]);
    expect(access.readSize).toBe(8);
    // W = 2: per write head 3M + 3, per read head M + 2 + 2W + 1
    expect(access.interfaceSize).toBe(2 * (3 * 4 + 3) + 2 * (4 + 2 + 5));
    expect(() => new DncAccess({ kind: 'dnc', ...sizes, masking: 'yes' as unknown as boolean })).toThrow(/memory\.masking/);
    expect(() => makeMemory({ kind: 'ram' as 'dnc', ...sizes })).toThrow(EngramError);
    access.dispose();
  });
});

describe('the fused temporal kernel', () => {
  afterAll(() => setSimdKernels(true));
  for (const simd of [true, false])
    it(`${simd ? 'WebAssembly SIMD twin' : 'JavaScript loops'}: matches dncLinkage + dncDirectionalWeights on values and gradients (1e-5 relative), W = 1 and 2, R = 1 and 3, N = 7 and 16`, () => {
      setSimdKernels(simd);
      for (const [w, r, n] of [
        [1, 1, 7],
        [2, 3, 7],
        [1, 4, 16],
      ] as const) {
        const b = 2;
        const link = linkAfter(
          [0, 1, 2].map((t) => weights(b, w, n, 80 + t, 0.7)),
          n,
        );
        const inputs = [link.link, link.precedence, tf.tensor3d(weights(b, w, n, 90, 0.6)), tf.tensor3d(weights(b, r, n, 91))];
        // all four outputs side by side, so every input reaches the compared tensor
        const all = (f: typeof fusedTemporal) => (l: tf.Tensor, p: tf.Tensor, x: tf.Tensor, u: tf.Tensor) => {
          const o = f(l as tf.Tensor4D, p as tf.Tensor3D, x as tf.Tensor3D, u as tf.Tensor3D);
          return tf.concat([o.link, o.precedence, o.forward, o.backward].map((t) => tf.reshape(t, [-1])));
        };
        const res = compare(all(fusedTemporal), all(dncTemporalReference), inputs, 100 + w);
        expect(res.value, `values, W=${w} R=${r}`).toBeLessThan(1e-5);
        res.grads.forEach((g, i) => expect(g, `gradient of input ${i}, W=${w} R=${r}`).toBeLessThan(1e-5));
        tf.dispose(inputs);
      }
      setSimdKernels(true);
    });

  for (const [writeHeads, extra] of [
    [2, {}],
    [1, {}],
    [1, { masking: true, deallocation: true, sharpness: true }],
  ] as const)
    it(`a DncAccess on the fused kernels and one on the reference ops give the same reads and gradients over four steps (W=${writeHeads}${Object.keys(extra).length ? ', every DNC-MD option' : ''})`, () => {
      const sizes = { kind: 'dnc' as const, slots: 6, width: 4, readHeads: 2, writeHeads, controllerSize: 5, seed: 5, ...extra };
      const fused = new DncAccess({ ...sizes, kernels: 'fused' });
      const reference = new DncAccess({ ...sizes, kernels: 'reference' });
      expect(fused.usesFusedKernels()).toBe(true);
      expect(reference.usesFusedKernels()).toBe(false);
      const hs = [0, 1, 2, 3].map((t) => tf.tensor2d(randomNested<Mat>([2, 5], mulberry32(110 + t), 2)));
      const unrolled =
        (a: DncAccess) =>
        (...xs: tf.Tensor[]) => {
          let s = a.initialState(2);
          const out: tf.Tensor[] = [];
          for (const h of xs) {
            const [rv, next] = a.step(h as tf.Tensor2D, s);
            out.push(rv);
            s = next;
          }
          return tf.stack(out);
        };
      const res = compare(unrolled(fused), unrolled(reference), hs, 120);
      expect(res.value).toBeLessThan(1e-5);
      for (const g of res.grads) expect(g).toBeLessThan(1e-5);
      tf.dispose(hs);
      fused.dispose();
      reference.dispose();
    });
});

describe('the fused interface kernel', () => {
  // every DNC-MD control on (7 write and 7 read controls), W = 2, R = 3, M = 3, values past the clip
  const options = { masking: true, deallocation: false, sharpness: true };
  const [W, R, M, B] = [2, 3, 3, 2];
  const writeTable = dncWriteTable(M, options);
  const readTable = dncReadTable(M, W, options);
  const wLen = writeTable.reduce((a, c) => a + c.length, 0);
  const rLen = readTable.reduce((a, c) => a + c.length, 0);
  const L = W * wLen + R * rLen;
  const z = randomNested<Mat>([B, L], mulberry32(501), 30); // |z| up to 30: some entries clipped
  const bias = randomNested<number[]>([L], mulberry32(502), 2);
  const stacked = (c: { write: Record<string, tf.Tensor3D>; read: Record<string, tf.Tensor3D> }) =>
    tf.concat([...writeTable.map((t) => c.write[t.name]!), ...readTable.map((t) => c.read[t.name]!)].map((t) => tf.reshape(t, [-1])));
  const fused = (zt: tf.Tensor, bt: tf.Tensor) => stacked(fusedInterface(zt as tf.Tensor2D, bt as tf.Tensor1D, W, writeTable, R, readTable));
  const composite = (zt: tf.Tensor, bt: tf.Tensor) => {
    const x = tf.clipByValue(tf.add(zt, bt), -INTERFACE_CLIP, INTERFACE_CLIP) as tf.Tensor2D;
    const [xw, xr] = tf.split(x, [W * wLen, R * rLen], 1) as [tf.Tensor2D, tf.Tensor2D];
    return stacked({ write: activateTable(xw, W, writeTable), read: activateTable(xr, R, readTable) });
  };

  it('equals clipByValue + activateTable on values and gradients (1e-5 relative), every DNC-MD control', () => {
    const inputs = [tf.tensor2d(z), tf.tensor1d(bias)];
    const res = compare(fused, composite, inputs, 503);
    expect(res.value).toBeLessThan(1e-5);
    res.grads.forEach((g, i) => expect(g, `gradient of input ${i}`).toBeLessThan(1e-5));
    tf.dispose(inputs);
  });

  it('its gradient matches central differences of a float64 reference', () => {
    const act = (a: string, x: number[]): number[] => {
      const sp = (v: number) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
      if (a === 'softmax') {
        const m = Math.max(...x);
        const e = x.map((v) => Math.exp(v - m));
        const s = e.reduce((p, q) => p + q, 0);
        return e.map((v) => v / s);
      }
      return x.map((v) =>
        a === 'tanh' ? Math.tanh(v) : a === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : a === 'softplus' ? sp(v) : a === 'oneplus' ? 1 + sp(v) : v,
      );
    };
    const reference = (zs: Mat, bs: number[]): number[] => {
      const out: number[][] = [...writeTable, ...readTable].map(() => []);
      const groups = [
        { table: writeTable, heads: W, start: 0, first: 0, seg: wLen },
        { table: readTable, heads: R, start: W * wLen, first: writeTable.length, seg: rLen },
      ];
      // outputs in kernel order: each control [B, H, length] flattened
      for (const { table, heads, start, first, seg } of groups)
        table.forEach((c, ci) => {
          const off = start + table.slice(0, ci).reduce((a, t) => a + t.length, 0);
          for (let b = 0; b < B; b++)
            for (let h = 0; h < heads; h++) {
              const x = Array.from({ length: c.length }, (_, k) =>
                Math.min(INTERFACE_CLIP, Math.max(-INTERFACE_CLIP, zs[b]![off + h * seg + k]! + bs[off + h * seg + k]!)),
              );
              out[first + ci]!.push(...act(c.activation, x));
            }
        });
      return out.flat();
    };
    // inputs away from the clip's edge, so central differences do not straddle it
    const zIn = z.map((row) => row.map((v) => (Math.abs(v) > 15 && Math.abs(v) < 25 ? v * 2 : v)));
    const errors = checkGradients((zt, bt) => fused(zt!, bt!), reference as (...xs: Nested[]) => Nested, [zIn, bias] as Nested[], { seed: 504 });
    errors.forEach((e, i) => expect(e, `input ${i}`).toBeLessThan(1e-3));
  });
});

describe('the fused allocation kernel', () => {
  const [B, R, N] = [2, 3, 9];
  const u01 = (shape: number[], seed: number) => tf.tensor(uniform01<Nested>(shape, seed) as number[]);
  const composite = (usage: tf.Tensor, prevWrites: tf.Tensor, freeGate: tf.Tensor, prevReads: tf.Tensor, content: tf.Tensor, ga: tf.Tensor, gw: tf.Tensor) => {
    const retention = dncRetention(freeGate as tf.Tensor2D, prevReads as tf.Tensor3D);
    const u = usageAfter(usage as tf.Tensor2D, prevWrites as tf.Tensor3D, retention);
    const a = dncAllocation(u, tf.reshape(tf.mul(ga, gw), [B, 1]) as tf.Tensor2D);
    const w = tf.mul(gw, tf.add(tf.mul(ga, a), tf.mul(tf.sub(1, ga), content)));
    return tf.concat([tf.reshape(u, [-1]), tf.reshape(w, [-1]), tf.reshape(retention, [-1])]);
  };
  const fused = (usage: tf.Tensor, prevWrites: tf.Tensor, freeGate: tf.Tensor, prevReads: tf.Tensor, content: tf.Tensor, ga: tf.Tensor, gw: tf.Tensor) => {
    const o = fusedAllocation(
      usage as tf.Tensor2D,
      prevWrites as tf.Tensor3D,
      freeGate as tf.Tensor2D,
      prevReads as tf.Tensor3D,
      content as tf.Tensor3D,
      ga as tf.Tensor3D,
      gw as tf.Tensor3D,
    );
    return tf.concat([tf.reshape(o.usage, [-1]), tf.reshape(o.writeWeights, [-1]), tf.reshape(o.retention, [-1])]);
  };
  const inputs = (usage: tf.Tensor) => [
    usage,
    u01([B, 1, N], 602),
    u01([B, R], 603),
    tf.tensor3d(weights(B, R, N, 604, 0.8)),
    tf.tensor3d(weights(B, 1, N, 605)),
    u01([B, 1, 1], 606),
    u01([B, 1, 1], 607),
  ];

  it('equals dncRetention + usageAfter + dncAllocation + the write mix on values and gradients (1e-5 relative); the previous writes get none', () => {
    const x = inputs(u01([B, N], 601));
    // the previous writes are a constant here: the composite path stops their gradient, so tf.grads has none to give
    const without =
      (f: typeof fused) =>
      (...xs: tf.Tensor[]) =>
        f(xs[0]!, x[1]!, ...(xs.slice(1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]));
    const res = compare(without(fused), without(composite), [x[0]!, ...x.slice(2)], 608);
    expect(res.value).toBeLessThan(1e-5);
    res.grads.forEach((g, i) => expect(g, `gradient of input ${i}`).toBeLessThan(1e-5));
    const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(fused(...(xs as Parameters<typeof fused>))))(x);
    expect(Array.from(g[1]!.dataSync())).toEqual(new Array(B * N).fill(0));
    tf.dispose([...x, ...g]);
  });

  it('an empty memory (equal usages) allocates in slot order, as the reference: slot 0 first', () => {
    const x = inputs(tf.zeros([B, N]));
    x[1] = tf.zeros([B, 1, N]);
    x[3] = tf.zeros([B, R, N]);
    x[5] = tf.ones([B, 1, 1]);
    x[6] = tf.ones([B, 1, 1]);
    const w = tf.tidy(() => tf.reshape(tf.slice(fused(...(x as Parameters<typeof fused>)), [B * N], [B * N]), [B, N]).arraySync() as number[][]);
    for (const row of w) {
      expect(row[0]).toBeCloseTo(1 - 1e-6, 6);
      expect(row.slice(1).every((v) => Math.abs(v) < 1e-5)).toBe(true);
    }
    tf.dispose(x);
  });
});

describe('the fused content-weights kernel (WebAssembly twin only)', () => {
  for (const [B, H, N, M] of [
    [3, 4, 17, 7],
    [32, 5, 128, 20],
  ] as const)
    it(`equals contentWeights (cosine, softmax) on values and gradients (1e-5 relative), B=${B} H=${H} N=${N} M=${M}`, () => {
      const x = [
        tf.tensor3d(randomNested<T3>([B, N, M], mulberry32(701))),
        tf.tensor3d(randomNested<T3>([B, H, M], mulberry32(702))),
        tf.tensor2d(uniform01<Mat>([B, H], 703)).mul(8),
      ];
      const f = (m: tf.Tensor, k: tf.Tensor, s: tf.Tensor) => fusedContentWeights(m as tf.Tensor3D, k as tf.Tensor3D, s as tf.Tensor2D);
      const g = (m: tf.Tensor, k: tf.Tensor, s: tf.Tensor) => contentWeights(m as tf.Tensor3D, k as tf.Tensor3D, s as tf.Tensor2D);
      const res = compare(f, g, x, 704);
      expect(res.value).toBeLessThan(1e-5);
      res.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
      tf.dispose(x);
    });

  it('its gradient matches central differences of the float64 reference', () => {
    const [B, H, N, M] = [2, 3, 6, 5];
    const memory = randomNested<T3>([B, N, M], mulberry32(711));
    const keys = randomNested<T3>([B, H, M], mulberry32(712));
    const strength = uniform01<Mat>([B, H], 713).map((r) => r.map((v) => 1 + 3 * v));
    const errors = checkGradients(
      (m, k, s) => fusedContentWeights(m as tf.Tensor3D, k as tf.Tensor3D, s as tf.Tensor2D),
      (m, k, s) => ref.dncContent(m as T3, k as T3, s as Mat),
      [memory, keys, strength],
    );
    errors.forEach((e, i) => expect(e, `input ${i}`).toBeLessThan(1e-3));
  });
});

describe('the fused allocation kernel against the float64 reference', () => {
  it('usage and allocation values, and central differences of usage, free gates and reads', () => {
    const [B, R, N] = [2, 2, 7];
    const u0 = uniform01<Mat>([B, N], 721);
    const ww = weights(B, 1, N, 722, 0.7);
    const f = uniform01<Mat>([B, R], 723);
    const wr = weights(B, R, N, 724, 0.8);
    const content = weights(B, 1, N, 725);
    // allocation gate 1 and write gate 1: the write weights are the allocation itself
    const ones = tf.ones([B, 1, 1]) as tf.Tensor3D;
    const run = (u: tf.Tensor, fg: tf.Tensor, r: tf.Tensor) =>
      fusedAllocation(u as tf.Tensor2D, tf.tensor3d(ww), fg as tf.Tensor2D, r as tf.Tensor3D, tf.tensor3d(content), ones, ones);
    const refUsage = (u: Mat, fg: Mat, r: T3) => ref.usage(u, ww, fg, r);
    const got = tf.tidy(() => run(tf.tensor2d(u0), tf.tensor2d(f), tf.tensor3d(wr)).writeWeights.arraySync() as T3);
    const want = ref.allocation(refUsage(u0, f, wr), [[1], [1]]);
    expect(maxDiff(got, want)).toBeLessThan(1e-6);
    const errors = checkGradients(
      (u, fg, r) => run(u!, fg!, r!).writeWeights,
      (u, fg, r) => ref.allocation(refUsage(u as Mat, fg as Mat, r as T3), [[1], [1]]),
      [u0, f, wr],
    );
    errors.forEach((e, i) => expect(e, `input ${i}`).toBeLessThan(1e-3));
    ones.dispose();
  });
});
