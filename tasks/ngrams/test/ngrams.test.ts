import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/core';
import { betaHalf, ngramBits, ngrams, optimalPredictions } from '../src/index.ts';

describe('ngrams task', () => {
  it('has the NTM paper defaults', () => {
    const task = ngrams.make();
    expect(task.options).toEqual({ order: 6, length: 200 });
    expect([task.inputSize, task.outputSize]).toEqual([1, 1]);
  });

  it('Beta(1/2, 1/2) draws have its mean 1/2 and variance 1/8', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 20000 }, () => betaHalf(rng));
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(0.125, 2);
  });

  it('the optimal estimator is (N1 + 1/2) / (N1 + N0 + 1) per context, on a planted sequence', () => {
    // order 2: the context is the previous bit.
    const bits = [1, 1, 1, 0, 1, 1];
    const p = optimalPredictions(bits, 2);
    expect(p[0]).toBe(0.5); // no context yet
    expect(p[1]).toBeCloseTo(0.5, 12); // ctx 1 seen 0 times
    expect(p[2]).toBeCloseTo(1.5 / 2, 12); // ctx 1: one 1
    expect(p[3]).toBeCloseTo(2.5 / 3, 12); // ctx 1: two 1s
    expect(p[4]).toBeCloseTo(0.5, 12); // ctx 0: never seen
    expect(p[5]).toBeCloseTo(2.5 / 4, 12); // ctx 1: two 1s, one 0
  });

  it('sequences follow their table: bit frequencies per context match the probabilities', () => {
    const rng = new Rng(3);
    const { bits, table } = ngramBits(3, 200000, rng);
    const ones = new Array(4).fill(0);
    const all = new Array(4).fill(0);
    for (let i = 2; i < bits.length; i++) {
      const c = ((bits[i - 2] as number) << 1) | (bits[i - 1] as number);
      all[c]++;
      ones[c] += bits[i] as number;
    }
    for (let c = 0; c < 4; c++) if (all[c] > 2000) expect(ones[c] / all[c]).toBeCloseTo(table[c] as number, 1);
  });

  it('batches: input bit t, target bit t+1, the cost is cross-entropy in bits and the optimum is its floor', () => {
    const task = ngrams.make({ order: 3, length: 30 });
    const batch = task.sample(4, new Rng(5));
    expect(batch.inputs.shape).toEqual([29, 4, 1]);
    const x = batch.inputs.arraySync() as number[][][];
    const y = batch.targets.arraySync() as number[][][];
    for (let t = 0; t < 28; t++) expect(y[t]?.[0]?.[0]).toBe(x[t + 1]?.[0]?.[0]);
    const m = batch.mask.arraySync() as number[][];
    expect(m[0]?.[0]).toBe(0);
    expect(m[1]?.[0]).toBe(1);
    const uniform = tf.zeros([29, 4, 1]) as tf.Tensor3D;
    expect(task.cost(uniform, batch)).toBeCloseTo(28, 5); // one bit per scored step, 28 scored steps
    const optimal = task.optimalCost(batch);
    expect(optimal).toBeGreaterThan(0);
    expect(optimal).toBeLessThan(28 * 1.2);
    tf.dispose([uniform, batch.inputs, batch.targets, batch.mask]);
  });

  it('over many sequences the optimal estimator beats always guessing 1/2', () => {
    const task = ngrams.make();
    const batch = task.sample(64, new Rng(8));
    const uniform = tf.zeros(batch.targets.shape) as tf.Tensor3D;
    expect(task.optimalCost(batch)).toBeLessThan(0.85 * task.cost(uniform, batch));
    tf.dispose([uniform, batch.inputs, batch.targets, batch.mask]);
  });
});
