import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/core';
import { copy, copyExample } from '../src/index.ts';

describe('copy task', () => {
  it('has the NTM paper defaults and sizes', () => {
    const task = copy.make();
    expect(task.options).toEqual({ bits: 8, minLength: 1, maxLength: 20 });
    expect([task.inputSize, task.outputSize]).toEqual([9, 8]);
  });

  it('builds a planted example exactly: vectors, delimiter, then the vectors back (scored)', () => {
    const e = copyExample(2, 2, new Rng(3));
    expect(e.steps).toBe(5);
    const x = Array.from(e.inputs);
    const v0 = x.slice(0, 2);
    const v1 = x.slice(3, 5);
    expect(x).toEqual([...v0, 0, ...v1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(e.targets)).toEqual([0, 0, 0, 0, 0, 0, ...v0, ...v1]);
    expect(Array.from(e.mask)).toEqual([0, 0, 0, 1, 1]);
  });

  it('pads a batch to its longest sequence, masks the padding, and is deterministic per seed', () => {
    const task = copy.make({ bits: 4, minLength: 1, maxLength: 6 });
    const a = task.sample(8, new Rng(11));
    const b = task.sample(8, new Rng(11));
    const c = task.sample(8, new Rng(12));
    expect(a.inputs.shape[1]).toBe(8);
    expect(a.inputs.shape[2]).toBe(5);
    expect(a.targets.shape).toEqual([a.inputs.shape[0], 8, 4]);
    expect(a.mask.shape).toEqual([a.inputs.shape[0], 8]);
    expect(a.inputs.arraySync()).toEqual(b.inputs.arraySync());
    expect(a.inputs.arraySync()).not.toEqual(c.inputs.arraySync());
    // every sequence has exactly one delimiter, at step L, and L scored steps
    const x = a.inputs.arraySync() as number[][][];
    const m = a.mask.arraySync() as number[][];
    for (let j = 0; j < 8; j++) {
      const delim = x.map((row) => (row[j] as number[])[4]);
      const length = delim.indexOf(1);
      expect(delim.filter((d) => d === 1)).toHaveLength(1);
      expect(m.reduce((s, row) => s + (row[j] as number), 0)).toBe(length);
    }
    expect(a.inputs.shape[0]).toBeLessThanOrEqual(2 * 6 + 1);
    tf.dispose([a, b, c] as unknown as tf.Tensor[]);
  });

  it('costs 0 for perfect logits and counts each wrong bit', () => {
    const task = copy.make({ bits: 3, minLength: 2, maxLength: 2 });
    const batch = task.sample(2, new Rng(1));
    const perfect = tf.tidy(() => tf.sub(tf.mul(batch.targets, 20), 10)) as tf.Tensor3D;
    expect(task.cost(perfect, batch)).toBe(0);
    const inverted = tf.neg(perfect) as tf.Tensor3D;
    expect(task.cost(inverted, batch)).toBe(2 * 3); // 2 scored steps x 3 bits per sequence
    tf.dispose([perfect, inverted, batch.inputs, batch.targets, batch.mask]);
  });

  it('lengths: atLength fixes the length, withMaxLength caps it, bad options name the field', () => {
    const o = copy.make().options;
    expect(copy.atLength(o, 50)).toMatchObject({ minLength: 50, maxLength: 50 });
    expect(copy.withMaxLength(o, 5)).toMatchObject({ minLength: 1, maxLength: 5 });
    expect(copy.maxLength(o)).toBe(20);
    expect(() => copy.make({ maxLength: 0 })).toThrow(/task\.options\.maxLength: 0 is not an integer >= 1/);
    expect(() => copy.make({ minLength: 5, maxLength: 2 })).toThrow(/task\.options\.minLength: minLength=5 is greater than maxLength=2/);
    expect(() => copy.make({ length: 5 })).toThrow(/task\.options\.length: copy has no option 'length'; use only bits, minLength, maxLength/);
  });

  it('renders an example as text with the thresholded outputs', () => {
    const task = copy.make({ bits: 2, minLength: 1, maxLength: 1 });
    const batch = task.sample(1, new Rng(4));
    const text = task.render(batch, 0, tf.zeros([3, 1, 2]) as tf.Tensor3D);
    expect(text.split('\n')).toHaveLength(1 + 3 + (1 + 2) + (1 + 2));
    expect(text).toMatch(/delim \.#\./);
    expect(text).toMatch(/outputs \(thresholded\)\n\s+b0 --\./);
  });
});
