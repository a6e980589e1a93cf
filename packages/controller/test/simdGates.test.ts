/**
 * The WebAssembly SIMD twins of the LSTM gate kernels (packages/controller/assembly) equal the
 * JavaScript loops at the copy sizes (B=32, U=100) and with a tail (U=7): values and gradients
 * to 1e-5 relative. (fusedLstm.test.ts runs both paths against the composite LSTM.)
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { setSimdKernels } from '@engram/tensor';
import { fusedLstmGates, lstmSimd } from '../src/fused/lstmGatesKernel.ts';

afterAll(() => setSimdKernels(true));

/** A deterministic uniform tensor (a linear congruential stream). */
function uniform(shape: number[], seed: number, lo: number, hi: number): tf.Tensor {
  let state = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * state) / 2 ** 32;
  });
  return tf.tensor(values, shape);
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

describe("the LSTM gates' WebAssembly SIMD twins", () => {
  it('are active by default in Node', () => {
    setSimdKernels(true);
    expect(lstmSimd.active).toBe(true);
  });
  for (const units of [100, 7]) {
    it(`LSTM gates equal the JavaScript loops: B=32, U=${units} (values and gradients, 1e-5 relative)`, () => {
      const x = [uniform([32, 4 * units], units, -6, 6), uniform([4 * units], units + 1, -1, 1), uniform([32, units], units + 2, -2, 2)];
      const f = (z: tf.Tensor, bias: tf.Tensor, c: tf.Tensor): tf.Scalar => {
        const out = fusedLstmGates(z as tf.Tensor2D, bias as tf.Tensor1D, c as tf.Tensor2D);
        return tf.add(tf.sum(tf.mul(tf.sin(out.h), out.h)), tf.sum(tf.mul(tf.cos(out.c), out.c))) as tf.Scalar;
      };
      const run = (simd: boolean) => {
        setSimdKernels(simd);
        return tf.tidy(() => {
          const { value, grads } = tf.valueAndGrads(f)(x);
          return [value, ...grads].map((t) => t.dataSync() as Float32Array);
        });
      };
      const simd = run(true);
      const js = run(false);
      simd.forEach((a, i) => expect(relative(a, js[i]!), ['value', 'z', 'bias', 'c'][i]).toBeLessThan(1e-5));
      tf.dispose(x);
    });
  }
});
