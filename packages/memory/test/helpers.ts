/**
 * Shared helpers for the tfjs-vs-float64 tests: conversions, error measures and a gradient
 * check that compares tfjs (float32) gradients with central differences of the ntm64 oracle.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { flatten, mulberry32, numericGradient, randomNested, type Rng as RefRng } from './reference/finiteDiff.ts';
import type { Mat, Nested, T3, Vec } from './reference/ntm64.ts';

export { mulberry32, randomNested, flatten };
export type { Mat, Nested, T3, Vec, RefRng };

/** A tensor's values as a nested array (rank 1..4), or a number for a scalar. */
export function arr<T extends Nested | number = Nested>(t: tf.Tensor): T {
  return t.arraySync() as unknown as T;
}

/** Flat values of a nested array or a tensor. */
export function flat(x: Nested | number | tf.Tensor): number[] {
  if (x instanceof tf.Tensor) return Array.from(x.dataSync());
  return flatten(x).values;
}

/** max |a - b| over equally shaped arrays / tensors; throws on a shape mismatch. */
export function maxDiff(a: Nested | number | tf.Tensor, b: Nested | number | tf.Tensor): number {
  const sa = a instanceof tf.Tensor ? a.shape : flatten(a).shape;
  const sb = b instanceof tf.Tensor ? b.shape : flatten(b).shape;
  if (sa.join(',') !== sb.join(',')) throw new RangeError(`shape mismatch: [${sa.join(',')}] vs [${sb.join(',')}]`);
  const fa = flat(a);
  const fb = flat(b);
  return fa.reduce((m, v, i) => Math.max(m, Math.abs(v - (fb[i] as number))), 0);
}

/** max|a - b| / max(1e-3, max|b|): the relative error of `a` against the reference `b`. */
export function relErr(a: Nested | number | tf.Tensor, b: Nested | number | tf.Tensor): number {
  const scale = flat(b).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return maxDiff(a, b) / Math.max(1e-3, scale);
}

/** True when every value is finite. */
export function allFinite(x: Nested | number | tf.Tensor): boolean {
  return flat(x).every((v) => Number.isFinite(v));
}

/** Elementwise sum over a nested array of sum(x * p). */
export function dotNested(x: Nested | number, p: Nested | number): number {
  const fx = flatten(x).values;
  const fp = flatten(p).values;
  if (fx.length !== fp.length) throw new RangeError(`dotNested: ${fx.length} vs ${fp.length}`);
  return fx.reduce((s, v, i) => s + v * (fp[i] as number), 0);
}

/** Maps every number of a nested array. */
export function mapNested<T extends Nested>(x: T, f: (v: number) => number): T {
  return (x as (Nested | number)[]).map((y) => (typeof y === 'number' ? f(y) : mapNested(y, f))) as T;
}

/** Softmax of each last-axis vector (float64). */
export function softmaxRows<T extends Nested>(x: T): T {
  if (x.length === 0 || typeof x[0] === 'number') {
    const v = x as Vec;
    const m = Math.max(...v);
    const e = v.map((z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((z) => z / s) as T;
  }
  return (x as Nested[]).map((y) => softmaxRows(y)) as T;
}

/**
 * Gradient check. `tfFn` and `refFn` compute the same function of the same inputs (tfjs,
 * float32 / ntm64, float64). The scalar is sum(output * P) for a fixed random projection P.
 * Asserts, for every input, max|tf grad - numeric grad| / max(1e-3, max|numeric grad|) < tol,
 * and that the numeric gradient is not identically zero (so the check can fail).
 * Returns the relative errors per input.
 */
export function checkGradients<A extends Nested[]>(
  tfFn: (...xs: tf.Tensor[]) => tf.Tensor,
  refFn: (...xs: A) => Nested,
  inputs: A,
  options: { seed?: number; tol?: number; h?: number; only?: number[]; allowZero?: number[] } = {},
): number[] {
  const tol = options.tol ?? 1e-3;
  const refOut = refFn(...inputs);
  const proj = randomNested<Nested>(flatten(refOut).shape, mulberry32(options.seed ?? 4242));
  const which = options.only ?? inputs.map((_, i) => i);
  const tfGrads = tf.tidy(() => {
    const ts = inputs.map((x) => tf.tensor(x as number[]));
    const projT = tf.tensor(proj as number[]);
    const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tfFn(...xs), projT)))(ts);
    return which.map((i) => (g[i] as tf.Tensor).arraySync() as Nested);
  });
  return which.map((i, j) => {
    const numeric = numericGradient(
      (x: Nested) => {
        const args = [...inputs] as Nested[];
        args[i] = x;
        return dotNested(refFn(...(args as A)), proj);
      },
      inputs[i] as Nested,
      options.h ?? 1e-6,
    );
    const err = relErr(tfGrads[j] as Nested, numeric);
    if (!options.allowZero?.includes(i)) {
      expect(Math.max(...flatten(numeric).values.map(Math.abs)), `numeric gradient of input ${i} is zero`).toBeGreaterThan(1e-6);
    }
    expect(err, `gradient of input ${i}`).toBeLessThan(tol);
    return err;
  });
}

/** Random [B][H] array mapped through `f`. */
export function randomMat(b: number, h: number, rng: RefRng, f: (x: number) => number = (x) => x): Mat {
  return randomNested<Mat>([b, h], rng).map((r) => r.map(f));
}

/** Random [d0][d1][d2] array, uniform in [-scale, scale). */
export function randomT3(shape: [number, number, number], rng: RefRng, scale = 1): T3 {
  return randomNested<T3>(shape, rng, scale);
}

/** Disposes every tensor in a nested container. */
export function disposeAll(...xs: tf.TensorContainer[]): void {
  tf.dispose(xs as tf.TensorContainer);
}

/** max|a - b| / max(1e-6, max|b|) over two tensors of one shape (the fused-vs-reference tests' measure). */
export function rel(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)));
    scale = Math.max(scale, Math.abs(y[i] as number));
  }
  return diff / Math.max(1e-6, scale);
}

/**
 * Values of f and g (same inputs) and the gradients of sum(out * P) for a random P, w.r.t.
 * every input; returns the largest relative error of each.
 */
export function compare(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  g: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  seed: number,
): { value: number; grads: number[]; absGrads: number[] } {
  return tf.tidy(() => {
    const yf = f(...inputs);
    const yg = g(...inputs);
    const p = tf.tensor(randomNested<number[]>([yg.size], mulberry32(seed)), yg.shape);
    const gf = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), p)))(inputs);
    const gg = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(g(...xs), p)))(inputs);
    return {
      value: rel(yf, yg),
      grads: gf.map((t, i) => rel(t, gg[i] as tf.Tensor)),
      absGrads: gf.map((t, i) => tf.max(tf.abs(tf.sub(t, gg[i] as tf.Tensor))).dataSync()[0] as number),
    };
  });
}
