// NTM addressing of a group of heads with cosine similarity and its vector-Jacobian product:
// the same equations, saved intermediates (aux) and order of work as
// src/ntm/fused/addressMath.ts, whose header states them. The O(N M) sweeps over memory run four
// float32 lanes at a time; the O(N) chains (normalisers, shift, sharpening) run in float64
// scalars, with exp and log in float32 (Mathf: a few times faster, and within the 1e-5 the
// kernels are held to).
// Dimension names: B batch, H heads, N slots, M width, S shift range (L = 2S + 1 shifts).
import { at, dot, ld, ld64, st, st64, zero32, zero64 } from '../../tensor/assembly/simd';

/** Rows of aux per head, in this order (as addressMath.ts's AUX_ROWS). */
const AUX_ROWS = 6;
const K_ROW = 0;
const WC_ROW = 1;
const WG_ROW = 2;
const WS_ROW = 3;
const LW_ROW = 4;
const NORM_ROW = 5;

/** The host's epsilons (src/constants.ts), set once by `configure` so they are written in one place. */
let rowFloorSq: f64 = 0;
let keyNormEpsilon: f64 = 0;
let logEpsilon: f64 = 0;

export function configure(rowNormFloor: f64, keyNormEps: f64, logEps: f64): void {
  rowFloorSq = rowNormFloor * rowNormFloor;
  keyNormEpsilon = keyNormEps;
  logEpsilon = logEps;
}

/** What joins the cosine part of the memory gradient in the same sweep (addressMath.ts's MemoryGradTerm). */
export const TERM_NONE = 0;
export const TERM_READ = 1;
export const TERM_WRITE = 2;

// The scratch region's layout: float64 knInv[H] cur[N] nxt[N] sorted[N] dK[H N] sKK[H] coef[H],
// then float32 dk[H M], then float32 dw[B H N] for the group kernels.
let knInv: usize = 0;
let cur: usize = 0;
let nxt: usize = 0;
let sorted: usize = 0;
let dKs: usize = 0;
let sKK: usize = 0;
let coef: usize = 0;
let dk: usize = 0;
let groupDw: usize = 0;

@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/**
 * Bytes of scratch the kernels need at these sizes (the host passes every entry's leading sizes:
 * B, H, N, M for the memory kernels; the controls' B, M, S, W need only two tables of 12
 * pointers, within the 256-byte minimum).
 */
export function scratchBytes(B: i32, H: i32, N: i32, M: i32): i32 {
  return max(256, 8 * (3 * H + 3 * N + H * N) + 16 + (4 * H * M + 16) + (4 * B * H * N + 16) + 32 * H + 16);
}

/** Lays the scratch region out at `p` (see above); returns the end (the write backward's work area). */
export function carve(p: usize, B: i32, H: i32, N: i32, M: i32): usize {
  knInv = align16(p);
  cur = knInv + (<usize>H << 3);
  nxt = cur + (<usize>N << 3);
  sorted = nxt + (<usize>N << 3);
  dKs = sorted + (<usize>N << 3);
  sKK = dKs + (<usize>(H * N) << 3);
  coef = sKK + (<usize>H << 3);
  dk = align16(coef + (<usize>H << 3));
  groupDw = align16(dk + (<usize>(H * M) << 2));
  return align16(groupDw + (<usize>(B * H * N) << 2));
}

/** The group kernels' weights-gradient buffer [B,H,N] (valid after `carve`). */
export function groupWeightsGrad(): usize {
  return groupDw;
}

function keyNormInverses(key: usize, b: i32, H: i32, M: i32): void {
  for (let h = 0; h < H; h++) {
    const k = at(key, (b * H + h) * M);
    st64(knInv, h, 1 / Math.sqrt(dot(k, k, M) + keyNormEpsilon));
  }
}

/** Cosine scores of every slot of batch row b against every head's key, into the K and NORM rows of aux. */
function cosineScores(b: i32, H: i32, N: i32, M: i32, memory: usize, key: usize, aux: usize): void {
  for (let i = 0; i < N; i++) {
    const r = at(memory, (b * N + i) * M);
    const inv = 1 / Math.sqrt(dot(r, r, M) + rowFloorSq);
    for (let h = 0; h < H; h++) {
      const dt = dot(r, at(key, (b * H + h) * M), M);
      const a0 = (b * H + h) * AUX_ROWS * N;
      st(aux, a0 + K_ROW * N + i, <f32>(dt * inv * ld64(knInv, h)));
      st(aux, a0 + NORM_ROW * N + i, <f32>inv);
    }
  }
}

function softmaxInPlace(z: usize, n: i32): void {
  let mx = -Infinity;
  for (let i = 0; i < n; i++) mx = Math.max(mx, ld64(z, i));
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = <f64>Mathf.exp(<f32>(ld64(z, i) - mx));
    st64(z, i, e);
    sum += e;
  }
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) st64(z, i, ld64(z, i) * inv);
}

/** Heap sort, ascending, of `n` float64s at `a`. */
function sortAscending(a: usize, n: i32): void {
  for (let start = (n >> 1) - 1; start >= 0; start--) siftDown(a, start, n);
  for (let end = n - 1; end > 0; end--) {
    const t = ld64(a, 0);
    st64(a, 0, ld64(a, end));
    st64(a, end, t);
    siftDown(a, 0, end);
  }
}

function siftDown(a: usize, root: i32, n: i32): void {
  let r = root;
  while (true) {
    let child = 2 * r + 1;
    if (child >= n) return;
    if (child + 1 < n && ld64(a, child + 1) > ld64(a, child)) child++;
    if (ld64(a, r) >= ld64(a, child)) return;
    const t = ld64(a, r);
    st64(a, r, ld64(a, child));
    st64(a, child, t);
    r = child;
  }
}

/** Sparsemax in place (Martins & Astudillo 2016), as addressMath.ts's sparsemaxInPlace. */
function sparsemaxInPlace(z: usize, n: i32): void {
  memory.copy(sorted, z, <usize>n << 3);
  sortAscending(sorted, n);
  let cum: f64 = 0;
  let support = 0;
  let supportSum: f64 = 0;
  for (let t = 0; t < n; t++) {
    const zk = ld64(sorted, n - 1 - t);
    cum += zk;
    if (1 + <f64>(t + 1) * zk > cum) {
      support = t + 1;
      supportSum = cum;
    }
  }
  const tau = (supportSum - 1) / <f64>support;
  for (let i = 0; i < n; i++) st64(z, i, Math.max(ld64(z, i) - tau, 0));
}

/** out_i = sum_j dist[j] w[(i + S - j) mod N], in wrap-free segments. */
function circularShift(w: usize, dist: usize, S: i32, n: i32, out: usize): void {
  zero64(out, n);
  for (let j = 0; j <= 2 * S; j++) {
    const sj = <f64>ld(dist, j);
    const o = S - j;
    if (o >= 0) {
      const split = n - o;
      for (let i = 0; i < split; i++) st64(out, i, ld64(out, i) + sj * ld64(w, i + o));
      for (let i = split; i < n; i++) st64(out, i, ld64(out, i) + sj * ld64(w, i + o - n));
    } else {
      const split = -o;
      for (let i = 0; i < split; i++) st64(out, i, ld64(out, i) + sj * ld64(w, i + o + n));
      for (let i = split; i < n; i++) st64(out, i, ld64(out, i) + sj * ld64(w, i + o));
    }
  }
}

/** Forward pass for every head of a group: weights [B,H,N] and aux [B,H,AUX_ROWS,N]. Call `carve` first. */
export function addressForward(
  B: i32,
  H: i32,
  N: i32,
  M: i32,
  S: i32,
  sparse: i32,
  memory: usize,
  key: usize,
  betas: usize,
  gates: usize,
  shiftDist: usize,
  gammas: usize,
  prev: usize,
  weights: usize,
  aux: usize,
): void {
  const L = 2 * S + 1;
  for (let b = 0; b < B; b++) {
    keyNormInverses(key, b, H, M);
    cosineScores(b, H, N, M, memory, key, aux);
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const a0 = bh * AUX_ROWS * N;
      const pb = bh * N;
      const beta = <f64>ld(betas, bh);
      const g = <f64>ld(gates, bh);
      const gamma = <f64>ld(gammas, bh);
      for (let i = 0; i < N; i++) st64(cur, i, beta * <f64>ld(aux, a0 + K_ROW * N + i));
      if (sparse) sparsemaxInPlace(cur, N);
      else softmaxInPlace(cur, N);
      for (let i = 0; i < N; i++) {
        const wc = ld64(cur, i);
        const p = <f64>ld(prev, pb + i);
        st(aux, a0 + WC_ROW * N + i, <f32>wc);
        const wg = p + g * (wc - p);
        st64(cur, i, wg);
        st(aux, a0 + WG_ROW * N + i, <f32>wg);
      }
      circularShift(cur, at(shiftDist, bh * L), S, N, nxt);
      // sharpening: softmax(gamma log(ws + LOG_EPSILON))
      for (let i = 0; i < N; i++) {
        const ws = ld64(nxt, i);
        const lw = <f64>Mathf.log(<f32>(ws + logEpsilon));
        st(aux, a0 + WS_ROW * N + i, <f32>ws);
        st(aux, a0 + LW_ROW * N + i, <f32>lw);
        st64(cur, i, gamma * lw);
      }
      softmaxInPlace(cur, N);
      for (let i = 0; i < N; i++) st(weights, pb + i, <f32>ld64(cur, i));
    }
  }
}

/**
 * Backward pass of {@link addressForward} with `dy` [B,H,N]; the memory gradient joined with
 * the `term` (TERM_READ: termA = the weights [B,H,N], termB = dReads [B,H,M]; TERM_WRITE:
 * termA = the weights, termB = erase [B,H,M], termC = the new memory's gradient [B,N,M]).
 * Call `carve` first.
 */
export function addressBackward(
  B: i32,
  H: i32,
  N: i32,
  M: i32,
  S: i32,
  sparse: i32,
  dy: usize,
  weights: usize,
  aux: usize,
  memory: usize,
  key: usize,
  betas: usize,
  gates: usize,
  shiftDist: usize,
  gammas: usize,
  prev: usize,
  gMemory: usize,
  gKey: usize,
  gBeta: usize,
  gGate: usize,
  gShift: usize,
  gGamma: usize,
  gPrev: usize,
  term: i32,
  termA: usize,
  termB: usize,
  termC: usize,
): void {
  const L = 2 * S + 1;
  const dws = cur;
  const dwg = nxt;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const a0 = bh * AUX_ROWS * N;
      const pb = bh * N;
      const gamma = <f64>ld(gammas, bh);
      const gate = <f64>ld(gates, bh);
      const beta = <f64>ld(betas, bh);
      // sharpening: w = softmax(u), u = gamma log(ws + LOG_EPSILON)
      let dt: f64 = 0;
      for (let i = 0; i < N; i++) dt += <f64>ld(weights, pb + i) * <f64>ld(dy, pb + i);
      let dGamma: f64 = 0;
      for (let i = 0; i < N; i++) {
        const du = <f64>ld(weights, pb + i) * (<f64>ld(dy, pb + i) - dt);
        dGamma += du * <f64>ld(aux, a0 + LW_ROW * N + i);
        st64(dws, i, (du * gamma) / (<f64>ld(aux, a0 + WS_ROW * N + i) + logEpsilon));
      }
      st(gGamma, bh, <f32>dGamma);
      // circular shift: the transpose of the forward segments
      zero64(dwg, N);
      const sb = bh * L;
      const wg0 = a0 + WG_ROW * N;
      for (let j = 0; j < L; j++) {
        const sj = <f64>ld(shiftDist, sb + j);
        const o = S - j;
        let acc: f64 = 0;
        if (o >= 0) {
          const split = N - o;
          for (let i = 0; i < split; i++) {
            const v = ld64(dws, i);
            st64(dwg, i + o, ld64(dwg, i + o) + sj * v);
            acc += v * <f64>ld(aux, wg0 + i + o);
          }
          for (let i = split; i < N; i++) {
            const v = ld64(dws, i);
            st64(dwg, i + o - N, ld64(dwg, i + o - N) + sj * v);
            acc += v * <f64>ld(aux, wg0 + i + o - N);
          }
        } else {
          const split = -o;
          for (let i = 0; i < split; i++) {
            const v = ld64(dws, i);
            st64(dwg, i + o + N, ld64(dwg, i + o + N) + sj * v);
            acc += v * <f64>ld(aux, wg0 + i + o + N);
          }
          for (let i = split; i < N; i++) {
            const v = ld64(dws, i);
            st64(dwg, i + o, ld64(dwg, i + o) + sj * v);
            acc += v * <f64>ld(aux, wg0 + i + o);
          }
        }
        st(gShift, sb + j, <f32>acc);
      }
      // interpolation: wg = prev + gate (wc - prev); dwc is kept in dws
      let dGate: f64 = 0;
      const wc0 = a0 + WC_ROW * N;
      for (let i = 0; i < N; i++) {
        const v = ld64(dwg, i);
        dGate += (<f64>ld(aux, wc0 + i) - <f64>ld(prev, pb + i)) * v;
        st(gPrev, pb + i, <f32>((1 - gate) * v));
        st64(dws, i, gate * v);
      }
      st(gGate, bh, <f32>dGate);
      // the content normaliser's backward, into dws
      if (sparse) {
        let count = 0;
        let total: f64 = 0;
        for (let i = 0; i < N; i++) {
          if (ld(aux, wc0 + i) > 0) {
            count += 1;
            total += ld64(dws, i);
          }
        }
        const mean = count > 0 ? total / <f64>count : 0;
        for (let i = 0; i < N; i++) st64(dws, i, ld(aux, wc0 + i) > 0 ? ld64(dws, i) - mean : 0);
      } else {
        let sd: f64 = 0;
        for (let i = 0; i < N; i++) sd += <f64>ld(aux, wc0 + i) * ld64(dws, i);
        for (let i = 0; i < N; i++) st64(dws, i, <f64>ld(aux, wc0 + i) * (ld64(dws, i) - sd));
      }
      strengthGrad(h, bh, N, beta, aux, a0 + K_ROW * N, dws, gBeta);
    }
    cosineBackward(b, H, N, M, memory, key, aux, gMemory, gKey, term, termA, termB, termC);
  }
}

/**
 * The backward of z = beta K for head h (batch-and-head index bh), given dz [N] at `dz`: dbeta
 * into gBeta, dK = beta dz into the dK scratch and sKK_h = sum_i dK_i K_i (for cosineBackward).
 */
function strengthGrad(h: i32, bh: i32, N: i32, beta: f64, aux: usize, k0: i32, dz: usize, gBeta: usize): void {
  let dBeta: f64 = 0;
  let sumKK: f64 = 0;
  for (let i = 0; i < N; i++) {
    const g = ld64(dz, i);
    const K = <f64>ld(aux, k0 + i);
    dBeta += g * K;
    const d = beta * g;
    st64(dKs, h * N + i, d);
    sumKK += d * K;
  }
  st(gBeta, bh, <f32>dBeta);
  st64(sKK, h, sumKK);
}

/**
 * The cosine scores' gradients for batch row b, given dK [H,N] and sKK_h = sum_i dK_hi K_hi:
 *     dm_i = sum_h dK_hi k_h / (|m_i| |k_h|) - (sum_h dK_hi K_hi) m_i / |m_i|^2   (+ the term)
 *     dk_h = sum_i dK_hi m_i / (|m_i| |k_h|) - sKK_h k_h / |k_h|^2
 */
function cosineBackward(
  b: i32,
  H: i32,
  N: i32,
  M: i32,
  memory: usize,
  key: usize,
  aux: usize,
  dMemory: usize,
  dKey: usize,
  term: i32,
  termA: usize,
  termB: usize,
  termC: usize,
): void {
  keyNormInverses(key, b, H, M);
  zero32(dk, H * M);
  const one = f32x4.splat(1);
  const n0 = b * H * AUX_ROWS * N + NORM_ROW * N;
  for (let i = 0; i < N; i++) {
    const r = (b * N + i) * M;
    const inv = <f64>ld(aux, n0 + i);
    let cB: f64 = 0;
    for (let h = 0; h < H; h++) {
      const dki = ld64(dKs, h * N + i);
      st64(coef, h, dki * inv * ld64(knInv, h));
      cB += dki * <f64>ld(aux, ((b * H + h) * AUX_ROWS + K_ROW) * N + i);
    }
    cB *= inv * inv;
    const negCB = f32x4.splat(<f32>-cB);
    let j = 0;
    for (; j + 4 <= M; j += 4) {
      const v = v128.load(at(memory, r + j));
      let acc = f32x4.mul(negCB, v);
      for (let h = 0; h < H; h++) {
        const a = f32x4.splat(<f32>ld64(coef, h));
        const kb = (b * H + h) * M + j;
        acc = f32x4.add(acc, f32x4.mul(a, v128.load(at(key, kb))));
        const dkp = at(dk, h * M + j);
        v128.store(dkp, f32x4.add(v128.load(dkp), f32x4.mul(a, v)));
      }
      if (term == TERM_READ) {
        for (let h = 0; h < H; h++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(ld(termA, (b * H + h) * N + i)), v128.load(at(termB, (b * H + h) * M + j))));
      } else if (term == TERM_WRITE) {
        let keep = one;
        for (let h = 0; h < H; h++) keep = f32x4.mul(keep, f32x4.sub(one, f32x4.mul(f32x4.splat(ld(termA, (b * H + h) * N + i)), v128.load(at(termB, (b * H + h) * M + j)))));
        acc = f32x4.add(acc, f32x4.mul(v128.load(at(termC, r + j)), keep));
      }
      v128.store(at(dMemory, r + j), acc);
    }
    for (; j < M; j++) {
      const v = ld(memory, r + j);
      let acc = <f32>-cB * v;
      for (let h = 0; h < H; h++) {
        const a = <f32>ld64(coef, h);
        acc += a * ld(key, (b * H + h) * M + j);
        st(dk, h * M + j, ld(dk, h * M + j) + a * v);
      }
      if (term == TERM_READ) {
        for (let h = 0; h < H; h++) acc += ld(termA, (b * H + h) * N + i) * ld(termB, (b * H + h) * M + j);
      } else if (term == TERM_WRITE) {
        let keep: f32 = 1;
        for (let h = 0; h < H; h++) keep *= 1 - ld(termA, (b * H + h) * N + i) * ld(termB, (b * H + h) * M + j);
        acc += ld(termC, r + j) * keep;
      }
      st(dMemory, r + j, acc);
    }
  }
  for (let h = 0; h < H; h++) {
    const kb = (b * H + h) * M;
    const ki = ld64(knInv, h);
    const c = ld64(sKK, h) * ki * ki;
    for (let j = 0; j < M; j++) st(dKey, kb + j, <f32>(<f64>ld(dk, h * M + j) - c * <f64>ld(key, kb + j)));
  }
}

/**
 * Content weights alone, softmax_N(beta K(key, M_i)) with the cosine above (the DNC's content
 * addressing): weights [B,H,N], and the K and NORM rows of aux [B,H,AUX_ROWS,N] for the backward
 * pass. Call `carve` first.
 */
export function contentForward(B: i32, H: i32, N: i32, M: i32, memory: usize, key: usize, betas: usize, weights: usize, aux: usize): void {
  for (let b = 0; b < B; b++) {
    keyNormInverses(key, b, H, M);
    cosineScores(b, H, N, M, memory, key, aux);
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const a0 = bh * AUX_ROWS * N;
      const beta = <f64>ld(betas, bh);
      for (let i = 0; i < N; i++) st64(cur, i, beta * <f64>ld(aux, a0 + K_ROW * N + i));
      softmaxInPlace(cur, N);
      for (let i = 0; i < N; i++) st(weights, bh * N + i, <f32>ld64(cur, i));
    }
  }
}

/** Backward pass of {@link contentForward} with dy [B,H,N]. Call `carve` first. */
export function contentBackward(
  B: i32,
  H: i32,
  N: i32,
  M: i32,
  dy: usize,
  weights: usize,
  aux: usize,
  memory: usize,
  key: usize,
  betas: usize,
  gMemory: usize,
  gKey: usize,
  gBeta: usize,
): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const k0 = bh * AUX_ROWS * N + K_ROW * N;
      const beta = <f64>ld(betas, bh);
      // softmax backward into dz (kept in cur), then z = beta K
      let sd: f64 = 0;
      for (let i = 0; i < N; i++) sd += <f64>ld(weights, bh * N + i) * <f64>ld(dy, bh * N + i);
      for (let i = 0; i < N; i++) st64(cur, i, <f64>ld(weights, bh * N + i) * (<f64>ld(dy, bh * N + i) - sd));
      strengthGrad(h, bh, N, beta, aux, k0, cur, gBeta);
    }
    cosineBackward(b, H, N, M, memory, key, aux, gMemory, gKey, TERM_NONE, 0, 0, 0);
  }
}
