// The activation of the heads' controls and its vector-Jacobian product: the same equations and
// layout as src/ntm/fused/controlsMath.ts (whose header states them), the width-long controls
// (key, erase, add) four float32 lanes at a time, the scalar ones in float64.
// Dimension names: B batch, W write heads, R read heads, M width, S shift range, L interface length.
import { at, ld, sigmoid4, st, tanh4 } from '../../tensor/assembly/simd';

/** Outputs per group, in order: key, beta, gate, shift, gamma (then erase, add for writes). */
const WRITE_OUTPUTS = 7;

function segmentLength(M: i32, S: i32, isWrite: bool): i32 {
  return M + 2 * S + 4 + (isWrite ? 2 * M : 0);
}

@inline function clamp4(v: v128, clip: f32): v128 {
  return f32x4.min(f32x4.splat(clip), f32x4.max(f32x4.splat(-clip), v));
}

/** dst[j] = tanh or sigmoid (kind 0 / 1) of clip(z[j] + bias[j]) over n floats. */
function activate(kind: i32, z: usize, bias: usize, dst: usize, n: i32, clip: f32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const x = clamp4(f32x4.add(v128.load(at(z, j)), v128.load(at(bias, j))), clip);
    v128.store(at(dst, j), kind == 0 ? tanh4(x) : sigmoid4(x));
  }
  for (; j < n; j++) {
    const x = clamp4(f32x4.splat(ld(z, j) + ld(bias, j)), clip);
    st(dst, j, f32x4.extract_lane(kind == 0 ? tanh4(x) : sigmoid4(x), 0));
  }
}

function softplus(x: f64): f64 {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(x: f64): f64 {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

@inline function clip64(x: f64, clip: f64): f64 {
  return Math.min(clip, Math.max(-clip, x));
}

/** Output pointer k of the group starting at `first` in the 12 output pointers at `outs`. */
@inline function out(outs: usize, first: i32, k: i32): usize {
  return load<usize>(outs + (<usize>(first + k) << 2));
}

/** Stores 12 pointers at `p` (48 bytes); returns p. */
function pointerTable(p: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize, a7: usize, a8: usize, a9: usize, a10: usize, a11: usize): usize {
  store<usize>(p, a0, 0);
  store<usize>(p, a1, 4);
  store<usize>(p, a2, 8);
  store<usize>(p, a3, 12);
  store<usize>(p, a4, 16);
  store<usize>(p, a5, 20);
  store<usize>(p, a6, 24);
  store<usize>(p, a7, 28);
  store<usize>(p, a8, 32);
  store<usize>(p, a9, 36);
  store<usize>(p, a10, 40);
  store<usize>(p, a11, 44);
  return p;
}

function headForward(M: i32, S: i32, clip: f64, z: usize, bias: usize, bh: i32, outs: usize, first: i32, isWrite: bool): void {
  const nShift = 2 * S + 1;
  const c = <f32>clip;
  activate(0, z, bias, at(out(outs, first, 0), bh * M), M, c);
  st(out(outs, first, 1), bh, <f32>softplus(clip64(<f64>ld(z, M) + <f64>ld(bias, M), clip)));
  st(out(outs, first, 2), bh, <f32>sigmoid(clip64(<f64>ld(z, M + 1) + <f64>ld(bias, M + 1), clip)));
  const s0 = M + 2;
  let mx = -Infinity;
  for (let j = 0; j < nShift; j++) mx = Math.max(mx, clip64(<f64>ld(z, s0 + j) + <f64>ld(bias, s0 + j), clip));
  let sum: f64 = 0;
  for (let j = 0; j < nShift; j++) sum += Math.exp(clip64(<f64>ld(z, s0 + j) + <f64>ld(bias, s0 + j), clip) - mx);
  const shift = out(outs, first, 3);
  for (let j = 0; j < nShift; j++) st(shift, bh * nShift + j, <f32>(Math.exp(clip64(<f64>ld(z, s0 + j) + <f64>ld(bias, s0 + j), clip) - mx) / sum));
  st(out(outs, first, 4), bh, <f32>(1 + softplus(clip64(<f64>ld(z, s0 + nShift) + <f64>ld(bias, s0 + nShift), clip))));
  if (isWrite) {
    const e0 = s0 + nShift + 1;
    activate(1, at(z, e0), at(bias, e0), at(out(outs, first, 5), bh * M), M, c);
    activate(0, at(z, e0 + M), at(bias, e0 + M), at(out(outs, first, 6), bh * M), M, c);
  }
}

/**
 * EngramNtmControls: [z bias] -> the 12 outputs (write group's 7, then read group's 5; a group
 * with no heads gets empty arrays). z [B,L], bias [L].
 */
export function ntmControls(
  B: i32, M: i32, S: i32, W: i32, R: i32, clip: f64,
  z: usize, bias: usize,
  o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, o5: usize, o6: usize, o7: usize, o8: usize, o9: usize, o10: usize, o11: usize,
  scratch: usize,
): void {
  // the output pointers as an array in scratch, so a group's k-th output is one load
  const outs = pointerTable(scratch, o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11);
  const wLen = segmentLength(M, S, true);
  const rLen = segmentLength(M, S, false);
  const L = W * wLen + R * rLen;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < W; h++) headForward(M, S, clip, at(z, b * L + h * wLen), at(bias, h * wLen), b * W + h, outs, 0, true);
    for (let h = 0; h < R; h++) {
      const off = W * wLen + h * rLen;
      headForward(M, S, clip, at(z, b * L + off), at(bias, off), b * R + h, outs, WRITE_OUTPUTS, false);
    }
  }
}

/** dz[j] = dy[j] (1 - y[j]^2) (tanh) or dy[j] y[j] (1 - y[j]) (sigmoid, kind 1) over n floats. */
function activationGrad(kind: i32, y: usize, dy: usize, dz: usize, n: i32): void {
  const one = f32x4.splat(1);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(at(y, j));
    const d = kind == 0 ? f32x4.sub(one, f32x4.mul(v, v)) : f32x4.mul(v, f32x4.sub(one, v));
    v128.store(at(dz, j), f32x4.mul(v128.load(at(dy, j)), d));
  }
  for (; j < n; j++) {
    const v = ld(y, j);
    st(dz, j, ld(dy, j) * (kind == 0 ? 1 - v * v : v * (1 - v)));
  }
}

function headBackward(M: i32, S: i32, clip: f64, z: usize, bias: usize, dz: usize, bh: i32, ys: usize, dys: usize, first: i32, isWrite: bool): void {
  const nShift = 2 * S + 1;
  activationGrad(0, at(out(ys, first, 0), bh * M), at(out(dys, first, 0), bh * M), dz, M);
  st(dz, M, <f32>(<f64>ld(out(dys, first, 1), bh) * sigmoid(<f64>ld(z, M) + <f64>ld(bias, M))));
  const g = <f64>ld(out(ys, first, 2), bh);
  st(dz, M + 1, <f32>(<f64>ld(out(dys, first, 2), bh) * g * (1 - g)));
  const s0 = M + 2;
  const shift = out(ys, first, 3);
  const dShift = out(dys, first, 3);
  let dt: f64 = 0;
  for (let j = 0; j < nShift; j++) dt += <f64>ld(shift, bh * nShift + j) * <f64>ld(dShift, bh * nShift + j);
  for (let j = 0; j < nShift; j++) st(dz, s0 + j, <f32>(<f64>ld(shift, bh * nShift + j) * (<f64>ld(dShift, bh * nShift + j) - dt)));
  st(dz, s0 + nShift, <f32>(<f64>ld(out(dys, first, 4), bh) * sigmoid(<f64>ld(z, s0 + nShift) + <f64>ld(bias, s0 + nShift))));
  if (isWrite) {
    const e0 = s0 + nShift + 1;
    activationGrad(1, at(out(ys, first, 5), bh * M), at(out(dys, first, 5), bh * M), at(dz, e0), M);
    activationGrad(0, at(out(ys, first, 6), bh * M), at(out(dys, first, 6), bh * M), at(dz, e0 + M), M);
  }
  // zero where the clip acted, as tf.clipByValue's gradient
  const n = segmentLength(M, S, isWrite);
  for (let k = 0; k < n; k++) if (Math.abs(<f64>ld(z, k) + <f64>ld(bias, k)) > clip) st(dz, k, 0);
}

/**
 * EngramNtmControlsGrad: [z bias y0..y11 dy0..dy11] -> [dz dBias]: dz from the outputs'
 * gradients, zero where the clip acted; dbias = sum over the batch of dz.
 */
export function ntmControlsGrad(
  B: i32, M: i32, S: i32, W: i32, R: i32, clip: f64,
  z: usize, bias: usize,
  y0: usize, y1: usize, y2: usize, y3: usize, y4: usize, y5: usize, y6: usize, y7: usize, y8: usize, y9: usize, y10: usize, y11: usize,
  d0: usize, d1: usize, d2: usize, d3: usize, d4: usize, d5: usize, d6: usize, d7: usize, d8: usize, d9: usize, d10: usize, d11: usize,
  dz: usize, dBias: usize,
  scratch: usize,
): void {
  const ys = pointerTable(scratch, y0, y1, y2, y3, y4, y5, y6, y7, y8, y9, y10, y11);
  const dys = pointerTable(scratch + 48, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11);
  const wLen = segmentLength(M, S, true);
  const rLen = segmentLength(M, S, false);
  const L = W * wLen + R * rLen;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < W; h++) headBackward(M, S, clip, at(z, b * L + h * wLen), at(bias, h * wLen), at(dz, b * L + h * wLen), b * W + h, ys, dys, 0, true);
    for (let h = 0; h < R; h++) {
      const off = W * wLen + h * rLen;
      headBackward(M, S, clip, at(z, b * L + off), at(bias, off), at(dz, b * L + off), b * R + h, ys, dys, WRITE_OUTPUTS, false);
    }
  }
  memory.fill(dBias, 0, <usize>L << 2);
  for (let b = 0; b < B; b++) {
    let k = 0;
    for (; k + 4 <= L; k += 4) v128.store(at(dBias, k), f32x4.add(v128.load(at(dBias, k)), v128.load(at(dz, b * L + k))));
    for (; k < L; k++) st(dBias, k, ld(dBias, k) + ld(dz, b * L + k));
  }
}
