import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeController, type ControllerConfig } from '../src/index.ts';
import { params64, randomise, randomMats, maxDiff } from './helpers.ts';
import { run64, sigmoid, type Kind } from './reference/controller64.ts';

const set = (v: tf.Variable | undefined, values: number[] | number[][]) => tf.tidy(() => (v as tf.Variable).assign(tf.tensor(values)));
const σ = sigmoid;
const th = Math.tanh;

describe('known values on planted weights (computed by hand in float64)', () => {
  it('lstm, X = 1, U = 1, two steps', () => {
    const ctrl = makeController({ kind: 'lstm', units: 1 }, 1);
    const v = ctrl.namedVariables;
    // kernel rows: x then h; columns: i, f, g, o
    set(v['controller/lstm0/kernel'], [
      [0.5, -0.3, 0.8, 0.2],
      [0.1, 0.4, -0.6, 0.7],
    ]);
    set(v['controller/lstm0/bias'], [0.1, 1.0, -0.2, 0.05]);
    set(v['controller/lstm0/h0'], [[0.3]]);
    set(v['controller/lstm0/c0'], [[-0.4]]);
    const xs = [0.9, -1.2];
    let h = 0.3;
    let c = -0.4;
    const want: number[] = [];
    for (const x of xs) {
      const i = σ(0.5 * x + 0.1 * h + 0.1);
      const f = σ(-0.3 * x + 0.4 * h + 1.0);
      const g = th(0.8 * x - 0.6 * h - 0.2);
      const o = σ(0.2 * x + 0.7 * h + 0.05);
      c = f * c + i * g;
      h = o * th(c);
      want.push(h, c);
    }
    const got = tf.tidy(() => {
      let s = ctrl.initialState(1);
      const out: number[] = [];
      for (const x of xs) {
        const [y, next] = ctrl.step(tf.tensor2d([[x]]), s);
        out.push(y.dataSync()[0] as number, (next.c[0] as tf.Tensor).dataSync()[0] as number);
        s = next;
      }
      return out;
    });
    expect(maxDiff(got, want)).toBeLessThan(1e-6);
    ctrl.dispose();
  });

  it('gru, X = 1, U = 1, two steps', () => {
    const ctrl = makeController({ kind: 'gru', units: 1 }, 1);
    const v = ctrl.namedVariables;
    set(v['controller/gru0/gateKernel'], [
      [0.6, -0.5],
      [0.3, 0.9],
    ]); // columns r, u
    set(v['controller/gru0/gateBias'], [0.1, -0.2]);
    set(v['controller/gru0/candidateKernel'], [[1.1], [-0.7]]);
    set(v['controller/gru0/candidateBias'], [0.05]);
    set(v['controller/gru0/h0'], [[0.25]]);
    let h = 0.25;
    const want: number[] = [];
    for (const x of [0.7, -0.4]) {
      const r = σ(0.6 * x + 0.3 * h + 0.1);
      const u = σ(-0.5 * x + 0.9 * h - 0.2);
      const cand = th(1.1 * x - 0.7 * (r * h) + 0.05);
      h = u * h + (1 - u) * cand;
      want.push(h);
    }
    const got = tf.tidy(() => {
      let s = ctrl.initialState(1);
      return [0.7, -0.4].map((x) => {
        const [y, next] = ctrl.step(tf.tensor2d([[x]]), s);
        s = next;
        return y.dataSync()[0] as number;
      });
    });
    expect(maxDiff(got, want)).toBeLessThan(1e-6);
    ctrl.dispose();
  });

  for (const activation of ['tanh', 'relu', 'sigmoid'] as const) {
    it(`feedforward ${activation}, X = 2, units [2, 1]`, () => {
      const ctrl = makeController({ kind: 'feedforward', units: [2, 1], activation }, 2);
      const v = ctrl.namedVariables;
      set(v['controller/dense0/kernel'], [
        [0.5, -1.0],
        [0.25, 0.75],
      ]);
      set(v['controller/dense0/bias'], [0.1, -0.3]);
      set(v['controller/dense1/kernel'], [[1.5], [-0.5]]);
      set(v['controller/dense1/bias'], [0.2]);
      const act = { tanh: th, relu: (z: number) => Math.max(0, z), sigmoid: σ }[activation];
      const x = [0.8, -0.6];
      const a = act(0.5 * x[0]! + 0.25 * x[1]! + 0.1);
      const b = act(-1.0 * x[0]! + 0.75 * x[1]! - 0.3);
      const want = act(1.5 * a - 0.5 * b + 0.2);
      const got = tf.tidy(() => ctrl.step(tf.tensor2d([x]), ctrl.initialState(1))[0].dataSync()[0] as number);
      expect(Math.abs(got - want)).toBeLessThan(1e-6);
      ctrl.dispose();
    });
  }
});

describe('agrees with the float64 reference on random weights (2 layers, batch 3, 5 steps)', () => {
  const configs: ControllerConfig[] = [
    { kind: 'lstm', units: [4, 3] },
    { kind: 'gru', units: [4, 3] },
    { kind: 'feedforward', units: [4, 3], activation: 'sigmoid' },
  ];
  for (const config of configs) {
    it(config.kind, () => {
      const ctrl = makeController(config, 2, { seed: 3 });
      randomise(ctrl, 4);
      const xs = randomMats(5, 5, 3, 2);
      const want = run64(config.kind as Kind, 2, params64(ctrl), xs, { activation: 'sigmoid' });
      const got = tf.tidy(() => {
        let s = ctrl.initialState(3);
        return xs.map((x) => {
          const [y, next] = ctrl.step(tf.tensor2d(x), s);
          s = next;
          return y.arraySync();
        });
      });
      expect(maxDiff(got.flat(2), want.flat(2))).toBeLessThan(1e-5);
      ctrl.dispose();
    });
  }
});

describe('pinned LSTM gates', () => {
  it('forget gate ~1 and input gate ~0 keep the cell state unchanged for 10 steps', () => {
    const U = 4;
    const X = 3;
    const ctrl = makeController({ kind: 'lstm', units: U }, X, { seed: 11 });
    randomise(ctrl, 12); // random kernel, bias, h0, c0
    const v = ctrl.namedVariables;
    tf.tidy(() => {
      // zero the i and f columns of the kernel, then pin them with large biases
      const kernel = v['controller/lstm0/kernel'] as tf.Variable;
      const mask = tf.concat([tf.zeros([X + U, 2 * U]), tf.ones([X + U, 2 * U])], 1);
      kernel.assign(tf.mul(kernel, mask));
      const bias = v['controller/lstm0/bias'] as tf.Variable;
      const [, , g, o] = tf.split(bias, 4);
      bias.assign(tf.concat([tf.fill([U], -30), tf.fill([U], 30), g as tf.Tensor, o as tf.Tensor]));
    });
    const xs = randomMats(13, 10, 2, X, -2, 2);
    const [c0, c10, hChanged] = tf.tidy(() => {
      let s = ctrl.initialState(2);
      const first = (s.c[0] as tf.Tensor).arraySync() as number[][];
      const h0 = (s.h[0] as tf.Tensor).arraySync() as number[][];
      for (const x of xs) s = ctrl.step(tf.tensor2d(x), s)[1];
      const h = (s.h[0] as tf.Tensor).arraySync() as number[][];
      return [first, (s.c[0] as tf.Tensor).arraySync() as number[][], maxDiff(h.flat(), h0.flat())];
    });
    expect(maxDiff(c10.flat(), c0.flat())).toBeLessThan(1e-4);
    expect(Math.max(...c0.flat().map(Math.abs))).toBeGreaterThan(0.1); // the kept state is not trivially 0
    expect(hChanged).toBeGreaterThan(1e-3); // while the output still moves
    ctrl.dispose();
  });
});
