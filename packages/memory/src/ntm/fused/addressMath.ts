/**
 * NTM addressing for all heads of one group, as plain loops over Float32Arrays: the forward
 * pass and its vector-Jacobian product. The math is exactly that of `ntmAddress`
 * (addressing.ts) with cosine similarity:
 *
 *     K_i  = m_i.k / (sqrt(|m_i|^2 + δ^2) sqrt(|k|^2 + KEY_NORM_EPSILON))   cosine score, δ = rowNormFloor
 *     wc   = softmax(beta K)   (or sparsemax)                            content weights
 *     wg   = prev + g (wc - prev)                                        interpolation
 *     ws_i = sum_{s=-S..S} wg_{(i - s) mod N} shiftDist_s                circular shift
 *     w    = softmax(gamma log(ws + LOG_EPSILON))                        sharpening
 *
 * Dimension names: B batch, H heads, N slots, M width, S shift range (2S+1 shifts).
 * Work is done in float64 and stored as float32.
 */
import { KEY_NORM_EPSILON, LOG_EPSILON, ROW_NORM_FLOOR } from '../../constants.ts';
import { scratch, zeroed } from './scratch.ts';

/** Sizes of one addressing call. */
export interface AddressDims {
  /** B */
  readonly batch: number;
  /** H */
  readonly heads: number;
  /** N */
  readonly slots: number;
  /** M */
  readonly width: number;
  /** S: shifts -S..+S. */
  readonly shiftRange: number;
  /** δ, the row-norm floor of the cosine score (memory.rowNormFloor). */
  readonly rowNormFloor: number;
}

/**
 * The dimensions of an address kernel's call, from the shapes of memory `[B,N,M]`, key `[B,H,M]`
 * and shift `[B,H,2S+1]`, and the cosine's row-norm floor δ.
 */
export function addressDims(memory: readonly number[], key: readonly number[], shift: readonly number[], rowNormFloor = ROW_NORM_FLOOR): AddressDims {
  return { batch: memory[0]!, slots: memory[1]!, width: memory[2]!, heads: key[1]!, shiftRange: (shift[2]! - 1) / 2, rowNormFloor };
}

/**
 * Rows of the saved intermediates per head, each `[N]`: cosine score K, content weights wc,
 * interpolated wg, shifted ws, log(ws + LOG_EPSILON) and the memory rows' inverse norms
 * 1 / sqrt(|m_i|^2 + δ^2) (the same for every head). The forward pass fills them; the
 * backward pass reads them instead of recomputing.
 */
export const AUX_ROWS = 6;
const K_ROW = 0;
const WC_ROW = 1;
const WG_ROW = 2;
const WS_ROW = 3;
const LW_ROW = 4;
const NORM_ROW = 5;

/** The inputs of one addressing call (activated controls), all float32, row-major. */
export interface AddressInputs {
  /** `[B, N, M]` */
  readonly memory: Float32Array;
  /** `[B, H, M]` */
  readonly key: Float32Array;
  /** `[B, H]` >= 0 */
  readonly beta: Float32Array;
  /** `[B, H]` in [0, 1] */
  readonly gate: Float32Array;
  /** `[B, H, 2S+1]` a distribution over shifts -S..+S */
  readonly shiftDist: Float32Array;
  /** `[B, H]` >= 1 */
  readonly gamma: Float32Array;
  /** `[B, H, N]` the previous weights */
  readonly prev: Float32Array;
}

/** The gradients of one addressing call, same shapes as {@link AddressInputs}. */
export interface AddressGrads {
  readonly memory: Float32Array;
  readonly key: Float32Array;
  readonly beta: Float32Array;
  readonly gate: Float32Array;
  readonly shiftDist: Float32Array;
  readonly gamma: Float32Array;
  readonly prev: Float32Array;
}

/**
 * What joins the cosine part of the memory gradient in the same sweep over memory (so a group
 * kernel writes its memory gradient once):
 * - `none`: dM = the cosine part; `accumulate`: dM += the cosine part;
 * - `read`: dM = cosine part + sum_h w_hi dr_hj (the read r_h = sum_i w_hi M_i of the same
 *   heads, `weights [B,H,N]`, `dReads [B,H,M]`);
 * - `write`: dM = cosine part + dy_ij prod_h (1 - w_hi e_hj) (the write of the same heads,
 *   `dy [B,N,M]` the new memory's gradient, `weights [B,H,N]`, `erase [B,H,M]`).
 */
export type MemoryGradTerm =
  | { readonly kind: 'none' }
  | { readonly kind: 'accumulate' }
  | { readonly kind: 'read'; readonly weights: Float32Array; readonly dReads: Float32Array }
  | { readonly kind: 'write'; readonly dy: Float32Array; readonly weights: Float32Array; readonly erase: Float32Array };

const NONE: MemoryGradTerm = { kind: 'none' };

/** 1 / sqrt(|k_h|^2 + KEY_NORM_EPSILON) for every head of batch row b, into `out[H]`. */
function keyNormInverses(key: Float32Array, b: number, heads: number, width: number, out: Float64Array): void {
  for (let h = 0; h < heads; h++) {
    const kb = (b * heads + h) * width;
    let ss = 0;
    for (let j = 0; j < width; j++) {
      const x = key[kb + j]!;
      ss += x * x;
    }
    out[h] = 1 / Math.sqrt(ss + KEY_NORM_EPSILON);
  }
}

/**
 * Cosine scores of every slot of batch row b against every head's key, written to the K rows
 * of `aux`. Each memory row is read once for all heads (its norm and its dot products).
 */
function cosineScores(d: AddressDims, b: number, memory: Float32Array, key: Float32Array, knInv: Float64Array, aux: Float32Array): void {
  const { heads: H, slots: N, width: M } = d;
  const floorSq = d.rowNormFloor * d.rowNormFloor;
  const mb = b * N * M;
  if (H === 1) {
    const kb = b * M;
    const ki = knInv[0]!;
    const a0 = b * AUX_ROWS * N;
    for (let i = 0; i < N; i++) {
      const r = mb + i * M;
      let ss = 0;
      let dt = 0;
      for (let j = 0; j < M; j++) {
        const x = memory[r + j]!;
        ss += x * x;
        dt += x * key[kb + j]!;
      }
      const inv = 1 / Math.sqrt(ss + floorSq);
      aux[a0 + K_ROW * N + i] = dt * ki * inv;
      aux[a0 + NORM_ROW * N + i] = inv;
    }
    return;
  }
  for (let i = 0; i < N; i++) {
    const r = mb + i * M;
    let ss = 0;
    for (let j = 0; j < M; j++) {
      const x = memory[r + j]!;
      ss += x * x;
    }
    const inv = 1 / Math.sqrt(ss + floorSq);
    for (let h = 0; h < H; h++) {
      const kb = (b * H + h) * M;
      let dt = 0;
      for (let j = 0; j < M; j++) dt += memory[r + j]! * key[kb + j]!;
      const a0 = (b * H + h) * AUX_ROWS * N;
      aux[a0 + K_ROW * N + i] = dt * inv * knInv[h]!;
      aux[a0 + NORM_ROW * N + i] = inv;
    }
  }
}

/** out = softmax(z) in place over `z[0..n)`; returns nothing. */
function softmaxInPlace(z: Float64Array, n: number): void {
  let mx = -Infinity;
  for (let i = 0; i < n; i++) if (z[i]! > mx) mx = z[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(z[i]! - mx);
    z[i] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) z[i] = z[i]! * inv;
}

/**
 * Sparsemax in place over `z[0..n)` (Martins & Astudillo 2016): the support is the largest k
 * with 1 + k z_(k) > sum_{j<=k} z_(j) over the sorted scores, tau = (sum over support - 1) / k.
 */
function sparsemaxInPlace(z: Float64Array, n: number, sorted: Float64Array): void {
  sorted.set(z);
  sorted.sort(); // ascending; walk it from the top
  let cum = 0;
  let support = 0;
  let supportSum = 0;
  for (let t = 0; t < n; t++) {
    const zk = sorted[n - 1 - t]!;
    cum += zk;
    if (1 + (t + 1) * zk > cum) {
      support = t + 1;
      supportSum = cum;
    }
  }
  const tau = (supportSum - 1) / support;
  for (let i = 0; i < n; i++) {
    const v = z[i]! - tau;
    z[i] = Math.max(v, 0);
  }
}

/**
 * out_i = sum_{j=0..2S} dist[j] * w[(i + S - j) mod N] (the NTM circular shift; shift s = j - S
 * moves weight to higher slots), split into wrap-free segments so the inner loops have no
 * modulo.
 */
function circularShift(w: Float64Array, dist: Float32Array, distBase: number, range: number, n: number, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j <= 2 * range; j++) {
    const sj = dist[distBase + j]!;
    const o = range - j; // source index = i + o
    if (o >= 0) {
      const split = n - o;
      for (let i = 0; i < split; i++) out[i] = out[i]! + sj * w[i + o]!;
      for (let i = split; i < n; i++) out[i] = out[i]! + sj * w[i + o - n]!;
    } else {
      const split = -o;
      for (let i = 0; i < split; i++) out[i] = out[i]! + sj * w[i + o + n]!;
      for (let i = split; i < n; i++) out[i] = out[i]! + sj * w[i + o]!;
    }
  }
}

/**
 * Forward pass for every head of a group.
 * @param sparse normalise content scores with sparsemax instead of softmax.
 * @param weights output `[B, H, N]`
 * @param aux output `[B, H, AUX_ROWS, N]`: the intermediates the backward pass reads.
 */
export function addressForward(d: AddressDims, sparse: boolean, x: AddressInputs, weights: Float32Array, aux: Float32Array): void {
  const { batch: B, heads: H, slots: N, shiftRange: S } = d;
  const L = 2 * S + 1;
  const knInv = scratch('address.knInv', H);
  const cur = scratch('address.cur', N);
  const nxt = scratch('address.nxt', N);
  const sorted = sparse ? scratch('address.sorted', N) : cur;
  const { memory, key, beta: betas, gate: gates, shiftDist, gamma: gammas, prev } = x;
  for (let b = 0; b < B; b++) {
    keyNormInverses(key, b, H, d.width, knInv);
    cosineScores(d, b, memory, key, knInv, aux);
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const a0 = bh * AUX_ROWS * N;
      const pb = bh * N;
      const beta = betas[bh]!;
      const g = gates[bh]!;
      const gamma = gammas[bh]!;
      // content weights
      for (let i = 0; i < N; i++) cur[i] = beta * aux[a0 + K_ROW * N + i]!;
      if (sparse) sparsemaxInPlace(cur, N, sorted);
      else softmaxInPlace(cur, N);
      // interpolation with the previous weights
      for (let i = 0; i < N; i++) {
        const wc = cur[i]!;
        const p = prev[pb + i]!;
        aux[a0 + WC_ROW * N + i] = wc;
        const wg = p + g * (wc - p);
        cur[i] = wg;
        aux[a0 + WG_ROW * N + i] = wg;
      }
      // circular shift
      circularShift(cur, shiftDist, bh * L, S, N, nxt);
      // sharpening: softmax(gamma * log(ws + LOG_EPSILON))
      let mx = -Infinity;
      for (let i = 0; i < N; i++) {
        const ws = nxt[i]!;
        const lw = Math.log(ws + LOG_EPSILON);
        aux[a0 + WS_ROW * N + i] = ws;
        aux[a0 + LW_ROW * N + i] = lw;
        const t = gamma * lw;
        cur[i] = t;
        if (t > mx) mx = t;
      }
      let sum = 0;
      for (let i = 0; i < N; i++) {
        const e = Math.exp(cur[i]! - mx);
        cur[i] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let i = 0; i < N; i++) weights[pb + i] = cur[i]! * inv;
    }
  }
}

/**
 * Backward pass: the vector-Jacobian product of {@link addressForward} with `dy`.
 * @param dy `[B, H, N]` the gradient with respect to the weights.
 * @param weights, aux what the forward pass produced.
 * @param g outputs: gradients with respect to every input (overwritten; the memory gradient
 *   as `memoryTerm` says).
 */
export function addressBackward(
  d: AddressDims,
  sparse: boolean,
  dy: Float32Array,
  weights: Float32Array,
  aux: Float32Array,
  x: AddressInputs,
  g: AddressGrads,
  memoryTerm: MemoryGradTerm = NONE,
): void {
  const { batch: B, heads: H, slots: N, shiftRange: S } = d;
  const L = 2 * S + 1;
  const knInv = scratch('addressGrad.knInv', H);
  const dws = scratch('addressGrad.dws', N);
  const dwg = scratch('addressGrad.dwg', N);
  const dK = scratch('addressGrad.dK', H * N);
  const sKK = scratch('addressGrad.sKK', H);
  const coef = scratch('addressGrad.coef', H);
  const { beta: betas, gate: gates, shiftDist, gamma: gammas, prev } = x;
  const { beta: gBeta, gate: gGate, shiftDist: gShift, gamma: gGamma, prev: gPrev } = g;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const a0 = bh * AUX_ROWS * N;
      const pb = bh * N;
      const gamma = gammas[bh]!;
      const gate = gates[bh]!;
      const beta = betas[bh]!;
      // sharpening: w = softmax(u), u = gamma * log(ws + LOG_EPSILON)
      let dot = 0;
      for (let i = 0; i < N; i++) dot += weights[pb + i]! * dy[pb + i]!;
      let dGamma = 0;
      for (let i = 0; i < N; i++) {
        const du = weights[pb + i]! * (dy[pb + i]! - dot);
        dGamma += du * aux[a0 + LW_ROW * N + i]!;
        dws[i] = (du * gamma) / (aux[a0 + WS_ROW * N + i]! + LOG_EPSILON);
      }
      gGamma[bh] = dGamma;
      // circular shift: transpose of the forward segments
      dwg.fill(0);
      const sb = bh * L;
      const wg0 = a0 + WG_ROW * N;
      for (let j = 0; j < L; j++) {
        const sj = shiftDist[sb + j]!;
        const o = S - j;
        let acc = 0;
        if (o >= 0) {
          const split = N - o;
          for (let i = 0; i < split; i++) {
            const v = dws[i]!;
            dwg[i + o] = dwg[i + o]! + sj * v;
            acc += v * aux[wg0 + i + o]!;
          }
          for (let i = split; i < N; i++) {
            const v = dws[i]!;
            dwg[i + o - N] = dwg[i + o - N]! + sj * v;
            acc += v * aux[wg0 + i + o - N]!;
          }
        } else {
          const split = -o;
          for (let i = 0; i < split; i++) {
            const v = dws[i]!;
            dwg[i + o + N] = dwg[i + o + N]! + sj * v;
            acc += v * aux[wg0 + i + o + N]!;
          }
          for (let i = split; i < N; i++) {
            const v = dws[i]!;
            dwg[i + o] = dwg[i + o]! + sj * v;
            acc += v * aux[wg0 + i + o]!;
          }
        }
        gShift[sb + j] = acc;
      }
      // interpolation: wg = prev + gate (wc - prev); dwc is kept in dws
      let dGate = 0;
      const wc0 = a0 + WC_ROW * N;
      for (let i = 0; i < N; i++) {
        const v = dwg[i]!;
        const wc = aux[wc0 + i]!;
        dGate += (wc - prev[pb + i]!) * v;
        gPrev[pb + i] = (1 - gate) * v;
        dws[i] = gate * v;
      }
      gGate[bh] = dGate;
      // content normalisation backward: dz into dws
      if (sparse) {
        let count = 0;
        let sum = 0;
        for (let i = 0; i < N; i++) {
          if (aux[wc0 + i]! > 0) {
            count += 1;
            sum += dws[i]!;
          }
        }
        const mean = count > 0 ? sum / count : 0;
        for (let i = 0; i < N; i++) dws[i] = aux[wc0 + i]! > 0 ? dws[i]! - mean : 0;
      } else {
        let sd = 0;
        for (let i = 0; i < N; i++) sd += aux[wc0 + i]! * dws[i]!;
        for (let i = 0; i < N; i++) dws[i] = aux[wc0 + i]! * (dws[i]! - sd);
      }
      // z = beta K
      let dBeta = 0;
      let sumKK = 0;
      const k0 = a0 + K_ROW * N;
      for (let i = 0; i < N; i++) {
        const dz = dws[i]!;
        const K = aux[k0 + i]!;
        dBeta += dz * K;
        const dk = beta * dz;
        dK[h * N + i] = dk;
        sumKK += dk * K;
      }
      gBeta[bh] = dBeta;
      sKK[h] = sumKK;
    }
    cosineBackward(d, b, x.memory, x.key, dK, sKK, knInv, coef, aux, g.memory, g.key, memoryTerm);
  }
}

/**
 * Gradients of the cosine scores of batch row b with respect to memory and keys, given
 * dK `[H, N]` and sKK[h] = sum_i dK_hi K_hi:
 *     dm_i = sum_h dK_hi k_h / (|m_i| |k_h|) - (sum_h dK_hi K_hi) m_i / |m_i|^2
 *     dk_h = sum_i dK_hi m_i / (|m_i| |k_h|) - sKK_h k_h / |k_h|^2
 * with floored norms (the inverse row norms come from the forward pass's aux), and
 * the memory gradient combined with `term` in the same sweep.
 */
function cosineBackward(
  d: AddressDims,
  b: number,
  memory: Float32Array,
  key: Float32Array,
  dK: Float64Array,
  sKK: Float64Array,
  knInv: Float64Array,
  coef: Float64Array,
  aux: Float32Array,
  dMemory: Float32Array,
  dKey: Float32Array,
  term: MemoryGradTerm,
): void {
  const { heads: H, slots: N, width: M } = d;
  const mb = b * N * M;
  keyNormInverses(key, b, H, M, knInv);
  const dk = zeroed('addressGrad.dk', H * M);
  if (H === 1) {
    const kb = b * M;
    const ki = knInv[0]!;
    const k0 = b * AUX_ROWS * N + K_ROW * N;
    const n0 = b * AUX_ROWS * N + NORM_ROW * N;
    for (let i = 0; i < N; i++) {
      const r = mb + i * M;
      const inv = aux[n0 + i]!;
      const dki = dK[i]!;
      const a = dki * inv * ki;
      const cB = dki * aux[k0 + i]! * inv * inv;
      switch (term.kind) {
        case 'none':
          for (let j = 0; j < M; j++) {
            const v = memory[r + j]!;
            dMemory[r + j] = a * key[kb + j]! - cB * v;
            dk[j] = dk[j]! + a * v;
          }
          break;
        case 'accumulate':
          for (let j = 0; j < M; j++) {
            const v = memory[r + j]!;
            dMemory[r + j] = dMemory[r + j]! + a * key[kb + j]! - cB * v;
            dk[j] = dk[j]! + a * v;
          }
          break;
        case 'read': {
          const w = term.weights[b * N + i]!;
          const dr = term.dReads;
          for (let j = 0; j < M; j++) {
            const v = memory[r + j]!;
            dMemory[r + j] = a * key[kb + j]! - cB * v + w * dr[kb + j]!;
            dk[j] = dk[j]! + a * v;
          }
          break;
        }
        case 'write': {
          const w = term.weights[b * N + i]!;
          const { dy, erase } = term;
          for (let j = 0; j < M; j++) {
            const v = memory[r + j]!;
            dMemory[r + j] = a * key[kb + j]! - cB * v + dy[r + j]! * (1 - w * erase[kb + j]!);
            dk[j] = dk[j]! + a * v;
          }
          break;
        }
      }
    }
  } else {
    const n0 = b * H * AUX_ROWS * N + NORM_ROW * N;
    for (let i = 0; i < N; i++) {
      const r = mb + i * M;
      const inv = aux[n0 + i]!;
      let cB = 0;
      for (let h = 0; h < H; h++) {
        const dki = dK[h * N + i]!;
        coef[h] = dki * inv * knInv[h]!;
        cB += dki * aux[((b * H + h) * AUX_ROWS + K_ROW) * N + i]!;
      }
      cB *= inv * inv;
      for (let j = 0; j < M; j++) {
        const v = memory[r + j]!;
        let acc = -cB * v;
        for (let h = 0; h < H; h++) {
          const a = coef[h]!;
          acc += a * key[(b * H + h) * M + j]!;
          dk[h * M + j] = dk[h * M + j]! + a * v;
        }
        switch (term.kind) {
          case 'none':
            break;
          case 'accumulate':
            acc += dMemory[r + j]!;
            break;
          case 'read':
            for (let h = 0; h < H; h++) acc += term.weights[(b * H + h) * N + i]! * term.dReads[(b * H + h) * M + j]!;
            break;
          case 'write': {
            let keep = 1;
            for (let h = 0; h < H; h++) keep *= 1 - term.weights[(b * H + h) * N + i]! * term.erase[(b * H + h) * M + j]!;
            acc += term.dy[r + j]! * keep;
            break;
          }
        }
        dMemory[r + j] = acc;
      }
    }
  }
  for (let h = 0; h < H; h++) {
    const kb = (b * H + h) * M;
    const ki = knInv[h]!;
    const c = sKK[h]! * ki * ki;
    for (let j = 0; j < M; j++) dKey[kb + j] = dk[h * M + j]! - c * key[kb + j]!;
  }
}
