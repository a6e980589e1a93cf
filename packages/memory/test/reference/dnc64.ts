/**
 * An independent float64 reference of the DNC memory math (Graves et al. 2016, Methods, as
 * deepmind/dnc computes it; DNC-MD options of Csordas & Schmidhuber 2019), over nested plain JS
 * arrays. The test oracle for src/dnc; imports no tfjs.
 *
 * Dimension names: B batch, N slots, M word width, R read heads, W write heads, C controller width.
 */
import {
  at,
  contentWeights,
  cosineScores,
  KEY_NORM_EPSILON,
  read,
  ROW_NORM_FLOOR,
  sigmoid,
  softmax,
  softplus,
  write,
  type Mat,
  type T3,
  type Vec,
} from './ntm64.ts';

/** deepmind/dnc's allocation epsilon, restated. */
export const ALLOCATION_EPSILON = 1e-6;
/** Inside the sharpness control's power (src/constants.ts LOG_EPSILON), restated. */
export const SHARPEN_EPSILON = 1e-8;

export type T4 = number[][][][];

/** Retention [B][N]: psi[n] = Π_r (1 − f_r w_r[n]). */
export function retention(free: Mat, prevRead: T3): Mat {
  return prevRead.map((rb, b) => at(rb, 0).map((_, n) => rb.reduce((p, w, r) => p * (1 - at(at(free, b), r) * at(w, n)), 1)));
}

/** Usage [B][N]: (u + (1 − u) · (1 − Π_w (1 − ww[w][n]))) · psi[n]. */
export function usage(prevUsage: Mat, prevWrite: T3, free: Mat, prevRead: T3): Mat {
  const psi = retention(free, prevRead);
  return prevUsage.map((ub, b) =>
    ub.map((u, n) => {
      const written = 1 - at(prevWrite, b).reduce((p, w) => p * (1 - at(w, n)), 1);
      return (u + (1 - u) * written) * at(at(psi, b), n);
    }),
  );
}

/** One head's allocation [N] from usage [N]: slots in ascending usage (ties: lower slot first). */
export function allocationVec(usageRow: Vec): Vec {
  const u = usageRow.map((x) => ALLOCATION_EPSILON + (1 - ALLOCATION_EPSILON) * x);
  const order = u.map((_, i) => i).sort((i, j) => at(u, i) - at(u, j) || i - j);
  const out = new Array<number>(u.length).fill(0);
  let product = 1;
  for (const slot of order) {
    out[slot] = (1 - at(u, slot)) * product;
    product *= at(u, slot);
  }
  return out;
}

/** Allocation [B][W][N]: head h allocates from the usage raised by the heads before it, (1 − u) g_h a_h. */
export function allocation(usageIn: Mat, gates: Mat): T3 {
  return usageIn.map((row, b) => {
    let u = [...row];
    return at(gates, b).map((g) => {
      const a = allocationVec(u);
      u = u.map((x, n) => x + (1 - x) * g * at(a, n));
      return a;
    });
  });
}

/** Link [B][W][N][N] and precedence [B][W][N] after the writes ww [B][W][N]. */
export function linkage(prevLink: T4, prevPrecedence: T3, ww: T3): { link: T4; precedence: T3 } {
  const link = prevLink.map((lb, b) =>
    lb.map((lw, h) => {
      const w = at(at(ww, b), h);
      const p = at(at(prevPrecedence, b), h);
      return lw.map((row, i) => row.map((l, j) => (i === j ? 0 : (1 - at(w, i) - at(w, j)) * l + at(w, i) * at(p, j))));
    }),
  );
  const precedence = prevPrecedence.map((pb, b) =>
    pb.map((p, h) => {
      const w = at(at(ww, b), h);
      const sum = w.reduce((s, x) => s + x, 0);
      return p.map((x, n) => (1 - sum) * x + at(w, n));
    }),
  );
  return { link, precedence };
}

/** Directional weights [B][R][W][N]: forward f[i] = Σ_j L[i][j] w[j]; backward b[j] = Σ_i L[i][j] w[i]. */
export function directional(link: T4, prevRead: T3, forward: boolean): T4 {
  return prevRead.map((rb, b) =>
    rb.map((w) => at(link, b).map((l) => w.map((_, x) => w.reduce((s, wy, y) => s + wy * (forward ? at(at(l, x), y) : at(at(l, y), x)), 0)))),
  );
}

/** DNC-MD sharpness [B][R][W][N]: (d + ε)^s / Σ (d + ε)^s, strength [B][R]. */
export function sharpen(d: T4, strength: Mat): T4 {
  return d.map((db, b) =>
    db.map((dr, r) =>
      dr.map((v) => {
        const p = v.map((x) => (x + SHARPEN_EPSILON) ** at(at(strength, b), r));
        const sum = p.reduce((s, x) => s + x, 0);
        return p.map((x) => x / sum);
      }),
    ),
  );
}

/** DNC-MD masked cosine [B][H][N]: cosine of M ⊙ m and k ⊙ m, with the cosine's floors. */
export function maskedCosine(memory: T3, keys: T3, mask: T3): T3 {
  return keys.map((kb, b) =>
    kb.map((k, h) => {
      const m = at(at(mask, b), h);
      const km = k.map((x, j) => x * at(m, j));
      const kNorm = Math.sqrt(km.reduce((s, x) => s + x * x, 0) + KEY_NORM_EPSILON);
      return at(memory, b).map((row) => {
        const rm = row.map((x, j) => x * at(m, j));
        const dotv = rm.reduce((s, x, j) => s + x * at(km, j), 0);
        return dotv / (Math.sqrt(rm.reduce((s, x) => s + x * x, 0) + ROW_NORM_FLOOR * ROW_NORM_FLOOR) * kNorm);
      });
    }),
  );
}

/** Content weights [B][H][N] = softmax(beta · cosine), masked when `mask` is given. */
export function dncContent(memory: T3, keys: T3, strength: Mat, mask?: T3): T3 {
  if (!mask) return contentWeights(memory, keys, strength, (m, k) => cosineScores(m, k));
  return maskedCosine(memory, keys, mask).map((sb, b) => softmax(sb.map((s, h) => s.map((x) => at(at(strength, b), h) * x))));
}

export interface DncParams {
  /** [C][L] and [L] */
  projection: Mat;
  bias: Vec;
  N: number;
  M: number;
  R: number;
  W: number;
  masking?: boolean;
  deallocation?: boolean;
  sharpness?: boolean;
}

export interface DncState64 {
  memory: T3;
  readWeights: T3;
  writeWeights: T3;
  readVectors: T3;
  usage: Mat;
  link: T4;
  precedence: T3;
}

const oneplus = (x: number) => 1 + softplus(x);

/**
 * One DNC step, restating the interface layout of src/dnc/interface.ts: per write head key M,
 * strength 1, erase M, vector M, allocation gate 1, write gate 1 (mask M); per read head key M,
 * strength 1, free gate 1, modes 2W+1 (mask M; forward and backward sharpness 1 each). The
 * interface vector is clipped to ±20 before the activations.
 * @param usageWrites the previous write weights as usage sees them (default s.writeWeights); a
 *   finite-difference check passes the unperturbed ones, which is what stop-gradient means.
 */
export function dncStep(p: DncParams, h: Mat, s: DncState64, usageWrites: T3 = s.writeWeights): { reads: T3; state: DncState64 } {
  const { M, R, W } = p;
  const z = h.map((hb) =>
    p.bias.map((bias, l) =>
      Math.max(
        -20,
        Math.min(
          20,
          hb.reduce((acc, x, c) => acc + x * at(at(p.projection, c), l), bias),
        ),
      ),
    ),
  );
  const B = h.length;
  const wk: T3 = [],
    ws: Mat = [],
    we: T3 = [],
    wv: T3 = [],
    ga: Mat = [],
    gw: Mat = [],
    wm: T3 = [];
  const rk: T3 = [],
    rs: Mat = [],
    fg: Mat = [],
    modes: T3 = [],
    rm: T3 = [],
    fs: Mat = [],
    bs: Mat = [];
  for (let b = 0; b < B; b++) {
    let o = 0;
    const zb = at(z, b);
    const take = (n: number) => {
      const v = zb.slice(o, o + n);
      o += n;
      return v;
    };
    wk.push([]);
    ws.push([]);
    we.push([]);
    wv.push([]);
    ga.push([]);
    gw.push([]);
    wm.push([]);
    for (let w = 0; w < W; w++) {
      at(wk, b).push(take(M));
      at(ws, b).push(oneplus(at(take(1), 0)));
      at(we, b).push(take(M).map(sigmoid));
      at(wv, b).push(take(M));
      at(ga, b).push(sigmoid(at(take(1), 0)));
      at(gw, b).push(sigmoid(at(take(1), 0)));
      if (p.masking) at(wm, b).push(take(M).map(sigmoid));
    }
    rk.push([]);
    rs.push([]);
    fg.push([]);
    modes.push([]);
    rm.push([]);
    fs.push([]);
    bs.push([]);
    for (let r = 0; r < R; r++) {
      at(rk, b).push(take(M));
      at(rs, b).push(oneplus(at(take(1), 0)));
      at(fg, b).push(sigmoid(at(take(1), 0)));
      at(modes, b).push(softmax(take(2 * W + 1)));
      if (p.masking) at(rm, b).push(take(M).map(sigmoid));
      if (p.sharpness) {
        at(fs, b).push(oneplus(at(take(1), 0)));
        at(bs, b).push(oneplus(at(take(1), 0)));
      }
    }
  }
  const u = usage(s.usage, usageWrites, fg, s.readWeights);
  const wc = dncContent(s.memory, wk, ws, p.masking ? wm : undefined);
  const alloc = allocation(
    u,
    ga.map((g, b) => g.map((x, w) => x * at(at(gw, b), w))),
  );
  const ww = wc.map((cb, b) =>
    cb.map((c, w) => {
      const a = at(at(ga, b), w);
      const g = at(at(gw, b), w);
      return c.map((x, n) => g * (a * at(at(at(alloc, b), w), n) + (1 - a) * x));
    }),
  );
  const psi = retention(fg, s.readWeights);
  const kept = p.deallocation ? s.memory.map((mb, b) => mb.map((row, n) => row.map((x) => x * at(at(psi, b), n)))) : s.memory;
  const memory = write(kept, ww, we, wv);
  const { link, precedence } = linkage(s.link, s.precedence, ww);
  const rc = dncContent(memory, rk, rs, p.masking ? rm : undefined);
  let fwd = directional(link, s.readWeights, true);
  let bwd = directional(link, s.readWeights, false);
  if (p.sharpness) {
    fwd = sharpen(fwd, fs);
    bwd = sharpen(bwd, bs);
  }
  const rw = rc.map((cb, b) =>
    cb.map((c, r) => {
      const pi = at(at(modes, b), r);
      return c.map((x, n) => {
        let v = at(pi, 2 * W) * x;
        for (let w = 0; w < W; w++) v += at(pi, w) * at(at(at(at(bwd, b), r), w), n) + at(pi, W + w) * at(at(at(at(fwd, b), r), w), n);
        return v;
      });
    }),
  );
  const reads = read(memory, rw);
  return { reads, state: { memory, readWeights: rw, writeWeights: ww, readVectors: reads, usage: u, link, precedence } };
}
