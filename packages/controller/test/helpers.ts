import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/tensor';
import type { Controller } from '../src/index.ts';
import type { Mat, Params } from './reference/controller64.ts';

/** Every weight of a controller as float64 reference params (same paths). */
export function params64(ctrl: Controller): Params {
  return Object.fromEntries(Object.entries(ctrl.namedVariables).map(([k, v]) => [k, { shape: v.shape, data: Float64Array.from(v.dataSync()) }]));
}

/** T random `[B][n]` matrices in [lo, hi), from a seeded Rng. */
export function randomMats(seed: number, t: number, b: number, n: number, lo = -1, hi = 1): Mat[] {
  const rng = new Rng(seed);
  return Array.from({ length: t }, () => Array.from({ length: b }, () => Array.from({ length: n }, () => lo + (hi - lo) * rng.next())));
}

/** Overwrites every variable with seeded uniform values in [lo, hi) (so zero-initialised ones matter too). */
export function randomise(ctrl: Controller, seed: number, lo = -0.8, hi = 0.8): void {
  const rng = new Rng(seed);
  for (const v of ctrl.variables) tf.tidy(() => v.assign(rng.uniformTensor(v.shape, lo, hi)));
}

/** max |a - b| / max(1e-3, max |b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / Math.max(1e-3, scale);
}

/** max |a - b| over equally long flat arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}
