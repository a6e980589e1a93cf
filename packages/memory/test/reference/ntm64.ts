/**
 * An independent float64 reference of the NTM memory math, over nested plain JS number arrays.
 * It is the test oracle for the tfjs implementation and deliberately imports no tfjs.
 *
 * Dimension names: B batch, H heads, N memory slots, M slot width, R read heads, W write heads,
 * S shift range (2S+1 shifts), C controller width, L control-vector length, A additive width.
 */

/** The floors of the memory math, restated (not imported) so the oracle stays independent; src/constants.ts says why. */
export const KEY_NORM_EPSILON = 1e-8;
export const ROW_NORM_FLOOR = 1e-2;
/** The interface vector's clip (src/interfaceTable.ts). */
export const INTERFACE_CLIP = 20;
/** Inside sharpening's (w + ε)^gamma. */
export const EPSILON = 1e-8;

/** A vector [n]. */
export type Vec = number[];
/** A matrix [rows][cols]. */
export type Mat = number[][];
/** A rank-3 array, e.g. [B][N][M]. */
export type T3 = number[][][];
/** Any rectangular nested array with numbers on the last axis. */
export type Nested = number[] | Nested[];

/** Scores [B][H][N] of every slot against every head's key. */
export type ScoreFn = (memory: T3, keys: T3) => T3;

/** Element `i` of `a`, throwing instead of returning undefined (keeps strict indexing honest). */
export function at<T>(a: readonly T[], i: number): T {
  const v = a[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range for length ${a.length}`);
  return v;
}

/** The positive remainder of `i` modulo `n`. */
function mod(i: number, n: number): number {
  return ((i % n) + n) % n;
}

/** a·b for equal-length vectors. */
export function dot(a: Vec, b: Vec): number {
  if (a.length !== b.length) throw new RangeError(`dot: lengths ${a.length} and ${b.length}`);
  return a.reduce((s, x, i) => s + x * at(b, i), 0);
}

/** v [P] times A [P][Q] -> [Q]. */
function vecMat(v: Vec, a: Mat): Vec {
  if (v.length !== a.length) throw new RangeError(`vecMat: vector length ${v.length}, matrix rows ${a.length}`);
  const cols = at(a, 0).length;
  return Array.from({ length: cols }, (_, q) => v.reduce((s, x, p) => s + x * at(at(a, p), q), 0));
}

/** Applies `f(slot [M], key [M])` to memory [B][N][M] and keys [B][H][M], giving [B][H][N]. */
function pairwise(memory: T3, keys: T3, f: (m: Vec, k: Vec) => number): T3 {
  return memory.map((mem, b) => at(keys, b).map((k) => mem.map((m) => f(m, k))));
}

/**
 * Cosine scores [B][H][N]: (m·k) / (sqrt(|m|²+δ²) · sqrt(|k|²+ε)), memory [B][N][M], keys [B][H][M],
 * δ = {@link ROW_NORM_FLOOR}, ε = {@link KEY_NORM_EPSILON}; tests pass 0 for both to compare against
 * implementations without them.
 */
export function cosineScores(memory: T3, keys: T3, rowFloor = ROW_NORM_FLOOR, keyEps = KEY_NORM_EPSILON): T3 {
  return pairwise(memory, keys, (m, k) => dot(m, k) / (Math.sqrt(dot(m, m) + rowFloor * rowFloor) * Math.sqrt(dot(k, k) + keyEps)));
}

/** Dot-product scores [B][H][N]: m·k. */
export function dotScores(memory: T3, keys: T3): T3 {
  return pairwise(memory, keys, dot);
}

/** Scaled dot-product scores [B][H][N]: m·k / sqrt(M). */
export function scaledDotScores(memory: T3, keys: T3): T3 {
  return pairwise(memory, keys, (m, k) => dot(m, k) / Math.sqrt(m.length));
}

/** Bilinear scores [B][H][N]: Σ_{p,q} k_p W[p][q] m_q, with W [M][M]. */
export function bilinearScores(memory: T3, keys: T3, w: Mat): T3 {
  return pairwise(memory, keys, (m, k) => dot(vecMat(k, w), m));
}

/** Additive scores [B][H][N]: Σ_a v_a tanh((k·Wq)_a + (m·Wk)_a), with Wq, Wk [M][A] and v [A]. */
export function additiveScores(memory: T3, keys: T3, wq: Mat, wk: Mat, v: Vec): T3 {
  return pairwise(memory, keys, (m, k) => {
    const qk = vecMat(k, wq);
    const km = vecMat(m, wk);
    return v.reduce((s, va, a) => s + va * Math.tanh(at(qk, a) + at(km, a)), 0);
  });
}

/** Applies `f` to every last-axis vector of a nested array, keeping the shape. */
export function mapLastAxis<T extends Nested>(x: T, f: (v: Vec) => Vec): T {
  if (x.length === 0 || typeof x[0] === 'number') return f(x as Vec) as T;
  return (x as Nested[]).map((y) => mapLastAxis(y, f)) as T;
}

/** Max-subtracted softmax of one vector. */
function softmaxVec(v: Vec): Vec {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}

/** Softmax over the last axis of x [..][N]. */
export function softmax<T extends Nested>(x: T): T {
  return mapLastAxis(x, softmaxVec);
}

/** Sparsemax of one vector: the Euclidean projection onto the simplex (Martins & Astudillo 2016). */
function sparsemaxVec(v: Vec): Vec {
  const z = [...v].sort((a, b) => b - a);
  let cumsum = 0;
  let support = 0;
  let supportSum = 0;
  z.forEach((zk, i) => {
    cumsum += zk;
    if (1 + (i + 1) * zk > cumsum) {
      support = i + 1;
      supportSum = cumsum;
    }
  });
  const tau = (supportSum - 1) / support;
  return v.map((x) => Math.max(x - tau, 0));
}

/** Sparsemax over the last axis of x [..][N]; e.g. [1, 0.5, -1] -> [0.75, 0.25, 0]. */
export function sparsemax<T extends Nested>(x: T): T {
  return mapLastAxis(x, sparsemaxVec);
}

/** Content weights [B][H][N] = softmax_N(beta · score), memory [B][N][M], keys [B][H][M], beta [B][H]. */
export function contentWeights(memory: T3, keys: T3, beta: Mat, scoreFn: ScoreFn = cosineScores): T3 {
  const scores = scoreFn(memory, keys);
  return scores.map((sb, b) => sb.map((s, h) => softmaxVec(s.map((x) => at(at(beta, b), h) * x))));
}

/** Interpolation [B][H][N] = g·content + (1−g)·prev, with content, prev [B][H][N] and gate [B][H]. */
export function interpolate(content: T3, prev: T3, gate: Mat): T3 {
  return content.map((cb, b) =>
    cb.map((c, h) => {
      const g = at(at(gate, b), h);
      const p = at(at(prev, b), h);
      return c.map((x, i) => g * x + (1 - g) * at(p, i));
    }),
  );
}

/** Circular shift of one weighting w [N] by d [2S+1], where d[j] is the weight of shift s = j − S. */
function shiftVec(w: Vec, d: Vec): Vec {
  const n = w.length;
  const range = (d.length - 1) / 2;
  if (!Number.isInteger(range)) throw new RangeError(`shift distribution length ${d.length} is not odd`);
  return w.map((_, i) => d.reduce((acc, dj, j) => acc + dj * at(w, mod(i - (j - range), n)), 0));
}

/**
 * Circular shift [B][H][N]: out[i] = Σ_s w[(i − s) mod N] · shiftDist[s + S], with weights
 * [B][H][N] and shiftDist [B][H][2S+1] ordered s = −S..+S; a positive s moves weight to higher slots.
 */
export function shift(weights: T3, shiftDist: T3): T3 {
  return weights.map((wb, b) => wb.map((w, h) => shiftVec(w, at(at(shiftDist, b), h))));
}

/**
 * Sharpening [B][H][N]: u_i = (w_i + ε)^γ, out = u / Σu, with weights [B][H][N] and gamma [B][H].
 * `eps` defaults to {@link EPSILON}; tests pass 0 to compare against implementations without it.
 */
export function sharpen(weights: T3, gamma: Mat, eps = EPSILON): T3 {
  return weights.map((wb, b) =>
    wb.map((w, h) => {
      const u = w.map((x) => (x + eps) ** at(at(gamma, b), h));
      const sum = u.reduce((s, x) => s + x, 0);
      return u.map((x) => x / sum);
    }),
  );
}

/**
 * Full NTM addressing [B][H][N] = sharpen(shift(interpolate(content, prev, gate), shiftDist), gamma),
 * with memory [B][N][M], key [B][H][M], beta, gate, gamma [B][H], shiftDist [B][H][2S+1], prev [B][H][N].
 */
export function ntmAddress(memory: T3, key: T3, beta: Mat, gate: Mat, shiftDist: T3, gamma: Mat, prev: T3, rowFloor = ROW_NORM_FLOOR): T3 {
  const content = contentWeights(memory, key, beta, (m, k) => cosineScores(m, k, rowFloor));
  return sharpen(shift(interpolate(content, prev, gate), shiftDist), gamma);
}

/** Read vectors [B][R][M] = Σ_i w[i] · memory[i], with memory [B][N][M] and weights [B][R][N]. */
export function read(memory: T3, weights: T3): T3 {
  return weights.map((wb, b) => {
    const mem = at(memory, b);
    return wb.map((w) => at(mem, 0).map((_, j) => w.reduce((s, wi, i) => s + wi * at(at(mem, i), j), 0)));
  });
}

/**
 * Write [B][N][M]: M'[i][j] = M[i][j] · Π_h (1 − w_h[i] e_h[j]) + Σ_h w_h[i] a_h[j], with memory
 * [B][N][M], weights [B][W][N], erase and add [B][W][M].
 */
export function write(memory: T3, weights: T3, erase: T3, add: T3): T3 {
  return memory.map((mem, b) => {
    const wb = at(weights, b);
    const eb = at(erase, b);
    const ab = at(add, b);
    return mem.map((row, i) =>
      row.map((x, j) => {
        let keep = 1;
        let added = 0;
        wb.forEach((w, h) => {
          keep *= 1 - at(w, i) * at(at(eb, h), j);
          added += at(w, i) * at(at(ab, h), j);
        });
        return x * keep + added;
      }),
    );
  });
}

/** log(1 + exp(x)), stable for large |x|. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + exp(−x)), stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Length of one head's control segment: key M, beta 1, gate 1, shift 2S+1, gamma 1 (+ erase M, add M). */
export function controlLength(M: number, S: number, isWrite: boolean): number {
  return M + 1 + 1 + (2 * S + 1) + 1 + (isWrite ? 2 * M : 0);
}

/** The parameters of a MemoryAccess step: projection [C][L], bias [L] and the sizes. */
export interface AccessParams {
  projection: Mat;
  bias: Vec;
  N: number;
  M: number;
  readHeads: number;
  writeHeads: number;
  shiftRange: number;
  /** Whether the reads see the memory before this step's write (default) or after it. */
  order?: 'read-write' | 'write-read';
}

/** The recurrent memory state. */
export interface AccessState {
  /** [B][N][M] */
  memory: T3;
  /** [B][R][N] */
  readWeights: T3;
  /** [B][W][N] */
  writeWeights: T3;
  /** [B][R][M] */
  readVectors: T3;
}

/** The activated controls of one head for one batch item. */
interface HeadControls {
  key: Vec;
  beta: number;
  gate: number;
  shift: Vec;
  gamma: number;
  erase: Vec;
  add: Vec;
}

/** Activates one head's segment of z starting at `offset` (erase/add empty for read heads). */
function parseHead(z: Vec, offset: number, M: number, S: number, isWrite: boolean): HeadControls {
  let o = offset;
  const take = (n: number): Vec => {
    const seg = z.slice(o, o + n);
    o += n;
    return seg;
  };
  const key = take(M).map(Math.tanh);
  const beta = softplus(at(take(1), 0));
  const gate = sigmoid(at(take(1), 0));
  const shiftDist = softmaxVec(take(2 * S + 1));
  const gamma = 1 + softplus(at(take(1), 0));
  const erase = isWrite ? take(M).map(sigmoid) : [];
  const add = isWrite ? take(M).map(Math.tanh) : [];
  return { key, beta, gate, shift: shiftDist, gamma, erase, add };
}

/** Splits z [L] into heads: all write heads first, then all read heads. */
function parseControls(z: Vec, p: AccessParams): { write: HeadControls[]; read: HeadControls[] } {
  const wLen = controlLength(p.M, p.shiftRange, true);
  const rLen = controlLength(p.M, p.shiftRange, false);
  const L = p.writeHeads * wLen + p.readHeads * rLen;
  if (z.length !== L) throw new RangeError(`control vector has length ${z.length}, expected ${L}`);
  const writeHeads = Array.from({ length: p.writeHeads }, (_, h) => parseHead(z, h * wLen, p.M, p.shiftRange, true));
  const readBase = p.writeHeads * wLen;
  const readHeads = Array.from({ length: p.readHeads }, (_, h) => parseHead(z, readBase + h * rLen, p.M, p.shiftRange, false));
  return { write: writeHeads, read: readHeads };
}

/** Collects one field of per-[B][H] head controls into a batched array. */
function gather<T>(heads: HeadControls[][], pick: (c: HeadControls) => T): T[][] {
  return heads.map((hb) => hb.map(pick));
}

/** Addresses memory [B][N][M] with the batched controls heads [B][H] and prev weights [B][H][N]. */
function addressHeads(memory: T3, heads: HeadControls[][], prev: T3): T3 {
  return ntmAddress(
    memory,
    gather(heads, (c) => c.key),
    gather(heads, (c) => c.beta),
    gather(heads, (c) => c.gate),
    gather(heads, (c) => c.shift),
    gather(heads, (c) => c.gamma),
    prev,
  );
}

/**
 * One MemoryAccess step. z = clip(controllerOutput [B][C] · projection [C][L] + bias [L], ±20);
 * write heads address `memory` (prev writeWeights), memory' = write(memory, ww, erase, add);
 * read heads address and read `memory` (order read-write, the default) or memory' (write-read),
 * with the prev readWeights; readVectors [B][R][M].
 */
export function accessStep(params: AccessParams, controllerOutput: Mat, state: AccessState): { readVectors: T3; state: AccessState } {
  // the interface vector is clipped to ±INTERFACE_CLIP before activation
  const z = controllerOutput.map((c) =>
    vecMat(c, params.projection).map((x, l) => Math.min(INTERFACE_CLIP, Math.max(-INTERFACE_CLIP, x + at(params.bias, l)))),
  );
  const controls = z.map((zb) => parseControls(zb, params));
  const writeCtl = controls.map((c) => c.write);
  const readCtl = controls.map((c) => c.read);
  const writeWeights = addressHeads(state.memory, writeCtl, state.writeWeights);
  const memory = write(
    state.memory,
    writeWeights,
    gather(writeCtl, (c) => c.erase),
    gather(writeCtl, (c) => c.add),
  );
  const seen = (params.order ?? 'read-write') === 'read-write' ? state.memory : memory;
  const readWeights = addressHeads(seen, readCtl, state.readWeights);
  const readVectors = read(seen, readWeights);
  return { readVectors, state: { memory, readWeights, writeWeights, readVectors } };
}
