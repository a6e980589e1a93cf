import * as tf from '@tensorflow/tfjs';
import { EngramError } from '@engram/tensor';
import { describe, expect, it } from 'vitest';
import { makeController, resolveControllerConfig, type ControllerConfig } from '../src/index.ts';

const X = 4;

function outputs(config: unknown, seed: number): number[] {
  const ctrl = makeController(config as ControllerConfig, X, { seed });
  const out = tf.tidy(() => {
    let s = ctrl.initialState(2);
    const ys: number[] = [];
    for (let t = 0; t < 3; t++) {
      const [y, next] = ctrl.step(tf.randomUniform([2, X], -1, 1, 'float32', 40 + t) as tf.Tensor2D, s);
      ys.push(...y.dataSync());
      s = next;
    }
    return ys;
  });
  ctrl.dispose();
  return out;
}

describe('config', () => {
  it('resolves defaults', () => {
    expect(resolveControllerConfig({ kind: 'lstm', units: 8 }, X)).toEqual({ kind: 'lstm', units: [8], inputSize: X });
    expect(resolveControllerConfig({ kind: 'gru', units: 8, layers: 3 }, X)).toEqual({ kind: 'gru', units: [8, 8, 8], inputSize: X });
    expect(resolveControllerConfig({ kind: 'feedforward', units: [8, 5] }, X)).toEqual({
      kind: 'feedforward',
      units: [8, 5],
      activation: 'tanh',
      inputSize: X,
    });
    expect(resolveControllerConfig({ kind: 'lstm', units: [6, 2], layers: 2 }, X).units).toEqual([6, 2]);
  });

  const configs: ControllerConfig[] = [
    { kind: 'lstm', units: 5, layers: 2 },
    { kind: 'gru', units: [5, 3] },
    { kind: 'feedforward', units: [6, 3], activation: 'relu' },
  ];
  for (const config of configs) {
    it(`${config.kind}: a JSON round trip of config rebuilds the same controller`, () => {
      const a = makeController(config, X, { seed: 9 });
      const json = JSON.parse(JSON.stringify(a.config)) as unknown;
      const b = makeController(json as ControllerConfig, X, { seed: 9 });
      expect(b.config).toEqual(a.config);
      expect(Object.keys(b.namedVariables)).toEqual(Object.keys(a.namedVariables));
      for (const [name, v] of Object.entries(a.namedVariables)) {
        expect(Array.from((b.namedVariables[name] as tf.Variable).dataSync()), name).toEqual(Array.from(v.dataSync()));
      }
      expect(b.stateSizes).toEqual(a.stateSizes);
      a.dispose();
      b.dispose();
      const same = outputs(json, 9);
      expect(same).toEqual(outputs(config, 9));
      expect(outputs(config, 10)).not.toEqual(same); // the seed matters
    });
  }

  const bad: [string, unknown, number][] = [
    ['controller.units', { kind: 'lstm', units: 0 }, X],
    ['controller.units', { kind: 'gru', units: 2.5 }, X],
    ['controller.units', { kind: 'feedforward', units: [] }, X],
    ['controller.units[1]', { kind: 'feedforward', units: [4, -1] }, X],
    ['controller.kind', { kind: 'rnn', units: 4 }, X],
    ['controller.kind', { units: 4 }, X],
    ['controller.layers', { kind: 'lstm', units: 4, layers: 0 }, X],
    ['controller.layers', { kind: 'gru', units: [4, 4], layers: 3 }, X],
    ['controller.activation', { kind: 'feedforward', units: 4, activation: 'gelu' }, X],
    ['controller.activation', { kind: 'lstm', units: 4, activation: 'relu' }, X],
    ['controller.inputSize', { kind: 'lstm', units: 4 }, 0],
    ['controller.inputSize', { kind: 'lstm', units: [4], inputSize: 3 }, X],
    ['controller.unit', { kind: 'lstm', unit: 4 }, X],
    ['controller', null, X],
  ];
  for (const [field, config, inputSize] of bad) {
    it(`rejects ${JSON.stringify(config)} (X = ${inputSize}) naming ${field}`, () => {
      let error: unknown;
      try {
        makeController(config as ControllerConfig, inputSize);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EngramError);
      expect((error as EngramError).field).toBe(field);
      expect((error as EngramError).message.startsWith(`${field}: `)).toBe(true);
      expect((error as EngramError).fix.length).toBeGreaterThan(0);
    });
  }

  it('rejects a non-integer seed', () => {
    expect(() => makeController({ kind: 'lstm', units: 2 }, X, { seed: 0.5 })).toThrow(/controller\.seed/);
  });
});
