import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/core';
import { associativeRecall, recallExample } from '../src/index.ts';

describe('associative-recall task', () => {
  it('has the NTM paper defaults', () => {
    const task = associativeRecall.make();
    expect(task.options).toEqual({ bits: 6, itemLength: 3, minItems: 2, maxItems: 6 });
    expect([task.inputSize, task.outputSize]).toEqual([8, 6]);
  });

  it('the answer is the item after the query, for many seeds', () => {
    const o = associativeRecall.defaults;
    for (let seed = 0; seed < 50; seed++) {
      const count = 2 + (seed % 5);
      const e = recallExample(o, count, new Rng(seed));
      const x = o.bits + 2;
      const span = o.itemLength + 1;
      expect(e.steps).toBe(count * span + 2 * o.itemLength + 2);
      expect(e.query).toBeGreaterThanOrEqual(0);
      expect(e.query).toBeLessThan(count - 1);
      // the query vectors in the input are item `query`
      const qStart = count * span + 1;
      for (let t = 0; t < o.itemLength; t++) {
        expect(Array.from(e.inputs.slice((qStart + t) * x, (qStart + t) * x + o.bits))).toEqual(e.items[e.query]?.[t]);
      }
      // the targets are item `query + 1`, on the scored steps only
      const aStart = e.steps - o.itemLength;
      for (let t = 0; t < o.itemLength; t++) {
        expect(Array.from(e.targets.slice((aStart + t) * o.bits, (aStart + t + 1) * o.bits))).toEqual(e.items[e.query + 1]?.[t]);
      }
      expect(Array.from(e.mask).reduce((s, v) => s + v, 0)).toBe(o.itemLength);
      expect(Array.from(e.mask.slice(aStart)).every((v) => v === 1)).toBe(true);
      // item delimiters and query delimiters are where the layout says
      for (let i = 0; i < count; i++) expect(e.inputs[i * span * x + o.bits]).toBe(1);
      expect(e.inputs[count * span * x + o.bits + 1]).toBe(1);
      expect(e.inputs[(qStart + o.itemLength) * x + o.bits + 1]).toBe(1);
      expect(new Set(e.items.map((it) => it.flat().join(''))).size).toBe(count);
    }
  });

  it('is deterministic per seed and rejects one item', () => {
    const task = associativeRecall.make({ maxItems: 3 });
    const a = task.sample(4, new Rng(9));
    const b = task.sample(4, new Rng(9));
    expect(a.inputs.arraySync()).toEqual(b.inputs.arraySync());
    tf.dispose([a.inputs, a.targets, a.mask, b.inputs, b.targets, b.mask]);
    expect(() => associativeRecall.make({ minItems: 1 })).toThrow(/task\.options\.minItems: 1 is not an integer >= 2/);
    expect(associativeRecall.atLength(task.options, 12)).toMatchObject({ minItems: 12, maxItems: 12 });
  });
});
