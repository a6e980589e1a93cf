/**
 * A float64, plain-TypeScript reference of the three controllers, written from the formulas in
 * the source TSDoc (not from the tfjs code), for known-value and finite-difference tests.
 * Matrices are row-major: a batch is `number[][]` `[B][n]`, a weight is a flat Float64Array.
 */

export type Mat = number[][];
export interface Param {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}
/** Weights by path, e.g. `controller/lstm0/kernel`. */
export type Params = Record<string, Param>;
export type Kind = 'lstm' | 'gru' | 'feedforward';
export type Act = 'tanh' | 'relu' | 'sigmoid';

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const ACT: Record<Act, (v: number) => number> = { tanh: Math.tanh, relu: (v) => Math.max(0, v), sigmoid };

function param(p: Params, name: string): Param {
  const v = p[name];
  if (!v) throw new RangeError(`reference: no weight ${name}`);
  return v;
}

/** x · W + b for x `[B][K]`, W `[K, N]`, b `[N]`. */
export function affine(x: Mat, w: Param, b: Param): Mat {
  const [k, n] = w.shape as [number, number];
  return x.map((row) => {
    if (row.length !== k) throw new RangeError(`reference: input width ${row.length} vs kernel rows ${k}`);
    return Array.from({ length: n }, (_, j) => row.reduce((s, v, i) => s + v * (w.data[i * n + j] as number), b.data[j] as number));
  });
}

const cat = (a: Mat, b: Mat): Mat => a.map((r, i) => [...r, ...(b[i] as number[])]);
const cols = (m: Mat, from: number, to: number): Mat => m.map((r) => r.slice(from, to));
const map = (m: Mat, f: (v: number) => number): Mat => m.map((r) => r.map(f));
const zip = (a: Mat, b: Mat, f: (x: number, y: number) => number): Mat => a.map((r, i) => r.map((v, j) => f(v, (b[i] as number[])[j] as number)));

export function lstmStep64(p: Params, path: string, x: Mat, h: Mat, c: Mat): { h: Mat; c: Mat } {
  const u = (h[0] as number[]).length;
  const z = affine(cat(x, h), param(p, `${path}/kernel`), param(p, `${path}/bias`));
  const i = map(cols(z, 0, u), sigmoid);
  const f = map(cols(z, u, 2 * u), sigmoid);
  const g = map(cols(z, 2 * u, 3 * u), Math.tanh);
  const o = map(cols(z, 3 * u, 4 * u), sigmoid);
  const c2 = zip(
    zip(f, c, (a, b) => a * b),
    zip(i, g, (a, b) => a * b),
    (a, b) => a + b,
  );
  return { h: zip(o, map(c2, Math.tanh), (a, b) => a * b), c: c2 };
}

export function gruStep64(p: Params, path: string, x: Mat, h: Mat): Mat {
  const u = (h[0] as number[]).length;
  const gates = map(affine(cat(x, h), param(p, `${path}/gateKernel`), param(p, `${path}/gateBias`)), sigmoid);
  const r = cols(gates, 0, u);
  const z = cols(gates, u, 2 * u);
  const cand = map(
    affine(
      cat(
        x,
        zip(r, h, (a, b) => a * b),
      ),
      param(p, `${path}/candidateKernel`),
      param(p, `${path}/candidateBias`),
    ),
    Math.tanh,
  );
  return h.map((row, b) =>
    row.map((hv, j) => {
      const zv = (z[b] as number[])[j] as number;
      return zv * hv + (1 - zv) * ((cand[b] as number[])[j] as number);
    }),
  );
}

export function denseStep64(p: Params, path: string, x: Mat, act: Act): Mat {
  return map(affine(x, param(p, `${path}/kernel`), param(p, `${path}/bias`)), ACT[act]);
}

/**
 * Runs a controller over `xs` (T steps of `[B][X]`) from its learned initial state (tiled to B)
 * and returns the output of every step.
 */
export function run64(kind: Kind, layers: number, p: Params, xs: readonly Mat[], options: { prefix?: string; activation?: Act } = {}): Mat[] {
  const prefix = options.prefix ?? 'controller';
  const name = kind === 'feedforward' ? 'dense' : kind;
  const paths = Array.from({ length: layers }, (_, l) => `${prefix}/${name}${l}`);
  const batch = (xs[0] as Mat).length;
  const tile = (v: Param): Mat => Array.from({ length: batch }, () => Array.from(v.data));
  let h = kind === 'feedforward' ? [] : paths.map((pa) => tile(param(p, `${pa}/h0`)));
  let c = kind === 'lstm' ? paths.map((pa) => tile(param(p, `${pa}/c0`))) : [];
  return xs.map((x0) => {
    let x = x0;
    const hn: Mat[] = [];
    const cn: Mat[] = [];
    paths.forEach((pa, l) => {
      if (kind === 'lstm') {
        const s = lstmStep64(p, pa, x, h[l] as Mat, c[l] as Mat);
        hn.push(s.h);
        cn.push(s.c);
        x = s.h;
      } else if (kind === 'gru') {
        x = gruStep64(p, pa, x, h[l] as Mat);
        hn.push(x);
      } else {
        x = denseStep64(p, pa, x, options.activation ?? 'tanh');
      }
    });
    h = hn;
    c = cn;
    return x;
  });
}

/** Central differences of `f` with respect to every entry of `data` (perturbed in place, then restored). */
export function numericGradient(f: () => number, data: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    data[i] = v + eps;
    const up = f();
    data[i] = v - eps;
    const down = f();
    data[i] = v;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}
