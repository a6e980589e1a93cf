import * as tf from '@tensorflow/tfjs';
import { EngramError } from '@engram/tensor';
import { describe, expect, it } from 'vitest';
import { makeController, type ControllerConfig } from '../src/index.ts';

const X = 5;
const CASES: { config: ControllerConfig; units: number[]; keys: string[]; weights: string[] }[] = [
  { config: { kind: 'lstm', units: 4 }, units: [4], keys: ['h', 'c'], weights: ['kernel', 'bias', 'h0', 'c0'] },
  { config: { kind: 'lstm', units: [6, 3] }, units: [6, 3], keys: ['h', 'c'], weights: ['kernel', 'bias', 'h0', 'c0'] },
  { config: { kind: 'gru', units: 4 }, units: [4], keys: ['h'], weights: ['gateKernel', 'gateBias', 'candidateKernel', 'candidateBias', 'h0'] },
  { config: { kind: 'gru', units: 4, layers: 2 }, units: [4, 4], keys: ['h'], weights: ['gateKernel', 'gateBias', 'candidateKernel', 'candidateBias', 'h0'] },
  { config: { kind: 'feedforward', units: 4 }, units: [4], keys: [], weights: ['kernel', 'bias'] },
  { config: { kind: 'feedforward', units: [7, 2], activation: 'relu' }, units: [7, 2], keys: [], weights: ['kernel', 'bias'] },
];

describe('shapes', () => {
  for (const { config, units, keys, weights } of CASES) {
    for (const batch of [1, 3]) {
      it(`${JSON.stringify(config)}, batch ${batch}`, () => {
        const ctrl = makeController(config, X, { seed: 1 });
        const name = config.kind === 'feedforward' ? 'dense' : config.kind;
        const C = units[units.length - 1] as number;
        expect(ctrl.inputSize).toBe(X);
        expect(ctrl.outputSize).toBe(C);
        expect(ctrl.config.units).toEqual(units);
        expect(Object.keys(ctrl.namedVariables)).toEqual(units.flatMap((_, l) => weights.map((w) => `controller/${name}${l}/${w}`)));
        expect(ctrl.variables).toHaveLength(units.length * weights.length);
        expect(ctrl.stateSizes).toEqual(units.flatMap((u, l) => keys.map((k) => ({ name: `${name}${l}/${k}`, size: u }))));
        const u0 = units[0] as number;
        const kernel = ctrl.namedVariables[`controller/${name}0/${weights[0]}`] as tf.Variable;
        expect(kernel.shape).toEqual({ lstm: [X + u0, 4 * u0], gru: [X + u0, 2 * u0], feedforward: [X, u0] }[config.kind]);
        tf.tidy(() => {
          let state = ctrl.initialState(batch);
          expect(Object.isFrozen(state)).toBe(true);
          for (let t = 0; t < 3; t++) {
            const [y, next] = ctrl.step(tf.randomUniform([batch, X], -1, 1, 'float32', t) as tf.Tensor2D, state);
            expect(y.shape).toEqual([batch, C]);
            expect(Object.isFrozen(next)).toBe(true);
            state = next;
          }
          const list = ctrl.toList(state);
          expect(list.map((t) => t.shape)).toEqual(ctrl.stateSizes.map((s) => [batch, s.size]));
          if (keys.length) expect((state.h as tf.Tensor2D[]).map((t) => t.shape)).toEqual(units.map((u) => [batch, u]));
          if (keys.includes('c')) expect((state.c as tf.Tensor2D[]).map((t) => t.shape)).toEqual(units.map((u) => [batch, u]));
        });
        ctrl.dispose();
      });
    }
  }

  it('rejects wrongly shaped inputs and states with an EngramError naming the argument', () => {
    const ctrl = makeController({ kind: 'lstm', units: [4, 3] }, X);
    tf.tidy(() => {
      const s = ctrl.initialState(2);
      expect(() => ctrl.step(tf.zeros([2, X + 1]) as tf.Tensor2D, s)).toThrow(/lstm\.step\(input\)/);
      expect(() => ctrl.step(tf.zeros([2, X]) as tf.Tensor2D, { h: s.h, c: s.c.slice(0, 1) })).toThrow(/lstm\.step\(state\.c\)/);
      expect(() => ctrl.step(tf.zeros([3, X]) as tf.Tensor2D, s)).toThrow(/state\.h\[0\]/);
      expect(() => ctrl.step(tf.zeros([2, X]) as tf.Tensor2D, { h: [s.c[1] as tf.Tensor2D, s.h[1] as tf.Tensor2D], c: s.c })).toThrow(EngramError);
      expect(() => ctrl.initialState(0)).toThrow(/lstm\.initialState\(batch\)/);
      expect(() => ctrl.fromList(ctrl.toList(s).slice(1))).toThrow(/lstm\.fromList\(list\)/);
    });
    ctrl.dispose();
  });

  it('uses the prefix and a custom variable factory', () => {
    const seen: string[] = [];
    const ctrl = makeController({ kind: 'gru', units: 2 }, 3, {
      prefix: 'ntm/ctrl',
      variables: (name, init) => {
        seen.push(name);
        return tf.variable(tf.tidy(init), true);
      },
    });
    expect(seen).toEqual(Object.keys(ctrl.namedVariables));
    expect(seen[0]).toBe('ntm/ctrl/gru0/gateKernel');
    ctrl.dispose();
  });
});
