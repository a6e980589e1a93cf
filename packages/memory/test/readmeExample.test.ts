import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { MemoryAccess } from '../src/index.ts';

// The README's "plug a memory into your own recurrent loop" example, run as written, then trained one step.
describe('README example', () => {
  it('runs, has the documented shapes, and gradients reach the memory projection', () => {
    const before = tf.memory().numTensors;
    const access = new MemoryAccess({ slots: 128, width: 20, readHeads: 1, writeHeads: 1, controllerSize: 64 });
    const wxInit = tf.randomNormal([8 + 20, 64], 0, 0.1, 'float32', 1);
    const wx = tf.variable(wxInit);
    const xs = tf.tidy(() => tf.unstack(tf.randomUniform([10, 4, 8], 0, 1, 'float32', 2)));
    const loop = () => {
      let state = access.initialState(4);
      const outputs = xs.map((x) => {
        const h = tf.tanh(tf.matMul(tf.concat([x, tf.reshape(state.readVectors, [4, 20])], 1), wx)) as tf.Tensor2D;
        const [reads, next] = access.step(h, state);
        state = next;
        return tf.concat([h, tf.reshape(reads, [4, 20])], 1);
      });
      return outputs;
    };
    const shapes = tf.tidy(() => loop().map((o) => o.shape));
    expect(shapes).toHaveLength(10);
    expect(shapes[0]).toEqual([4, 84]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.stack(loop()))) as tf.Scalar, [wx, access.projection]);
    const norms = tf.tidy(() => Object.values(grads).map((g) => tf.norm(g).dataSync()[0] as number));
    expect(norms.every((n) => Number.isFinite(n) && n > 0)).toBe(true);
    tf.dispose([value, grads, xs, wx, wxInit]);
    access.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // + the cached shift index table
  });
});
