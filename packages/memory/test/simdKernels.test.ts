/**
 * The WebAssembly SIMD twins of the fused kernels: the committed module is the one its source
 * builds to; at the training sizes (copy: B=32, N=128, M=20) and at sizes that exercise the
 * tails of the four-lane loops (M=18) and several heads, every kernel's values and gradients
 * equal the JavaScript loops' to 1e-5 relative (the loops work in float64 scalars, the twins
 * in float32 lanes), and so do the controls' activations (the LSTM gates' twins:
 * packages/controller/test/simdGates.test.ts); the same inputs give the same bits every call; switched off, nothing runs.
 * (fusedKernels.test.ts runs every kernel test against the composite reference on both paths.)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fusedAddress,
  fusedAddressRead,
  fusedAddressWrite,
  fusedControls,
  fusedRead,
  fusedWrite,
  setSimdKernels,
  simdKernelsActive,
} from '../src/ntm/fused/index.ts';
import { runSimdKernel } from '../src/ntm/fused/simd/ntmSimd.ts';
import { mulberry32 } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

afterAll(() => setSimdKernels(true));

function uniform(shape: number[], rng: () => number, lo: number, hi: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rng()),
    shape,
  );
}

/** Addressing inputs plus erase and add, in their valid ranges. */
function inputs(B: number, H: number, N: number, M: number, S: number, seed: number): tf.Tensor[] {
  const rng = mulberry32(seed);
  return [
    uniform([B, N, M], rng, -1, 1),
    uniform([B, H, M], rng, -1, 1),
    uniform([B, H], rng, 0, 8),
    uniform([B, H], rng, 0, 1),
    tf.softmax(uniform([B, H, 2 * S + 1], rng, -2, 2)),
    uniform([B, H], rng, 1, 4),
    tf.softmax(uniform([B, H, N], rng, -3, 3)),
    uniform([B, H, M], rng, 0, 1),
    uniform([B, H, M], rng, -1, 1),
  ];
}

type Args = [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];

/** A scalar of everything the five kernels return, so its gradient runs every backward kernel. */
function objective(normalize: 'softmax' | 'sparsemax') {
  return (...x: tf.Tensor[]): tf.Scalar => {
    const [memory, key, beta, gate, shift, gamma, prev, erase, add] = x as Args;
    const addressed = fusedAddress(memory, key, beta, gate, shift, gamma, prev, normalize);
    const written = fusedAddressWrite(memory, key, beta, gate, shift, gamma, prev, erase, add, normalize);
    const read = fusedAddressRead(written.memory, key, beta, gate, shift, gamma, prev, normalize);
    const plainWrite = fusedWrite(memory, addressed, erase, add);
    const plainRead = fusedRead(plainWrite, addressed);
    const parts = [addressed, written.weights, written.memory, read.weights, read.reads, plainWrite, plainRead];
    return tf.addN(parts.map((p, i) => tf.sum(tf.mul(tf.sin(tf.mul(p, i + 1)), p)))) as tf.Scalar;
  };
}

/** Value and gradients of the objective, as plain arrays. */
/** Value and gradients of a scalar function of `x` on one path, as plain arrays. */
function evaluate(simd: boolean, f: (...x: tf.Tensor[]) => tf.Scalar, x: tf.Tensor[]): Float32Array[] {
  setSimdKernels(simd);
  return tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads(f)(x);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

function relative(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('the WebAssembly SIMD twins', () => {
  it('are active by default in Node', () => {
    setSimdKernels(true);
    expect(simdKernelsActive()).toBe(true);
  });

  it('the committed module is what packages/memory/assembly builds to (node scripts/build-wasm.mjs --check)', () => {
    const out = execFileSync('node', [join(ROOT, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/matches its source/);
  }, 120_000);

  const NAMES = ['value', 'memory', 'key', 'beta', 'gate', 'shift', 'gamma', 'prev', 'erase', 'add'];
  for (const [B, H, N, M, S, normalize] of [
    [32, 1, 128, 20, 1, 'softmax'],
    [4, 3, 64, 18, 2, 'softmax'],
    [4, 2, 40, 7, 1, 'sparsemax'],
  ] as const) {
    it(`equal the JavaScript loops: B=${B}, H=${H}, N=${N}, M=${M}, S=${S}, ${normalize} (values and gradients, 1e-5 relative)`, () => {
      const x = inputs(B, H, N, M, S, 1000 * B + 10 * H + M);
      const simd = evaluate(true, objective(normalize), x);
      const js = evaluate(false, objective(normalize), x);
      simd.forEach((a, i) => expect(relative(a, js[i]!), NAMES[i]).toBeLessThan(1e-5));
      tf.dispose(x);
    });
  }

  for (const [W, R, clip] of [
    [1, 1, 20],
    [0, 2, 1.5],
    [2, 0, Infinity],
  ] as const) {
    it(`controls equal the JavaScript loops: B=32, M=20, S=1, W=${W}, R=${R}, clip ${clip} (values and gradients, 1e-5 relative)`, () => {
      const L = W * (3 * 20 + 6) + R * (20 + 6);
      const rng = mulberry32(7 * W + R);
      const x = [uniform([32, L], rng, -4, 4), uniform([L], rng, -1, 1)];
      const f = (z: tf.Tensor, bias: tf.Tensor): tf.Scalar => {
        const c = fusedControls(z as tf.Tensor2D, 20, 1, W, R, bias as tf.Tensor1D, clip);
        const parts = [c.write, c.read].flatMap((g) => (g ? Object.values(g) : [])) as tf.Tensor[];
        return tf.addN(parts.map((p, i) => tf.sum(tf.mul(tf.sin(tf.mul(p, i + 1)), p)))) as tf.Scalar;
      };
      const simd = evaluate(true, f as (...x: tf.Tensor[]) => tf.Scalar, x);
      const js = evaluate(false, f as (...x: tf.Tensor[]) => tf.Scalar, x);
      simd.forEach((a, i) => expect(relative(a, js[i]!), ['value', 'z', 'bias'][i]).toBeLessThan(1e-5));
      tf.dispose(x);
    });
  }

  it('give the same bits for the same inputs, call after call', () => {
    const x = inputs(8, 2, 32, 12, 1, 5);
    const first = evaluate(true, objective('softmax'), x);
    const second = evaluate(true, objective('softmax'), x);
    first.forEach((a, i) => expect(Array.from(second[i]!)).toEqual(Array.from(a)));
    tf.dispose(x);
  });

  it('switched off, run nothing and leave the outputs to the JavaScript loops', () => {
    setSimdKernels(false);
    // a read of memory [[1, 2], [3, 4]] with weights [0.5, 0.5] (B=1, H=1, N=2, M=2)
    const args = [Float32Array.of(1, 2, 3, 4), Float32Array.of(0.5, 0.5)];
    const out = new Float32Array(2).fill(7);
    expect(runSimdKernel('ntmRead', [1, 1, 2, 2], args, [out])).toBe(false);
    expect(Array.from(out)).toEqual([7, 7]);
    setSimdKernels(true);
    expect(runSimdKernel('ntmRead', [1, 1, 2, 2], args, [out])).toBe(true);
    expect(Array.from(out)).toEqual([2, 3]);
  });
});
