// Pointer arithmetic and the SIMD building blocks every kernel uses. All pointers are byte
// offsets into this module's linear memory; the host copies the inputs in and the outputs out.

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
