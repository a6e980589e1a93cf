import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeController, type ControllerConfig } from '../src/index.ts';

const X = 3;
const configs: ControllerConfig[] = [
  { kind: 'lstm', units: [4, 3] },
  { kind: 'gru', units: [4, 3] },
  { kind: 'feedforward', units: [4, 3] },
];

describe('tensor memory', () => {
  for (const config of configs) {
    it(`${config.kind}: 50 steps inside tf.tidy leave tf.memory().numTensors unchanged`, () => {
      const ctrl = makeController(config, X, { seed: 1 });
      const x = tf.randomUniform([2, X], -1, 1, 'float32', 5) as tf.Tensor2D;
      const run = (steps: number) =>
        tf.tidy(() => {
          let s = ctrl.initialState(2);
          for (let t = 0; t < steps; t++) s = ctrl.step(x, s)[1];
        });
      run(1); // warm-up
      const before = tf.memory().numTensors;
      run(50);
      expect(tf.memory().numTensors).toBe(before);
      // Outside a tidy, a step leaves behind only what it returns.
      const s0 = ctrl.initialState(2);
      const mid = tf.memory().numTensors;
      const [y, s1] = ctrl.step(x, s0);
      const kept = new Set([y, ...ctrl.toList(s1)]);
      expect(tf.memory().numTensors).toBe(mid + kept.size);
      tf.dispose([...kept, ...ctrl.toList(s0)]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      ctrl.dispose();
    });

    it(`${config.kind}: toList / fromList round trip`, () => {
      const ctrl = makeController(config, X, { seed: 2 });
      tf.tidy(() => {
        let s = ctrl.initialState(3);
        const x = tf.randomUniform([3, X], -1, 1, 'float32', 6) as tf.Tensor2D;
        s = ctrl.step(x, s)[1];
        const list = ctrl.toList(s);
        expect(list).toHaveLength(ctrl.stateSizes.length);
        const back = ctrl.fromList(list);
        expect(Object.isFrozen(back)).toBe(true);
        const again = ctrl.toList(back);
        again.forEach((t, i) => expect(t).toBe(list[i]));
        const [y1] = ctrl.step(x, s);
        const [y2] = ctrl.step(x, back);
        expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
      });
      ctrl.dispose();
    });
  }

  it('dispose frees every variable', () => {
    const before = tf.memory().numTensors;
    const ctrl = makeController({ kind: 'lstm', units: 3, layers: 2 }, X);
    expect(tf.memory().numTensors).toBe(before + ctrl.variables.length);
    ctrl.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
