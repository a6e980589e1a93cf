import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/tensor';
import { reinforceSurrogate, sampleSlots } from '../src/ntm/sampling.ts';

describe('sampleSlots', () => {
  it("draws one-hot samples with the weights' frequencies, the same for the same seed", () => {
    const w = tf.tensor3d([[[0.1, 0.6, 0.3]]]);
    const big = tf.tile(w, [6000, 1, 1]) as tf.Tensor3D;
    const a = sampleSlots(big, new Rng(1));
    const b = sampleSlots(big, new Rng(1));
    const counts = tf.sum(a.oneHot, [0, 1]).arraySync() as number[];
    expect(counts.reduce((s, v) => s + v, 0)).toBe(6000);
    expect(counts[0]! / 6000).toBeCloseTo(0.1, 1);
    expect(counts[1]! / 6000).toBeCloseTo(0.6, 1);
    expect(counts[2]! / 6000).toBeCloseTo(0.3, 1);
    expect(a.oneHot.arraySync()).toEqual(b.oneHot.arraySync());
    // log-probability of the pick, and the entropy, per sequence
    const picks = (a.oneHot.arraySync() as number[][][]).map((r) => r[0]!.indexOf(1));
    const lp = a.logProb.arraySync() as number[];
    picks.slice(0, 20).forEach((p, i) => expect(lp[i]).toBeCloseTo(Math.log([0.1, 0.6, 0.3][p]!), 5));
    const h = -(0.1 * Math.log(0.1) + 0.6 * Math.log(0.6) + 0.3 * Math.log(0.3));
    expect((a.entropy.arraySync() as number[])[0]).toBeCloseTo(h, 5);
    tf.dispose([w, big, a, b] as unknown as tf.Tensor[]);
  });

  it('never picks a slot of zero weight', () => {
    const w = tf.tile(tf.tensor3d([[[0, 1, 0, 0]]]), [200, 1, 1]) as tf.Tensor3D;
    const s = sampleSlots(w, new Rng(2));
    expect(tf.sum(s.oneHot, [0, 1]).arraySync()).toEqual([0, 200, 0, 0]);
    tf.dispose([w, s] as unknown as tf.Tensor[]);
  });
});

describe('REINFORCE estimator', () => {
  // A tiny problem with a known gradient: pick slot i ~ softmax(theta), pay loss f(i).
  // E[loss] = sum_i p_i f_i, so d E / d theta_j = p_j (f_j - E[loss]).
  const theta0 = [0.3, -0.5, 1.1, 0.0];
  const f = [1, 3, -2, 0.5];
  const p = (() => {
    const e = theta0.map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  })();
  const expected = f.reduce((s, v, i) => s + v * p[i]!, 0);
  const exact = p.map((pj, j) => pj * (f[j]! - expected));

  function estimate(baselineValue: number, seed: number, batch: number): { mean: number[]; variance: number } {
    const theta = tf.variable(tf.tensor1d(theta0));
    const rng = new Rng(seed);
    let hot: number[][] = [];
    const g = tf.grad((t: tf.Tensor) => {
      const w = tf.tile(tf.reshape(tf.softmax(t), [1, 1, 4]), [batch, 1, 1]) as tf.Tensor3D;
      const sample = sampleSlots(w, rng);
      hot = tf.reshape(sample.oneHot, [batch, 4]).arraySync() as number[][];
      const picked = tf.argMax(tf.reshape(sample.oneHot, [batch, 4]), 1);
      const loss = tf.gather(tf.tensor1d(f), picked) as tf.Tensor1D;
      return reinforceSurrogate(sample.logProb, loss, tf.fill([batch], baselineValue) as tf.Tensor1D);
    })(theta);
    // per-sample gradients (f_b - c)(onehot_b - p), for the estimator's variance
    const per = hot.map((h) => {
      const i = h.indexOf(1);
      return h.map((v, j) => (f[i]! - baselineValue) * (v - p[j]!));
    });
    const mean = g.arraySync() as number[];
    const variance = per.reduce((s, gb) => s + gb.reduce((a, v, j) => a + (v - mean[j]!) ** 2, 0), 0) / batch;
    tf.dispose([theta, g]);
    return { mean, variance };
  }

  it('is unbiased: the mean of many estimates matches the exact gradient', () => {
    const batch = 20000;
    for (const c of [0, 0.7]) {
      const { mean, variance } = estimate(c, 3, batch);
      const se = Math.sqrt(variance / batch);
      mean.forEach((m, j) => expect(Math.abs(m - exact[j]!)).toBeLessThan(4 * se + 1e-4));
    }
  });

  it('a baseline near E[loss] reduces the variance, and the estimate stays unbiased', () => {
    const plain = estimate(-3, 5, 5000);
    const centred = estimate(expected, 5, 5000);
    expect(centred.variance).toBeLessThan(plain.variance * 0.8);
  });
});
