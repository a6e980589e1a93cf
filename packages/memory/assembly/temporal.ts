// The DNC's temporal linkage and directional weights and their vector-Jacobian product: the
// same equations and order of work as src/dnc/fused/temporalMath.ts (whose header states them),
// every sweep along a contiguous row of a link matrix four float32 lanes at a time.
// Dimension names: B batch, W write heads, N slots, R read heads. Sizes come in that order
// (B, W, N, R), so the module's scratchBytes(B, H = W, N, M = R) covers the two rows used here.
import { at, dot, ld, st, zero32 } from '../../tensor/assembly/simd';

/** out[j] = (1 - w_i - w_j) L[i, j] + w_i p_j over one row, 0 at j = i. */
function newLinkRow(link: usize, writes: usize, precedence: usize, i: i32, N: i32, out: usize): void {
  const wi = ld(writes, i);
  const a = f32x4.splat(1 - wi);
  const wv = f32x4.splat(wi);
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const keep = f32x4.sub(a, v128.load(at(writes, j)));
    v128.store(at(out, j), f32x4.add(f32x4.mul(keep, v128.load(at(link, j))), f32x4.mul(wv, v128.load(at(precedence, j)))));
  }
  for (; j < N; j++) st(out, j, (1 - wi - ld(writes, j)) * ld(link, j) + wi * ld(precedence, j));
  st(out, i, 0);
}

/** y[j] += a x[j] over n floats. */
@inline function axpy(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at(y, j), f32x4.add(v128.load(at(y, j)), f32x4.mul(av, v128.load(at(x, j)))));
  for (; j < n; j++) st(y, j, ld(y, j) + a * ld(x, j));
}

@inline function sum(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j++) s += <f64>ld(x, j);
  return s;
}

// EngramDncTemporal: [link precedence writes reads] -> [link precedence forward backward]
export function dncTemporal(
  B: i32, W: i32, N: i32, R: i32,
  link: usize, precedence: usize, writes: usize, reads: usize,
  outLink: usize, outPrecedence: usize, outForward: usize, outBackward: usize,
  scratch: usize,
): void {
  zero32(outBackward, B * R * W * N);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < W; h++) {
      const wb = (b * W + h) * N;
      const w = at(writes, wb);
      const p = at(precedence, wb);
      const total = <f32>sum(w, N);
      for (let n = 0; n < N; n++) st(outPrecedence, wb + n, (1 - total) * ld(p, n) + ld(w, n));
      for (let i = 0; i < N; i++) {
        const row = (wb + i) * N;
        const l = at(outLink, row);
        newLinkRow(at(link, row), w, p, i, N, l);
        for (let r = 0; r < R; r++) {
          const u = at(reads, (b * R + r) * N);
          const o = ((b * R + r) * W + h) * N;
          st(outForward, o + i, <f32>dot(l, u, N));
          axpy(at(outBackward, o), ld(u, i), l, N);
        }
      }
    }
  }
}

// EngramDncTemporalGrad: [link precedence writes reads dLink dPrecedence dForward dBackward] -> [dLink dPrecedence dWrites dReads]
export function dncTemporalGrad(
  B: i32, W: i32, N: i32, R: i32,
  link: usize, precedence: usize, writes: usize, reads: usize,
  dLink: usize, dPrecedence: usize, dForward: usize, dBackward: usize,
  dPrevLink: usize, dPrevPrecedence: usize, dWrites: usize, dReads: usize,
  scratch: usize,
): void {
  zero32(dWrites, B * W * N);
  zero32(dReads, B * R * N);
  const l = scratch;
  const g = scratch + (((<usize>N << 2) + 15) & ~(<usize>15));
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < W; h++) {
      const wb = (b * W + h) * N;
      const w = at(writes, wb);
      const p = at(precedence, wb);
      const dp = at(dPrecedence, wb);
      const total = <f32>sum(w, N);
      const pdp = <f32>dot(p, dp, N);
      for (let n = 0; n < N; n++) {
        st(dPrevPrecedence, wb + n, (1 - total) * ld(dp, n));
        st(dWrites, wb + n, ld(dWrites, wb + n) + ld(dp, n) - pdp);
      }
      for (let i = 0; i < N; i++) {
        const row = (wb + i) * N;
        const prevRow = at(link, row);
        newLinkRow(prevRow, w, p, i, N, l);
        memory.copy(g, at(dLink, row), <usize>N << 2);
        for (let r = 0; r < R; r++) {
          const u = at(reads, (b * R + r) * N);
          const o = ((b * R + r) * W + h) * N;
          const db = at(dBackward, o);
          const dfi = ld(dForward, o + i);
          // G[i, :] += df[r, i] u[r, :] + db[r, :] u[r, i]
          axpy(g, dfi, u, N);
          axpy(g, ld(u, i), db, N);
          const du = at(dReads, (b * R + r) * N);
          axpy(du, dfi, l, N);
          st(du, i, ld(du, i) + <f32>dot(l, db, N));
        }
        st(g, i, 0); // the diagonal is held at 0
        const wi = ld(w, i);
        const a = f32x4.splat(1 - wi);
        const wv = f32x4.splat(wi);
        let dwi = f32x4.splat(0);
        let j = 0;
        for (; j + 4 <= N; j += 4) {
          const gj = v128.load(at(g, j));
          const prev = v128.load(at(prevRow, j));
          v128.store(at(dPrevLink, row + j), f32x4.mul(f32x4.sub(a, v128.load(at(w, j))), gj));
          const dpp = at(dPrevPrecedence, wb + j);
          v128.store(dpp, f32x4.add(v128.load(dpp), f32x4.mul(wv, gj)));
          dwi = f32x4.add(dwi, f32x4.mul(f32x4.sub(v128.load(at(p, j)), prev), gj));
          const dwp = at(dWrites, wb + j);
          v128.store(dwp, f32x4.sub(v128.load(dwp), f32x4.mul(prev, gj)));
        }
        let dwiTail: f32 = 0;
        for (; j < N; j++) {
          const gj = ld(g, j);
          const prev = ld(prevRow, j);
          st(dPrevLink, row + j, (1 - wi - ld(w, j)) * gj);
          st(dPrevPrecedence, wb + j, ld(dPrevPrecedence, wb + j) + wi * gj);
          dwiTail += (ld(p, j) - prev) * gj;
          st(dWrites, wb + j, ld(dWrites, wb + j) - prev * gj);
        }
        st(dWrites, wb + i, ld(dWrites, wb + i) + f32x4.extract_lane(dwi, 0) + f32x4.extract_lane(dwi, 1) + f32x4.extract_lane(dwi, 2) + f32x4.extract_lane(dwi, 3) + dwiTail);
      }
    }
  }
}
