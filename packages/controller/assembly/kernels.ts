// The LSTM cell's gate math (src/fused/lstmGatesMath.ts, whose header states it) on four
// float32 lanes over the units: one entry per fused kernel, each taking the sizes, a pointer per
// input and per output in the kernel's order, then a scratch pointer (unused here).
// Dimension names: B batch, U units; gate order i, f, g, o.
import { at, ld, sigmoid4, st, tanh4, zero32 } from '../../tensor/assembly/simd';
import { addProduct, productTransposed, transposedProduct } from './dense';

/** Rows of the saved activations per batch row, each [U]: i, f, g, o, tanh(c') (LSTM_AUX_ROWS). */
const AUX_ROWS = 5;

export function heapBase(): usize {
  return __heap_base;
}

/** Lanes u..u+3 of gate `gate`'s pre-activation z + bias. */
@inline function preact(z: usize, bias: usize, zb: i32, U: i32, gate: i32, u: i32): v128 {
  return f32x4.add(v128.load(at(z, zb + gate * U + u)), v128.load(at(bias, gate * U + u)));
}

/** Unit u's pre-activation of gate `gate` in every lane (for the tail). */
@inline function splatPreact(z: usize, bias: usize, zb: i32, U: i32, gate: i32, u: i32): v128 {
  return f32x4.splat(ld(z, zb + gate * U + u) + ld(bias, gate * U + u));
}

/** One lane group's activations and state update, from lanes of z, bias and c. */
@inline function cellForward(i: v128, f: v128, g: v128, o: v128, c: v128, sb: i32, ab: i32, U: i32, u: i32, h: usize, cNext: usize, aux: usize): void {
  const cn = f32x4.add(f32x4.mul(f, c), f32x4.mul(i, g));
  const tc = tanh4(cn);
  v128.store(at(cNext, sb + u), cn);
  v128.store(at(h, sb + u), f32x4.mul(o, tc));
  v128.store(at(aux, ab + u), i);
  v128.store(at(aux, ab + U + u), f);
  v128.store(at(aux, ab + 2 * U + u), g);
  v128.store(at(aux, ab + 3 * U + u), o);
  v128.store(at(aux, ab + 4 * U + u), tc);
}

// EngramLstmGates: [z bias c] -> [h cNext aux]
export function lstmGates(B: i32, U: i32, z: usize, bias: usize, c: usize, h: usize, cNext: usize, aux: usize, scratch: usize): void {
  for (let b = 0; b < B; b++) {
    const zb = b * 4 * U;
    const sb = b * U;
    const ab = b * AUX_ROWS * U;
    let u = 0;
    for (; u + 4 <= U; u += 4) {
      const i = sigmoid4(preact(z, bias, zb, U, 0, u));
      const f = sigmoid4(preact(z, bias, zb, U, 1, u));
      const g = tanh4(preact(z, bias, zb, U, 2, u));
      const o = sigmoid4(preact(z, bias, zb, U, 3, u));
      cellForward(i, f, g, o, v128.load(at(c, sb + u)), sb, ab, U, u, h, cNext, aux);
    }
    // the tail, one unit in lane 0 (the other lanes compute and store nothing)
    for (; u < U; u++) {
      const i = sigmoid4(splatPreact(z, bias, zb, U, 0, u));
      const f = sigmoid4(splatPreact(z, bias, zb, U, 1, u));
      const g = tanh4(splatPreact(z, bias, zb, U, 2, u));
      const o = sigmoid4(splatPreact(z, bias, zb, U, 3, u));
      const cn = f32x4.extract_lane(f, 0) * ld(c, sb + u) + f32x4.extract_lane(i, 0) * f32x4.extract_lane(g, 0);
      const tc = f32x4.extract_lane(tanh4(f32x4.splat(cn)), 0);
      st(cNext, sb + u, cn);
      st(h, sb + u, f32x4.extract_lane(o, 0) * tc);
      st(aux, ab + u, f32x4.extract_lane(i, 0));
      st(aux, ab + U + u, f32x4.extract_lane(f, 0));
      st(aux, ab + 2 * U + u, f32x4.extract_lane(g, 0));
      st(aux, ab + 3 * U + u, f32x4.extract_lane(o, 0));
      st(aux, ab + 4 * U + u, tc);
    }
  }
}

/** Stores a lane group of one gate's dz and adds it to dbias. */
@inline function gateGrad(dz: usize, dBias: usize, zb: i32, U: i32, gate: i32, u: i32, v: v128): void {
  v128.store(at(dz, zb + gate * U + u), v);
  v128.store(at(dBias, gate * U + u), f32x4.add(v128.load(at(dBias, gate * U + u)), v));
}

// EngramLstmGatesGrad: [dh dc c aux] -> [dz dBias dc]
export function lstmGatesGrad(B: i32, U: i32, dh: usize, dcNext: usize, c: usize, aux: usize, dz: usize, dBias: usize, dc: usize, scratch: usize): void {
  memory.fill(dBias, 0, <usize>(4 * U) << 2);
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const zb = b * 4 * U;
    const sb = b * U;
    const ab = b * AUX_ROWS * U;
    let u = 0;
    for (; u + 4 <= U; u += 4) {
      const i = v128.load(at(aux, ab + u));
      const f = v128.load(at(aux, ab + U + u));
      const g = v128.load(at(aux, ab + 2 * U + u));
      const o = v128.load(at(aux, ab + 3 * U + u));
      const tc = v128.load(at(aux, ab + 4 * U + u));
      const gh = v128.load(at(dh, sb + u));
      const gc = f32x4.add(v128.load(at(dcNext, sb + u)), f32x4.mul(f32x4.mul(gh, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      const di = f32x4.mul(f32x4.mul(gc, g), f32x4.mul(i, f32x4.sub(one, i)));
      const df = f32x4.mul(f32x4.mul(gc, v128.load(at(c, sb + u))), f32x4.mul(f, f32x4.sub(one, f)));
      const dg = f32x4.mul(f32x4.mul(gc, i), f32x4.sub(one, f32x4.mul(g, g)));
      const dO = f32x4.mul(f32x4.mul(gh, tc), f32x4.mul(o, f32x4.sub(one, o)));
      gateGrad(dz, dBias, zb, U, 0, u, di);
      gateGrad(dz, dBias, zb, U, 1, u, df);
      gateGrad(dz, dBias, zb, U, 2, u, dg);
      gateGrad(dz, dBias, zb, U, 3, u, dO);
      v128.store(at(dc, sb + u), f32x4.mul(gc, f));
    }
    for (; u < U; u++) {
      const i = ld(aux, ab + u);
      const f = ld(aux, ab + U + u);
      const g = ld(aux, ab + 2 * U + u);
      const o = ld(aux, ab + 3 * U + u);
      const tc = ld(aux, ab + 4 * U + u);
      const gh = ld(dh, sb + u);
      const gc = ld(dcNext, sb + u) + gh * o * (1 - tc * tc);
      const d0 = gc * g * i * (1 - i);
      const d1 = gc * ld(c, sb + u) * f * (1 - f);
      const d2 = gc * i * (1 - g * g);
      const d3 = gh * tc * o * (1 - o);
      st(dz, zb + u, d0);
      st(dz, zb + U + u, d1);
      st(dz, zb + 2 * U + u, d2);
      st(dz, zb + 3 * U + u, d3);
      st(dBias, u, ld(dBias, u) + d0);
      st(dBias, U + u, ld(dBias, U + u) + d1);
      st(dBias, 2 * U + u, ld(dBias, 2 * U + u) + d2);
      st(dBias, 3 * U + u, ld(dBias, 3 * U + u) + d3);
      st(dc, sb + u, gc * f);
    }
  }
}

// The whole-sequence NTM kernel's dense products (packages/model/src/sequence): a batched
// product, its two gradients, and one LSTM time step with the weights pinned in this module's
// memory (WasmKernels.pin) so a sequence copies them once. Dimension names: K, J a weight
// matrix's rows and columns; X input width, R*M reads width, U units, L interface length.

// EngramSequence dense: [a w] -> [out], out [rows, J] = a [rows, K] · w [K, J]
export function denseForward(rows: i32, K: i32, J: i32, a: usize, w: usize, out: usize, scratch: usize): void {
  zero32(out, rows * J);
  addProduct(out, a, rows, K, w, J);
}

// [dz w] -> [out], out [rows, K] = dz [rows, J] · (rows wRow..wRow+K of w)^T
export function denseInputGrad(rows: i32, J: i32, K: i32, wRow: i32, dz: usize, w: usize, out: usize, scratch: usize): void {
  productTransposed(out, dz, rows, J, at(w, wRow * J), K, false);
}

// [a dz] -> [out], out [K, J] = a^T · dz
export function denseWeightGrad(rows: i32, K: i32, J: i32, a: usize, dz: usize, out: usize, scratch: usize): void {
  transposedProduct(out, a, rows, K, dz, J);
}

// One step, pinned lstmKernel [X+RM+U, 4U] at k and projection [U, L] at p:
// [xk r h c bias] -> [h' c' aux ξ] with z = xk + r · K_r + h · K_h (xk = x · K_x), the gates,
// then ξ = h' · P. The input copies are work space: z is formed in xk's.
export function lstmSequenceStep(
  B: i32, X: i32, RM: i32, U: i32, L: i32, k: usize, p: usize,
  xk: usize, r: usize, h: usize, c: usize, bias: usize,
  hOut: usize, cOut: usize, aux: usize, xi: usize, scratch: usize,
): void {
  const J = 4 * U;
  addProduct(xk, r, B, RM, at(k, X * J), J);
  addProduct(xk, h, B, U, at(k, (X + RM) * J), J);
  lstmGates(B, U, xk, bias, c, hOut, cOut, aux, scratch);
  zero32(xi, B * L);
  addProduct(xi, hOut, B, U, p, L);
}

// Its backward: [dh dξ dc' c aux] -> [dz dbias dc dr dhPrev] with dh += dξ · P^T first, the
// gates' backward, then dr = dz · K_r^T and dhPrev = dz · K_h^T (dh's copy is work space).
export function lstmSequenceStepGrad(
  B: i32, X: i32, RM: i32, U: i32, L: i32, k: usize, p: usize,
  dh: usize, dXi: usize, dcNext: usize, c: usize, aux: usize,
  dz: usize, dBias: usize, dc: usize, dr: usize, dhPrev: usize, scratch: usize,
): void {
  const J = 4 * U;
  productTransposed(dh, dXi, B, L, p, U, true);
  lstmGatesGrad(B, U, dh, dcNext, c, aux, dz, dBias, dc, scratch);
  productTransposed(dr, dz, B, J, at(k, X * J), RM, false);
  productTransposed(dhPrev, dz, B, J, at(k, (X + RM) * J), U, false);
}
