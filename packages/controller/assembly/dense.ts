// Dense products on four float32 lanes, for the whole-sequence kernel (packages/model/src/sequence,
// whose denseMath.ts holds the same loops in JavaScript). Row-major arrays; every inner loop runs
// along a contiguous row. Dimension names: K rows of a weight matrix (its input width), J its
// columns (output width), and any number of `rows` on the other side.
import { at, dot, ld, st, zero32 } from '../../tensor/assembly/simd';

/** out[r, :] += a[r, k..k+3] · w[k..k+3, :] for the k of one group of four, lanes over J. */
@inline function addFourRows(out: usize, J: i32, a0: f32, a1: f32, a2: f32, a3: f32, w: usize): void {
  const s0 = f32x4.splat(a0);
  const s1 = f32x4.splat(a1);
  const s2 = f32x4.splat(a2);
  const s3 = f32x4.splat(a3);
  const w1 = w + (<usize>J << 2);
  const w2 = w1 + (<usize>J << 2);
  const w3 = w2 + (<usize>J << 2);
  let j = 0;
  for (; j + 4 <= J; j += 4) {
    let acc = v128.load(at(out, j));
    acc = f32x4.add(acc, f32x4.mul(s0, v128.load(at(w, j))));
    acc = f32x4.add(acc, f32x4.mul(s1, v128.load(at(w1, j))));
    acc = f32x4.add(acc, f32x4.mul(s2, v128.load(at(w2, j))));
    acc = f32x4.add(acc, f32x4.mul(s3, v128.load(at(w3, j))));
    v128.store(at(out, j), acc);
  }
  for (; j < J; j++) st(out, j, ld(out, j) + a0 * ld(w, j) + a1 * ld(w1, j) + a2 * ld(w2, j) + a3 * ld(w3, j));
}

/** out[r, :] += a[r, k] w[k, :] for one k. */
@inline function addRow(out: usize, J: i32, a0: f32, w: usize): void {
  const s0 = f32x4.splat(a0);
  let j = 0;
  for (; j + 4 <= J; j += 4) v128.store(at(out, j), f32x4.add(v128.load(at(out, j)), f32x4.mul(s0, v128.load(at(w, j)))));
  for (; j < J; j++) st(out, j, ld(out, j) + a0 * ld(w, j));
}

/** out `[rows, J]` += a `[rows, K]` · w `[K, J]` (w a pointer to the first of its K rows). */
export function addProduct(out: usize, a: usize, rows: i32, K: i32, w: usize, J: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = at(out, r * J);
    const ar = at(a, r * K);
    let k = 0;
    for (; k + 4 <= K; k += 4) addFourRows(o, J, ld(ar, k), ld(ar, k + 1), ld(ar, k + 2), ld(ar, k + 3), at(w, k * J));
    for (; k < K; k++) addRow(o, J, ld(ar, k), at(w, k * J));
  }
}

/** out `[rows, K]` (+)= dz `[rows, J]` · w^T, w `[K, J]`: each entry one dot product along a row of w. */
export function productTransposed(out: usize, dz: usize, rows: i32, J: i32, w: usize, K: i32, accumulate: bool): void {
  for (let r = 0; r < rows; r++) {
    const zr = at(dz, r * J);
    for (let k = 0; k < K; k++) {
      const s = <f32>dot(zr, at(w, k * J), J);
      st(out, r * K + k, accumulate ? ld(out, r * K + k) + s : s);
    }
  }
}

/** out `[K, J]` = a^T · dz, a `[rows, K]`, dz `[rows, J]`: summed over the rows, four at a time. */
export function transposedProduct(out: usize, a: usize, rows: i32, K: i32, dz: usize, J: i32): void {
  zero32(out, K * J);
  for (let k = 0; k < K; k++) {
    const o = at(out, k * J);
    let r = 0;
    for (; r + 4 <= rows; r += 4) addFourRows(o, J, ld(a, r * K + k), ld(a, (r + 1) * K + k), ld(a, (r + 2) * K + k), ld(a, (r + 3) * K + k), at(dz, r * J));
    for (; r < rows; r++) addRow(o, J, ld(a, r * K + k), at(dz, r * J));
  }
}
