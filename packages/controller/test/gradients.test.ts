import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeController, type Controller, type ControllerConfig } from '../src/index.ts';
import { params64, randomise, randomMats, relErr } from './helpers.ts';
import { numericGradient, run64, type Kind, type Mat } from './reference/controller64.ts';

const X = 3;
const B = 2;
const T = 3;

/** loss = Σ_t sum(y_t ⊙ P_t) in tfjs, run from the learned initial state. */
function lossTf(ctrl: Controller, xs: readonly tf.Tensor2D[], ps: readonly tf.Tensor2D[]): tf.Scalar {
  let s = ctrl.initialState(B);
  let total = tf.scalar(0);
  xs.forEach((x, t) => {
    const [y, next] = ctrl.step(x, s);
    s = next;
    total = tf.add(total, tf.sum(tf.mul(y, ps[t] as tf.Tensor2D)));
  });
  return total;
}

describe('gradients: tfjs vs central differences of the float64 reference (3 steps, 2 layers)', () => {
  const configs: ControllerConfig[] = [
    { kind: 'lstm', units: [4, 3] },
    { kind: 'gru', units: [4, 3] },
    { kind: 'feedforward', units: [4, 3], activation: 'tanh' },
    { kind: 'feedforward', units: [4, 3], activation: 'sigmoid' },
  ];
  for (const config of configs) {
    it(`${config.kind}${'activation' in config ? ` ${config.activation}` : ''}`, () => {
      const ctrl = makeController(config, X, { seed: 21 });
      randomise(ctrl, 22); // nonzero h0, c0 and biases, so every path carries gradient
      const xs = randomMats(23, T, B, X);
      const ps = randomMats(24, T, B, 3);
      const xsT = xs.map((x) => tf.tensor2d(x));
      const psT = ps.map((p) => tf.tensor2d(p));
      const { value, grads } = tf.variableGrads(() => lossTf(ctrl, xsT, psT), ctrl.variables);

      const p64 = params64(ctrl);
      const act = 'activation' in config ? config.activation : undefined;
      const loss64 = () =>
        run64(config.kind as Kind, 2, p64, xs, act ? { activation: act } : {}).reduce(
          (s, y, t) => s + y.reduce((s2, row, b) => s2 + row.reduce((s3, v, j) => s3 + v * (((ps[t] as Mat)[b] as number[])[j] as number), 0), 0),
          0,
        );
      expect(Math.abs((value.dataSync()[0] as number) - loss64())).toBeLessThan(1e-4);
      for (const [name, v] of Object.entries(ctrl.namedVariables)) {
        const g = grads[v.name];
        expect(g, name).toBeDefined();
        const numeric = numericGradient(loss64, (p64[name] as { data: Float64Array }).data);
        const err = relErr((g as tf.Tensor).dataSync(), numeric);
        expect(err, `${name}: relative error ${err}`).toBeLessThan(1e-3);
      }
      tf.dispose([value, ...Object.values(grads), ...xsT, ...psT]);
      ctrl.dispose();
    });
  }
});

describe('learned initial state', () => {
  for (const kind of ['lstm', 'gru'] as const) {
    it(`${kind}: gradients reach every layer's h0${kind === 'lstm' ? ' and c0' : ''}`, () => {
      const ctrl = makeController({ kind, units: 3, layers: 2 }, X, { seed: 31 });
      const init = Object.entries(ctrl.namedVariables).filter(([n]) => /\/(h0|c0)$/.test(n));
      expect(init.map(([n]) => n.split('/').slice(1).join('/'))).toEqual(
        kind === 'lstm' ? ['lstm0/h0', 'lstm0/c0', 'lstm1/h0', 'lstm1/c0'] : ['gru0/h0', 'gru1/h0'],
      );
      const xs = randomMats(32, T, B, X).map((x) => tf.tensor2d(x));
      const ps = randomMats(33, T, B, 3).map((p) => tf.tensor2d(p));
      const { value, grads } = tf.variableGrads(
        () => lossTf(ctrl, xs, ps),
        init.map(([, v]) => v),
      );
      for (const [name, v] of init) {
        const g = grads[v.name] as tf.Tensor;
        expect(g.shape, name).toEqual([1, 3]);
        const norm = tf.tidy(() => tf.norm(g).dataSync()[0] as number);
        expect(norm, name).toBeGreaterThan(1e-6);
        expect(Number.isFinite(norm)).toBe(true);
      }
      tf.dispose([value, ...Object.values(grads), ...xs, ...ps]);
      ctrl.dispose();
    });
  }
});
