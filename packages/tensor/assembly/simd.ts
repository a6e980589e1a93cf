// Pointer arithmetic and the SIMD building blocks of every package's WebAssembly twins (its
// assembly/ folder). All pointers are byte offsets into the module's linear memory; the host
// (src/kernels/wasmKernels.ts) copies the inputs in and the outputs out.

/** Address of element `i` of a float32 array at `p`. */
@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Element `i` of a float32 array at `p`. */
@inline export function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

@inline export function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/** Element `i` of a float64 array at `p`. */
@inline export function ld64(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline export function st64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** sum_j a_j b_j over `n` float32s, accumulated in four float32 lanes, the tail in float64. */
@inline export function dot(a: usize, b: usize, n: i32): f64 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(a, j)), v128.load(at(b, j))));
  let s = <f64>hsum(acc);
  for (; j < n; j++) s += <f64>ld(a, j) * <f64>ld(b, j);
  return s;
}

/** Zeroes `n` float32s at `p`. */
@inline export function zero32(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

/** Zeroes `n` float64s at `p`. */
@inline export function zero64(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 3);
}

// Elementwise functions on four float32 lanes. exp: x = n ln2 + r with |r| <= ln2 / 2, exp(r)
// by Cephes expf's degree-6 polynomial, 2^n from the exponent bits; relative error ~1e-7 over
// the clamped range [-87.3, 88.3] (below it the result is ~0, above it ~3e38, as float32's).

/** e^x on four lanes. */
@inline export function exp4(x: v128): v128 {
  const c = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(c, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(c, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const twoN = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, twoN);
}

/** 1 / (1 + e^-x) on four lanes. */
@inline export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

/**
 * tanh on four lanes: 1 - 2 / (1 + e^2x) for |x| >= 0.625, and Cephes tanhf's odd polynomial
 * x + x^3 P(x^2) below, where the first form would lose the small result to cancellation.
 */
@inline export function tanh4(x: v128): v128 {
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(one, exp4(f32x4.add(x, x)))));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(0.625)));
}
