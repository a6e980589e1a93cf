import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/core';
import { repeatCopy, repeatCopyExample } from '../src/index.ts';

describe('repeat-copy task', () => {
  it('has the NTM paper defaults', () => {
    const task = repeatCopy.make();
    expect(task.options).toMatchObject({ bits: 8, minLength: 1, maxLength: 10, minRepeats: 1, maxRepeats: 10 });
    expect([task.inputSize, task.outputSize]).toEqual([10, 9]);
  });

  it('builds a planted example: sequence, delimiter, count, then the sequence repeated and an end marker', () => {
    const o = { ...repeatCopy.defaults, bits: 2 };
    const e = repeatCopyExample(o, 2, 3, new Rng(5));
    expect(e.steps).toBe(2 + 3 + 3 * 2);
    const x = (t: number) => Array.from(e.inputs.slice(t * 4, t * 4 + 4));
    const y = (t: number) => Array.from(e.targets.slice(t * 3, t * 3 + 3));
    const v0 = x(0).slice(0, 2);
    const v1 = x(1).slice(0, 2);
    expect(x(2)).toEqual([0, 0, 1, 0]);
    expect(x(3)).toEqual([0, 0, 0, Math.fround(0.3)]);
    for (let r = 0; r < 3; r++) {
      expect(y(4 + 2 * r)).toEqual([...v0, 0]);
      expect(y(5 + 2 * r)).toEqual([...v1, 0]);
    }
    expect(y(10)).toEqual([0, 0, 1]);
    expect(Array.from(e.mask)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('encodes the count as (repeats - repeatCenter) / repeatScale, and refuses a non-number center naming the field', () => {
    const standard = repeatCopy.make({ repeatCenter: 5.5, repeatScale: 2.87 });
    const e = repeatCopyExample(standard.options, 2, 3, new Rng(5));
    expect(e.inputs[3 * 10 + 9]).toBeCloseTo((3 - 5.5) / 2.87, 6);
    expect(() => repeatCopy.make({ repeatCenter: 'middle' })).toThrow(/task\.options\.repeatCenter/);
  });

  it('is deterministic per seed, pads and masks', () => {
    const task = repeatCopy.make({ bits: 3, maxLength: 4, maxRepeats: 3 });
    const a = task.sample(5, new Rng(2));
    const b = task.sample(5, new Rng(2));
    expect(a.targets.arraySync()).toEqual(b.targets.arraySync());
    const m = a.mask.arraySync() as number[][];
    // each sequence has exactly one end marker, on its last scored step
    const y = a.targets.arraySync() as number[][][];
    for (let j = 0; j < 5; j++) {
      const scored = m.map((row, t) => (row[j] ? t : -1)).filter((t) => t >= 0);
      const ends = y.map((row, t) => ((row[j] as number[])[3] === 1 ? t : -1)).filter((t) => t >= 0);
      expect(ends).toEqual([scored[scored.length - 1]]);
    }
    tf.dispose([a.inputs, a.targets, a.mask, b.inputs, b.targets, b.mask]);
    expect(() => repeatCopy.make({ minRepeats: 4, maxRepeats: 2 })).toThrow(/task\.options\.minRepeats/);
  });
});
