/**
 * @engram/tensor: seeded Rng, EngramError, ShapeScope, backend parsing, stopGradient, tidy.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { check, currentBackend, EngramError, initBackend, parseBackend, Rng, shapes, ShapeScope, stopGradient, tidy, variableFrom } from '../src/index.ts';

const draws = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

describe('Rng', () => {
  it('the same seed gives the same stream; a different seed a different one', () => {
    expect(draws(new Rng(42), 20)).toEqual(draws(new Rng(42), 20));
    expect(draws(new Rng('42'), 5)).toEqual(draws(new Rng(42), 5));
    expect(draws(new Rng(43), 20)).not.toEqual(draws(new Rng(42), 20));
    for (const x of draws(new Rng(1), 200)) expect(x >= 0 && x < 1).toBe(true);
  });

  it('continues identically after restoring state(), without disturbing the original', () => {
    const r = new Rng(7);
    draws(r, 13);
    r.normal();
    const saved = r.state();
    const copy = new Rng({ state: saved });
    const expected = [...draws(r, 10), r.normal(), r.gumbel(), r.int(3, 9)];
    const got = [...draws(copy, 10), copy.normal(), copy.gumbel(), copy.int(3, 9)];
    expect(got).toEqual(expected);
    // the state is a JSON-serialisable snapshot
    const again = new Rng({ state: JSON.parse(JSON.stringify(r.state())) });
    expect(draws(again, 5)).toEqual(draws(r, 5));
  });

  it('tensors depend only on the seed', () => {
    const a = new Rng(3).normalTensor([4, 5], 1, 2);
    const b = new Rng(3).normalTensor([4, 5], 1, 2);
    const c = new Rng(4).normalTensor([4, 5], 1, 2);
    expect(a.arraySync()).toEqual(b.arraySync());
    expect(a.arraySync()).not.toEqual(c.arraySync());
    expect(a.shape).toEqual([4, 5]);
    const g = new Rng(5).glorotTensor([6, 10]);
    const limit = Math.sqrt(6 / 16);
    for (const v of g.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(limit);
    tf.dispose([a, b, c, g]);
  });

  it('int is in [lo, hi] and hits both ends; normal and gumbel have the right moments', () => {
    const r = new Rng(11);
    const ints = Array.from({ length: 500 }, () => r.int(2, 5));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4, 5]));
    const n = Array.from({ length: 4000 }, () => r.normal());
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const variance = n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
    const g = Array.from({ length: 4000 }, () => r.gumbel());
    expect(g.every(Number.isFinite)).toBe(true);
    expect(Math.abs(g.reduce((s, x) => s + x, 0) / g.length - 0.5772)).toBeLessThan(0.1); // Euler-Mascheroni
  });

  it('fork gives a deterministic child stream different from the parent', () => {
    const p1 = new Rng(9);
    const p2 = new Rng(9);
    const c1 = p1.fork();
    const c2 = p2.fork();
    expect(draws(c1, 5)).toEqual(draws(c2, 5));
    expect(draws(p1, 5)).toEqual(draws(p2, 5));
    expect(draws(new Rng(9).fork(), 5)).not.toEqual(draws(new Rng(9), 5));
  });
});

describe('EngramError', () => {
  it('formats the message as `field: problem; fix` and keeps the parts', () => {
    const e = new EngramError('memory.slots', '0 is not a positive integer', 'use N >= 1');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('EngramError');
    expect(e.message).toBe('memory.slots: 0 is not a positive integer; use N >= 1');
    expect(e.field).toBe('memory.slots');
    expect(e.fix).toBe('use N >= 1');
    expect(e.message.includes('\n')).toBe(false);
  });

  it('check throws only when the condition fails', () => {
    expect(() => check(true, 'f', 'p', 'x')).not.toThrow();
    expect(() => check(false, 'f', 'bad', 'do this')).toThrow(new EngramError('f', 'bad', 'do this'));
    expect(() => check(false, 'f', 'bad', 'do this')).toThrow(/^f: bad; do this$/);
  });
});

describe('ShapeScope', () => {
  const t = (shape: number[]) => tf.zeros(shape);

  it('names the argument and the expected shape on a rank mismatch', () => {
    const x = t([2, 3]);
    expect(() => shapes('read').check('memory', x, ['B', 'N', 'M'])).toThrow(EngramError);
    expect(() => shapes('read').check('memory', x, ['B', 'N', 'M'])).toThrow(/^read\(memory\): expected shape \[B,N,M\] but got \[2,3\]/);
    x.dispose();
  });

  it('names the dimension on a fixed-size mismatch', () => {
    const x = t([2, 4]);
    expect(() => shapes('step').check('controllerOutput', x, ['B', 5])).toThrow(/^step\(controllerOutput\): dimension 1 should be 5 but is 4/);
    x.dispose();
  });

  it('binds named dimensions across arguments and names the one that disagrees', () => {
    const a = t([2, 7, 3]);
    const b = t([2, 4, 5]);
    const s = new ShapeScope('write');
    expect(s.check('memory', a, ['B', 'N', 'M'])).toBe(a);
    expect(() => s.check('add', b, ['B', 'W', 'M'])).toThrow(/^write\(add\): dimension M is 5 here but 3 in an earlier argument/);
    expect(s.size('N')).toBe(7);
    expect(() => s.size('Q')).toThrow(/^write: dimension Q was never bound/);
    tf.dispose([a, b]);
  });
});

describe('backend', () => {
  it('parseBackend accepts known names in any case and rejects others, naming the field', () => {
    expect(parseBackend(' WASM ', '--backend')).toBe('wasm');
    expect(parseBackend('auto', 'ENGRAM_BACKEND')).toBe('auto');
    expect(parseBackend('cpu', 'x')).toBe('cpu');
    expect(() => parseBackend('gpu', 'ENGRAM_BACKEND')).toThrow(EngramError);
    expect(() => parseBackend('gpu', 'ENGRAM_BACKEND')).toThrow(/^ENGRAM_BACKEND: unknown backend 'gpu'; use one of auto, node, wasm, webgl, cpu/);
    expect(parseBackend('WebGL', '--backend')).toBe('webgl');
  });

  it('webgl under Node is an error saying it needs a browser, and the backend in use stays', async () => {
    const before = tf.getBackend();
    await expect(initBackend('webgl', { quiet: true })).rejects.toThrow(
      /^--backend: backend 'webgl' cannot load .*; webgl needs a browser with WebGL: choose wasm or cpu$/,
    );
    expect(tf.getBackend()).toBe(before);
  });

  it('initBackend has run once (by the setup file) and rejects an unknown request before changing anything', async () => {
    const current = currentBackend();
    expect(current).toBeDefined();
    expect(tf.getBackend()).toBe(current!.tfName);
    await expect(initBackend('gpu', { quiet: true })).rejects.toThrow(/^--backend: unknown backend 'gpu'/);
    expect(await initBackend(undefined, { quiet: true })).toBe(current);
    expect(tf.getBackend()).toBe(current!.tfName);
  });
});

describe('stopGradient and tidy', () => {
  it('blocks gradients: d/dx sum(stopGradient(x) * x) = x', () => {
    const x = tf.tensor1d([1.5, -2, 3, 0.25]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stopGradient(v), v)) as tf.Scalar)(x);
    expect(Array.from(g.dataSync())).toEqual([1.5, -2, 3, 0.25]);
    tf.dispose([x, g]);
  });

  it('keeps the value and restores recording afterwards: d/dx sum(stopGradient(x) * x + x^2) = 3x', () => {
    const x = tf.tensor1d([1, 2, -3]);
    const g = tf.grad((v: tf.Tensor) => {
      const s = stopGradient(v);
      expect(Array.from(s.dataSync())).toEqual([1, 2, -3]);
      return tf.sum(tf.add(tf.mul(s, v), tf.square(v))) as tf.Scalar;
    })(x);
    expect(Array.from(g.dataSync())).toEqual([3, 6, -9]);
    tf.dispose([x, g]);
  });

  it('tidy keeps the tensors of a returned record and disposes the rest', () => {
    const before = tf.memory().numTensors;
    const out = tidy(() => {
      const a = tf.ones([3]);
      const b = tf.add(a, 1);
      return { sum: tf.sum(b), nested: [tf.mul(b, 2)] };
    });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(out.sum.dataSync()[0]).toBe(6);
    tf.dispose([out.sum, ...out.nested]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('variableFrom makes a trainable variable and frees the initial tensor', () => {
    const before = tf.memory().numTensors;
    const init = tf.tensor1d([1, 2]);
    const v = variableFrom(init);
    expect(init.isDisposed).toBe(true);
    expect(v.trainable).toBe(true);
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    expect(tf.memory().numTensors).toBe(before + 1);
    v.dispose();
  });
});
