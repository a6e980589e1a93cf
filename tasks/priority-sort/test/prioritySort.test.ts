import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/core';
import { prioritySort, sortExample } from '../src/index.ts';

describe('priority-sort task', () => {
  it('has the NTM paper defaults', () => {
    const task = prioritySort.make();
    expect(task.options).toEqual({ bits: 8, inputs: 20, outputs: 16, priorityScale: 1 });
    expect([task.inputSize, task.outputSize]).toEqual([10, 8]);
  });

  it('outputs the top-16 vectors by priority, highest first', () => {
    const o = prioritySort.defaults;
    for (let seed = 0; seed < 20; seed++) {
      const e = sortExample(o, new Rng(seed));
      const x = o.bits + 2;
      expect(e.steps).toBe(20 + 1 + 16);
      // priorities are in the input's priority channel, in [-1, 1)
      e.priorities.forEach((p, i) => {
        expect(p).toBeGreaterThanOrEqual(-1);
        expect(p).toBeLessThan(1);
        expect(e.inputs[i * x + o.bits]).toBeCloseTo(p, 6);
      });
      const ranked = e.priorities
        .map((p, i) => ({ p, i }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 16);
      ranked.forEach(({ i }, rank) => {
        const t = 21 + rank;
        expect(Array.from(e.targets.slice(t * o.bits, (t + 1) * o.bits))).toEqual(e.vectors[i]);
        expect(e.mask[t]).toBe(1);
      });
      expect(Array.from(e.mask.slice(0, 21)).every((v) => v === 0)).toBe(true);
      expect(e.inputs[20 * x + o.bits + 1]).toBe(1);
    }
  });

  it('a hand-checked case: 3 inputs, 2 outputs', () => {
    const e = sortExample({ bits: 1, inputs: 3, outputs: 2, priorityScale: 1 }, new Rng(7));
    const order = [0, 1, 2].sort((a, b) => (e.priorities[b] as number) - (e.priorities[a] as number));
    expect(Array.from(e.targets)).toEqual([0, 0, 0, 0, ...(e.vectors[order[0] as number] as number[]), ...(e.vectors[order[1] as number] as number[])]);
  });

  it('is deterministic per seed; outputs <= inputs', () => {
    const task = prioritySort.make({ inputs: 5, outputs: 3 });
    const a = task.sample(3, new Rng(1));
    const b = task.sample(3, new Rng(1));
    expect(a.targets.arraySync()).toEqual(b.targets.arraySync());
    tf.dispose([a.inputs, a.targets, a.mask, b.inputs, b.targets, b.mask]);
    expect(() => prioritySort.make({ inputs: 4, outputs: 5 })).toThrow(/task\.options\.outputs: outputs=5 is greater than inputs=4/);
  });

  it('priorityScale multiplies the priority channel and changes nothing else', () => {
    const plain = prioritySort.make();
    const scaled = prioritySort.make({ priorityScale: 8 });
    const a = plain.sample(4, new Rng(3));
    const b = scaled.sample(4, new Rng(3));
    const [xa, xb] = [a.inputs.arraySync(), b.inputs.arraySync()];
    let checked = 0;
    xa.forEach((step, s) =>
      step.forEach((row, n) =>
        row.forEach((v, c) => {
          const w = xb[s]?.[n]?.[c] as number;
          if (c === 8 && v !== 0) {
            expect(w).toBeCloseTo(8 * v, 5);
            checked++;
          } else expect(w).toBe(v);
        }),
      ),
    );
    expect(checked).toBe(4 * 20);
    expect(b.targets.arraySync()).toEqual(a.targets.arraySync());
    expect(b.mask.arraySync()).toEqual(a.mask.arraySync());
    tf.dispose([a.inputs, a.targets, a.mask, b.inputs, b.targets, b.mask]);
    expect(() => prioritySort.make({ priorityScale: 0 })).toThrow(/task\.options\.priorityScale: 0 is not a number/);
    expect(() => prioritySort.make({ priorityScale: '8' })).toThrow(/task\.options\.priorityScale/);
  });
});
