/**
 * Finite differences, nested-array flattening and seeded random nested arrays for gradient checks.
 *
 * `seedrandom` is a dependency of @engram/tensor but not of @engram/memory, so it does not resolve
 * from this package under pnpm; a small mulberry32 generator is used instead.
 */
import type { Nested } from './ntm64.ts';

/** A generator of uniform draws in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny seeded 32-bit PRNG giving uniform draws in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Central-difference gradient of a scalar function: g_i = (f(x + h e_i) − f(x − h e_i)) / 2h.
 * `x` is not modified. Error is O(h²) in truncation plus O(ε_machine · |f| / h) in rounding.
 */
export function centralDifference(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  const probe = [...x];
  return x.map((xi, i) => {
    probe[i] = xi + h;
    const plus = f(probe);
    probe[i] = xi - h;
    const minus = f(probe);
    probe[i] = xi;
    return (plus - minus) / (2 * h);
  });
}

/** Flattens a rectangular nested array (or a scalar) in row-major order, returning its shape. */
export function flatten(nested: Nested | number): { values: number[]; shape: number[] } {
  if (typeof nested === 'number') return { values: [nested], shape: [] };
  if (nested.length === 0) return { values: [], shape: [0] };
  const parts = (nested as (Nested | number)[]).map((x) => flatten(x));
  const inner = parts[0]?.shape ?? [];
  for (const p of parts) {
    if (p.shape.length !== inner.length || p.shape.some((d, i) => d !== inner[i])) {
      throw new RangeError(`ragged nested array: [${p.shape.join(',')}] vs [${inner.join(',')}]`);
    }
  }
  return { values: parts.flatMap((p) => p.values), shape: [nested.length, ...inner] };
}

/** Rebuilds a nested array of the given shape from row-major values (shape [] gives a number). */
export function unflatten<T extends Nested | number = Nested>(values: number[], shape: number[]): T {
  const size = shape.reduce((a, d) => a * d, 1);
  if (values.length !== size) throw new RangeError(`${values.length} values for shape [${shape.join(',')}]`);
  const build = (offset: number, dims: number[]): Nested | number => {
    const [d, ...rest] = dims;
    if (d === undefined) return values[offset] as number;
    const stride = rest.reduce((a, x) => a * x, 1);
    return Array.from({ length: d }, (_, i) => build(offset + i * stride, rest)) as Nested;
  };
  return build(0, shape) as T;
}

/** A nested array of the given shape with entries uniform in [−scale, scale), drawn from `rng`. */
export function randomNested<T extends Nested | number = Nested>(shape: number[], rng: Rng, scale = 1): T {
  const size = shape.reduce((a, d) => a * d, 1);
  const values = Array.from({ length: size }, () => (2 * rng() - 1) * scale);
  return unflatten<T>(values, shape);
}

/**
 * Central-difference gradient of a scalar function of a nested array, in the same shape as `x`.
 */
export function numericGradient<T extends Nested>(f: (x: T) => number, x: T, h = 1e-6): T {
  const { values, shape } = flatten(x);
  const g = centralDifference((v) => f(unflatten<T>(v, shape)), values, h);
  return unflatten<T>(g, shape);
}

/** The largest |a − b| over two nested arrays of the same shape. */
export function maxAbsDiff(a: Nested | number, b: Nested | number): number {
  const fa = flatten(a);
  const fb = flatten(b);
  if (fa.shape.join(',') !== fb.shape.join(',')) {
    throw new RangeError(`shape mismatch: [${fa.shape.join(',')}] vs [${fb.shape.join(',')}]`);
  }
  return fa.values.reduce((m, v, i) => Math.max(m, Math.abs(v - (fb.values[i] as number))), 0);
}
