/**
 * The dense products of the whole-sequence kernel as plain loops over row-major float32 arrays
 * (the JavaScript side of the WebAssembly twins in packages/controller/assembly/dense.ts), every
 * inner loop running along a contiguous row, sums formed in float64.
 *
 * Dimension names: K rows of a weight matrix (its input width), J its columns (output width),
 * and any number of `rows` on the other side. A weight slice is given as the matrix and the
 * first of its rows (`wRow`): the LSTM kernel's rows for x, for the reads and for h.
 */

/** A float64 work row, kept between calls. */
let row64 = new Float64Array(64);
function workRow(n: number): Float64Array {
  if (row64.length < n) row64 = new Float64Array(n);
  return row64;
}

/** out `[rows, J]` (+)= a `[rows, K]` · w[wRow..wRow+K] `[K, J]`. */
export function product(out: Float32Array, a: Float32Array, rows: number, K: number, w: Float32Array, wRow: number, J: number, accumulate: boolean): void {
  const acc = workRow(J);
  for (let r = 0; r < rows; r++) {
    const o = r * J;
    for (let j = 0; j < J; j++) acc[j] = accumulate ? out[o + j]! : 0;
    for (let k = 0; k < K; k++) {
      const aik = a[r * K + k]!;
      if (aik === 0) continue;
      const wo = (wRow + k) * J;
      for (let j = 0; j < J; j++) acc[j] = acc[j]! + aik * w[wo + j]!;
    }
    for (let j = 0; j < J; j++) out[o + j] = acc[j]!;
  }
}

/** out `[rows, K]` (+)= dz `[rows, J]` · w[wRow..wRow+K]^T: the gradient of a product's input. */
export function productTransposed(
  out: Float32Array,
  dz: Float32Array,
  rows: number,
  J: number,
  w: Float32Array,
  wRow: number,
  K: number,
  accumulate: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const zo = r * J;
    for (let k = 0; k < K; k++) {
      const wo = (wRow + k) * J;
      let s = 0;
      for (let j = 0; j < J; j++) s += dz[zo + j]! * w[wo + j]!;
      out[r * K + k] = accumulate ? out[r * K + k]! + s : s;
    }
  }
}

/** out `[K, J]` = a^T · dz with a `[rows, K]`, dz `[rows, J]`: a product's weight gradient, summed over the rows. */
export function transposedProduct(out: Float32Array, a: Float32Array, rows: number, K: number, dz: Float32Array, J: number): void {
  const acc = workRow(J);
  for (let k = 0; k < K; k++) {
    acc.fill(0, 0, J);
    for (let r = 0; r < rows; r++) {
      const ark = a[r * K + k]!;
      if (ark === 0) continue;
      const zo = r * J;
      for (let j = 0; j < J; j++) acc[j] = acc[j]! + ark * dz[zo + j]!;
    }
    for (let j = 0; j < J; j++) out[k * J + j] = acc[j]!;
  }
}

/** sum `[J]` = Σ_rows x[row, :]: a bias gradient. */
export function sumRows(sum: Float32Array, x: Float32Array, rows: number, J: number): void {
  const acc = workRow(J);
  acc.fill(0, 0, J);
  for (let r = 0; r < rows; r++) for (let j = 0; j < J; j++) acc[j] = acc[j]! + x[r * J + j]!;
  for (let j = 0; j < J; j++) sum[j] = acc[j]!;
}
