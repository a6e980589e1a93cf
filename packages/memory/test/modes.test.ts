/**
 * Addressing modes: parsing, hard (straight-through), top-k, gumbel, and evaluation mode.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError, Rng, tidy } from '@engram/tensor';
import { applyMode, isDiscrete, MODE_KINDS, parseMode, sparseToDense, topkWeights, type AddressingMode } from '../src/index.ts';
import { arr, flat, maxDiff, mulberry32, randomT3, softmaxRows, type T3 } from './helpers.ts';

const N = 10;

/** Message of the error `fn` throws, asserting it is an EngramError. */
function engramMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngramError);
    return (e as Error).message;
  }
  throw new Error('expected an EngramError, nothing was thrown');
}

describe('parseMode', () => {
  it('fills in defaults: gumbel tau 1, hard false; topk k = min(8, N)', () => {
    expect(parseMode('soft', N, 'f')).toEqual({ kind: 'soft' });
    expect(parseMode('sparsemax', N, 'f')).toEqual({ kind: 'sparsemax' });
    expect(parseMode('hard', N, 'f')).toEqual({ kind: 'hard' });
    expect(parseMode('gumbel', N, 'f')).toEqual({ kind: 'gumbel', tau: 1, hard: false });
    expect(parseMode({ kind: 'gumbel', tau: 0.3 }, N, 'f')).toEqual({ kind: 'gumbel', tau: 0.3, hard: false });
    expect(parseMode({ kind: 'gumbel', hard: true }, N, 'f')).toEqual({ kind: 'gumbel', tau: 1, hard: true });
    expect(parseMode('topk', N, 'f')).toEqual({ kind: 'topk', k: 8 });
    expect(parseMode('topk', 5, 'f')).toEqual({ kind: 'topk', k: 5 });
    expect(parseMode({ kind: 'topk', k: 3 }, N, 'f')).toEqual({ kind: 'topk', k: 3 });
    expect(parseMode({ kind: 'topk', k: N }, N, 'f')).toEqual({ kind: 'topk', k: N });
  });

  it('rejects k > N, k = 0 and non-integer k, naming the field .k', () => {
    for (const bad of [N + 1, 0, -2, 1.5]) {
      const msg = engramMessage(() => parseMode({ kind: 'topk', k: bad }, N, 'memory.readMode[1]'));
      expect(msg).toMatch(/^memory\.readMode\[1\]\.k: /);
      expect(msg).toContain(`k=${bad}`);
    }
  });

  it('rejects tau <= 0 (and NaN), naming the field .tau', () => {
    for (const bad of [0, -1, Number.NaN]) {
      expect(engramMessage(() => parseMode({ kind: 'gumbel', tau: bad }, N, 'memory.writeMode[0]'))).toMatch(/^memory\.writeMode\[0\]\.tau: /);
    }
  });

  it('rejects an unknown kind, naming the field and the known kinds', () => {
    const msg = engramMessage(() => parseMode('argmax' as never, N, 'memory.readMode[0]'));
    expect(msg).toMatch(/^memory\.readMode\[0\]: unknown addressing mode 'argmax'/);
    for (const k of MODE_KINDS) expect(msg).toContain(k);
    expect(engramMessage(() => parseMode({ kind: 'nope' } as never, N, 'x'))).toMatch(/^x: unknown/);
  });

  it('isDiscrete is true exactly for hard, gumbel, topk, reinforce', () => {
    expect(MODE_KINDS.map((kind) => isDiscrete(parseMode(kind, N, 'f')))).toEqual([false, false, true, true, true, true]);
  });
});

// soft weights [B=2][H=3][N] from random logits
const logits = randomT3([2, 3, N], mulberry32(71), 2);
const soft = softmaxRows(logits);
const proj = randomT3([2, 3, N], mulberry32(72));
const argmaxOf = (row: number[]) => row.indexOf(Math.max(...row));
const oneHotAt = (row: number[]) => row.map((_, i) => (i === argmaxOf(row) ? 1 : 0));

/** Gradient w.r.t. the logits of sum(mode(softmax(logits)) * proj). */
function gradThrough(mode: AddressingMode, ctx: Parameters<typeof applyMode>[2]): T3 {
  return tf.tidy(() => {
    const p = tf.tensor3d(proj);
    const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(applyMode(mode, tf.softmax(z) as tf.Tensor3D, ctx).dense, p)) as tf.Scalar)(tf.tensor3d(logits));
    return arr<T3>(g);
  });
}

function denseOf(mode: AddressingMode, ctx: Parameters<typeof applyMode>[2], w: T3 = soft): T3 {
  return tf.tidy(() => arr<T3>(applyMode(mode, tf.tensor3d(w), ctx).dense));
}

describe('hard mode', () => {
  const hard = parseMode('hard', N, 'f');

  it('forward is exactly one-hot at the argmax', () => {
    const out = denseOf(hard, { training: true });
    expect(out).toEqual(soft.map((hs) => hs.map(oneHotAt)));
  });

  it('gradient is non-zero and equals the soft gradient (straight-through)', () => {
    const g = gradThrough(hard, { training: true });
    const gSoft = gradThrough({ kind: 'soft' }, { training: true });
    expect(Math.max(...flat(g).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(maxDiff(g, gSoft)).toBeLessThan(1e-7);
  });
});

describe('topk mode', () => {
  const k = 3;
  const topk = parseMode({ kind: 'topk', k }, N, 'f');

  it('exactly k non-zero weights, summing to 1, at the k largest soft weights', () => {
    const { dense, indices, values } = tf.tidy(() => {
      const r = applyMode(topk, tf.tensor3d(soft), { training: true });
      return { dense: arr<T3>(r.dense), indices: arr<T3>(r.sparse!.indices), values: arr<T3>(r.sparse!.values) };
    });
    dense.forEach((hs, b) =>
      hs.forEach((row, h) => {
        const src = soft[b]![h]!;
        const largest = [...src.keys()].sort((i, j) => src[j]! - src[i]!).slice(0, k);
        const nonZero = [...row.keys()].filter((i) => row[i] !== 0);
        expect(nonZero.sort()).toEqual([...largest].sort());
        expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-6);
        // renormalised: proportional to the soft weights on the kept rows
        const total = largest.reduce((s, i) => s + src[i]!, 0);
        for (const i of largest) expect(Math.abs(row[i]! - src[i]! / total)).toBeLessThan(1e-6);
        expect([...indices[b]![h]!].sort()).toEqual([...largest].sort());
        expect(values[b]![h]!.map((v, j) => Math.abs(v - row[indices[b]![h]![j]!]!)).every((d) => d === 0)).toBe(true);
      }),
    );
  });

  it("gradient flows only to the kept weights, and equals the renormalisation's gradient there", () => {
    const w = tf.tensor3d(soft);
    const p = tf.tensor3d(proj);
    const g = arr<T3>(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(sparseToDense(topkWeights(x as tf.Tensor3D, k), N), p)) as tf.Scalar)(w));
    soft.forEach((hs, b) =>
      hs.forEach((src, h) => {
        const kept = [...src.keys()].sort((i, j) => src[j]! - src[i]!).slice(0, k);
        const total = kept.reduce((s, i) => s + src[i]!, 0);
        const pr = proj[b]![h]!;
        // d/dw_i of sum_j p_j w_j / S = p_i / S - sum_j p_j w_j / S^2 for i kept, 0 otherwise
        const mean = kept.reduce((s, j) => s + pr[j]! * src[j]!, 0) / (total * total);
        const expected = src.map((_, i) => (kept.includes(i) ? pr[i]! / total - mean : 0));
        expect(maxDiff(g[b]![h]!, expected)).toBeLessThan(1e-4);
        for (let i = 0; i < N; i++) if (!kept.includes(i)) expect(g[b]![h]![i]).toBe(0);
      }),
    );
    tf.dispose([w, p]);
  });

  it('k = 1 gives exactly 1 at the argmax; all-zero weights give finite values and gradients', () => {
    const one = tf.tidy(() => arr<T3>(topkWeights(tf.tensor3d(soft), 1).values));
    expect(one.flat(2).every((v) => v === 1)).toBe(true);
    const z = tf.zeros([1, 2, N]) as tf.Tensor3D;
    const vals = topkWeights(z, 3).values;
    expect(arr(vals)).toEqual([
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
    ]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(topkWeights(x as tf.Tensor3D, 3).values) as tf.Scalar)(z);
    expect(flat(g).every(Number.isFinite)).toBe(true);
    tf.dispose([z, vals, g]);
  });

  it('k = N keeps every weight (the soft weights)', () => {
    expect(maxDiff(denseOf(parseMode({ kind: 'topk', k: N }, N, 'f'), { training: true }), soft)).toBeLessThan(1e-6);
  });
});

describe('gumbel mode', () => {
  const gumbel = parseMode({ kind: 'gumbel', tau: 0.5 }, N, 'f');

  it('the same Rng seed gives the identical sample, a different seed a different one', () => {
    const a = denseOf(gumbel, { training: true, rng: new Rng(5) });
    const b = denseOf(gumbel, { training: true, rng: new Rng(5) });
    const c = denseOf(gumbel, { training: true, rng: new Rng(6) });
    expect(a).toEqual(b);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-3);
    // successive draws of one generator differ
    const rng = new Rng(5);
    expect(maxDiff(denseOf(gumbel, { training: true, rng }), denseOf(gumbel, { training: true, rng }))).toBeGreaterThan(1e-3);
  });

  it('samples are distributions that differ from the soft weights', () => {
    const out = denseOf(gumbel, { training: true, rng: new Rng(7) });
    for (const row of out.flat()) expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-5);
    expect(maxDiff(out, soft)).toBeGreaterThan(1e-2);
  });

  it('tau = 0.01 gives a near one-hot sample (max > 0.99); the ctx.tau override does the same', () => {
    const sharp = denseOf(parseMode({ kind: 'gumbel', tau: 0.01 }, N, 'f'), { training: true, rng: new Rng(8) });
    for (const row of sharp.flat()) expect(Math.max(...row)).toBeGreaterThan(0.99);
    const overridden = denseOf(gumbel, { training: true, rng: new Rng(8), tau: 0.01 });
    expect(maxDiff(overridden, sharp)).toBeLessThan(1e-6);
    const warm = denseOf(gumbel, { training: true, rng: new Rng(8) });
    expect(Math.min(...warm.flat().map((r) => Math.max(...r)))).toBeLessThan(0.99);
  });

  it('hard = true gives an exact one-hot with a straight-through gradient', () => {
    const hardG = parseMode({ kind: 'gumbel', tau: 0.5, hard: true }, N, 'f');
    const out = denseOf(hardG, { training: true, rng: new Rng(9) });
    const softSample = denseOf(gumbel, { training: true, rng: new Rng(9) });
    expect(out).toEqual(softSample.map((hs) => hs.map(oneHotAt)));
    const g = gradThrough(hardG, { training: true, rng: new Rng(9) });
    const gs = gradThrough(gumbel, { training: true, rng: new Rng(9) });
    expect(Math.max(...flat(g).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(maxDiff(g, gs)).toBeLessThan(1e-6);
  });

  it('training without an rng throws an EngramError naming step(options.rng)', () => {
    expect(engramMessage(() => tidy(() => applyMode(gumbel, tf.tensor3d(soft), { training: true })))).toMatch(/^step\(options\.rng\)/);
  });
});

describe('evaluation mode (training: false)', () => {
  // a diffuse distribution too (max weight ~ 0.12), where w / (w + eps) is furthest from 1
  const flatSoft = softmaxRows(randomT3([2, 3, N], mulberry32(73), 0.2));
  for (const spec of ['hard', { kind: 'gumbel', tau: 0.5 }, { kind: 'gumbel', tau: 0.5, hard: true }, { kind: 'topk', k: 3 }] as const) {
    const mode = parseMode(spec, N, 'f');
    it(`${JSON.stringify(spec)} gives one-hot at the argmax of the soft weights (no rng needed)`, () => {
      for (const w of [soft, flatSoft]) {
        const out = denseOf(mode, { training: false }, w);
        expect(out).toEqual(w.map((hs) => hs.map(oneHotAt)));
      }
    });
  }

  it('soft and sparsemax are unchanged', () => {
    for (const kind of ['soft', 'sparsemax'] as const) {
      const mode = parseMode(kind, N, 'f');
      const t = tf.tensor3d(soft);
      const r = applyMode(mode, t, { training: false });
      expect(r.sparse).toBeUndefined();
      expect(arr(r.dense)).toEqual(arr(t));
      t.dispose();
    }
  });
});
