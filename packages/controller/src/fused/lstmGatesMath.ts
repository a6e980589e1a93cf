/**
 * The LSTM cell's elementwise gate math (lstm.ts) as plain loops over Float32Arrays, with the
 * gate bias folded in. With pre-activations z = [x, h] . kernel `[B, 4U]` (gate order i, f, g, o)
 * and bias `[4U]`:
 *
 *     i = sigmoid(z_i + b_i)   f = sigmoid(z_f + b_f)   g = tanh(z_g + b_g)   o = sigmoid(z_o + b_o)
 *     c' = f c + i g           h' = o tanh(c')
 *
 * Dimension names: B batch, U units.
 */

/** Rows of the saved activations per batch row, each `[U]`: i, f, g, o, tanh(c'). */
export const LSTM_AUX_ROWS = 5;

/** tanh(x) = 1 - 2 / (1 + exp(2x)): one exp instead of Math.tanh (about half the cost here), exact to float32. */
function tanh(x: number): number {
  return 1 - 2 / (1 + Math.exp(2 * x));
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Forward pass.
 * @param z `[B, 4U]` pre-activations without bias.
 * @param bias `[4U]`
 * @param c `[B, U]` the previous cell state.
 * @param h outputs `[B, U]` h'; `cNext` `[B, U]` c'; `aux` `[B, 5U]` the activations.
 */
export function lstmGatesForward(
  batch: number,
  units: number,
  z: Float32Array,
  bias: Float32Array,
  c: Float32Array,
  h: Float32Array,
  cNext: Float32Array,
  aux: Float32Array,
): void {
  const U = units;
  for (let b = 0; b < batch; b++) {
    const zb = b * 4 * U;
    const sb = b * U;
    const ab = b * LSTM_AUX_ROWS * U;
    for (let u = 0; u < U; u++) {
      const i = sigmoid(z[zb + u]! + bias[u]!);
      const f = sigmoid(z[zb + U + u]! + bias[U + u]!);
      const g = tanh(z[zb + 2 * U + u]! + bias[2 * U + u]!);
      const o = sigmoid(z[zb + 3 * U + u]! + bias[3 * U + u]!);
      const cn = f * c[sb + u]! + i * g;
      const tc = tanh(cn);
      cNext[sb + u] = cn;
      h[sb + u] = o * tc;
      aux[ab + u] = i;
      aux[ab + U + u] = f;
      aux[ab + 2 * U + u] = g;
      aux[ab + 3 * U + u] = o;
      aux[ab + 4 * U + u] = tc;
    }
  }
}

/**
 * Backward pass: dc'_total = dc' + dh' o (1 - tanh(c')^2); then
 * dz_i = dc'_total g i (1 - i), dz_f = dc'_total c f (1 - f), dz_g = dc'_total i (1 - g^2),
 * dz_o = dh' tanh(c') o (1 - o), dc = dc'_total f, dbias = sum over the batch of dz.
 * @param dh `[B, U]`, `dcNext` `[B, U]` the gradients of the outputs.
 * @param dz output `[B, 4U]`; `dBias` output `[4U]`; `dc` output `[B, U]`.
 */
export function lstmGatesBackward(
  batch: number,
  units: number,
  dh: Float32Array,
  dcNext: Float32Array,
  c: Float32Array,
  aux: Float32Array,
  dz: Float32Array,
  dBias: Float32Array,
  dc: Float32Array,
): void {
  const U = units;
  dBias.fill(0);
  for (let b = 0; b < batch; b++) {
    const zb = b * 4 * U;
    const sb = b * U;
    const ab = b * LSTM_AUX_ROWS * U;
    for (let u = 0; u < U; u++) {
      const i = aux[ab + u]!;
      const f = aux[ab + U + u]!;
      const g = aux[ab + 2 * U + u]!;
      const o = aux[ab + 3 * U + u]!;
      const tc = aux[ab + 4 * U + u]!;
      const gh = dh[sb + u]!;
      const gc = dcNext[sb + u]! + gh * o * (1 - tc * tc);
      const di = gc * g * i * (1 - i);
      const df = gc * c[sb + u]! * f * (1 - f);
      const dg = gc * i * (1 - g * g);
      const dO = gh * tc * o * (1 - o);
      dz[zb + u] = di;
      dz[zb + U + u] = df;
      dz[zb + 2 * U + u] = dg;
      dz[zb + 3 * U + u] = dO;
      dBias[u] = dBias[u]! + di;
      dBias[U + u] = dBias[U + u]! + df;
      dBias[2 * U + u] = dBias[2 * U + u]! + dg;
      dBias[3 * U + u] = dBias[3 * U + u]! + dO;
      dc[sb + u] = gc * f;
    }
  }
}
