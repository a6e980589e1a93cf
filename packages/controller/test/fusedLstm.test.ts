/**
 * The fused LSTM gate kernel against the composite LSTM (the reference): values and gradients
 * (w.r.t. inputs, initial state and every weight) of a random linear functional of three
 * steps' outputs and states, to 1e-5 relative; the switch; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { EngramError, Rng, setSimdKernels } from '@engram/tensor';
import { lstmUsesFusedGates, makeController, type Controller, type LstmState } from '../src/index.ts';
import { randomise } from './helpers.ts';

/** max|a - b| / max(1e-6, max|b|). */
function rel(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)));
    scale = Math.max(scale, Math.abs(y[i] as number));
  }
  return diff / Math.max(1e-6, scale);
}

function run(kernels: 'fused' | 'reference', batch: number, layers: number, seed: number): { values: tf.Tensor[]; grads: Record<string, tf.Tensor> } {
  const ctrl = makeController({ kind: 'lstm', units: 7, layers }, 5, { seed: 1, kernels }) as Controller<LstmState>;
  randomise(ctrl, seed);
  const rng = new Rng(seed + 1);
  const xs = [0, 1, 2].map(() => tf.variable(rng.uniformTensor([batch, 5], -2, 2)));
  let values: tf.Tensor[] = [];
  const f = () => {
    let state = ctrl.initialState(batch);
    const outs: tf.Tensor[] = [];
    for (const x of xs) {
      const [y, next] = ctrl.step(x as tf.Tensor2D, state);
      outs.push(y, ...(next.h as tf.Tensor[]), ...(next.c as tf.Tensor[]));
      state = next;
    }
    values = outs.map((t) => tf.keep(tf.clone(t)));
    const proj = new Rng(seed + 2);
    return tf.addN(outs.map((t) => tf.sum(tf.mul(t, proj.uniformTensor(t.shape, -1, 1))))) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(f, [...ctrl.variables, ...xs]);
  const named: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(ctrl.namedVariables)) named[k] = grads[v.name] as tf.Tensor;
  xs.forEach((x, t) => (named[`x${t}`] = grads[x.name] as tf.Tensor));
  value.dispose();
  tf.dispose(xs);
  ctrl.dispose();
  return { values, grads: named };
}

describe('fused LSTM gates equal the composite LSTM (values and gradients, 1e-5 relative)', () => {
  afterAll(() => setSimdKernels(true));
  for (const simd of [true, false])
    for (const batch of [1, 3]) {
      for (const layers of [1, 2]) {
        it(`${simd ? 'WebAssembly SIMD twins' : 'JavaScript loops'}: B=${batch}, ${layers} layer(s), 3 steps`, () => {
          setSimdKernels(simd);
          const fused = run('fused', batch, layers, 10 * batch + layers);
          const reference = run('reference', batch, layers, 10 * batch + layers);
          fused.values.forEach((v, i) => expect(rel(v, reference.values[i] as tf.Tensor), `output ${i}`).toBeLessThan(1e-5));
          for (const [name, g] of Object.entries(reference.grads)) {
            expect(rel(fused.grads[name] as tf.Tensor, g), `gradient of ${name}`).toBeLessThan(1e-5);
          }
          tf.dispose([fused.values, reference.values, fused.grads, reference.grads]);
        });
      }
    }
});

describe('the LSTM kernels switch', () => {
  it("auto is fused on cpu and wasm only; 'fused' elsewhere is an EngramError naming controller.kernels", () => {
    expect(lstmUsesFusedGates('auto', 'wasm')).toBe(true);
    expect(lstmUsesFusedGates('auto', 'cpu')).toBe(true);
    expect(lstmUsesFusedGates(undefined, 'tensorflow')).toBe(false);
    expect(lstmUsesFusedGates('reference', 'wasm')).toBe(false);
    expect(() => lstmUsesFusedGates('fused', 'tensorflow')).toThrow(EngramError);
    expect(() => lstmUsesFusedGates('fused', 'tensorflow')).toThrow(/controller.kernels.*'auto' or 'reference'/);
  });
});

describe('no tensor leaks with fused gates', () => {
  it('numTensors unchanged across 100 training steps (variableGrads inside tidy)', () => {
    const ctrl = makeController({ kind: 'lstm', units: 8 }, 4, { seed: 2, kernels: 'fused' }) as Controller<LstmState>;
    const x = tf.ones([2, 4]) as tf.Tensor2D;
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          let state = ctrl.initialState(2);
          let total = tf.scalar(0);
          for (let t = 0; t < 3; t++) {
            const [y, next] = ctrl.step(x, state);
            total = tf.add(total, tf.sum(y));
            state = next;
          }
          return total as tf.Scalar;
        }, ctrl.variables);
        value.dataSync();
        for (const g of Object.values(grads)) g.dataSync();
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    ctrl.dispose();
  });
});
