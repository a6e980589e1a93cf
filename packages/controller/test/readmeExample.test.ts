import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeController } from '../src/index.ts';

// The README example, run as written (inside one tf.tidy, with a seeded input), then checked.
describe('README example', () => {
  it('runs, has the documented shapes, round-trips its config, and gradients reach every weight', () => {
    const before = tf.memory().numTensors;
    const ctrl = makeController({ kind: 'lstm', units: 100, layers: 2 }, 8, { seed: 1 }); // X = 8, C = 100
    tf.tidy(() => {
      const xs = tf.unstack(tf.randomUniform([10, 4, 8], 0, 1, 'float32', 1)) as tf.Tensor2D[];
      let state = ctrl.initialState(4);
      const ys = xs.map((x) => {
        const [y, next] = ctrl.step(x, state);
        state = next;
        return y;
      });
      const json = JSON.stringify(ctrl.config);
      const grads = tf.variableGrads(() => tf.mean(tf.stack(xs.map((x) => ctrl.step(x, ctrl.initialState(4))[0]))) as tf.Scalar, ctrl.variables);

      expect(ys.map((y) => y.shape)).toEqual(Array.from({ length: 10 }, () => [4, 100]));
      const again = makeController(JSON.parse(json), 8, { seed: 1 });
      const x0 = xs[0] as tf.Tensor2D;
      expect(Array.from(again.step(x0, again.initialState(4))[0].dataSync())).toEqual(Array.from(ctrl.step(x0, ctrl.initialState(4))[0].dataSync()));
      again.dispose();
      expect(Object.keys(grads.grads)).toHaveLength(ctrl.variables.length);
      const norms = Object.values(grads.grads).map((g) => tf.norm(g).dataSync()[0] as number);
      expect(norms.every((n) => Number.isFinite(n) && n > 0)).toBe(true);
    });
    ctrl.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
