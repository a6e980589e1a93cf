/**
 * train.lengths: 'per-batch' draws one length per training batch (no padding steps), with the
 * same length distribution per sequence; evaluation keeps per-sequence lengths.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@engram/tensor';
import { makeTask, trainingTask } from '../src/build.ts';
import { runSpecSchema, type RunSpec } from '../src/schema.ts';

function spec(kind: 'copy' | 'associative-recall' | 'repeat-copy', options: Record<string, unknown>, lengths?: 'per-sequence' | 'per-batch'): RunSpec {
  return runSpecSchema.parse({
    task: { kind, options },
    model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4 } },
    train: { steps: 1, batchSize: 4, ...(lengths ? { lengths } : {}) },
  });
}

/** Scored steps per sequence of a batch (copy: its length). */
function scoredSteps(mask: tf.Tensor2D): number[] {
  return Array.from(tf.tidy(() => tf.sum(mask, 0)).dataSync());
}

describe("train.lengths: 'per-batch'", () => {
  it('gives every sequence of a copy batch the same length and no padding, over the whole range', () => {
    const task = trainingTask(spec('copy', { bits: 3, minLength: 2, maxLength: 5 }, 'per-batch'));
    const rng = new Rng('lengths');
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const b = task.sample(8, rng);
      const lengths = scoredSteps(b.mask);
      expect(new Set(lengths).size, `batch ${i}: ${lengths.join(',')}`).toBe(1);
      const length = lengths[0] as number;
      expect(b.inputs.shape[0]).toBe(2 * length + 1); // T = 2L + 1: no padding steps
      seen.add(length);
      tf.dispose([b.inputs, b.targets, b.mask]);
    }
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
  });

  it('works for associative recall (items per batch)', () => {
    const task = trainingTask(spec('associative-recall', { bits: 3, itemLength: 2, minItems: 2, maxItems: 4 }, 'per-batch'));
    const rng = new Rng('recall');
    const steps = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const b = task.sample(6, rng);
      // equal lengths: the mask's last scored step is the same in every sequence
      const last = tf.tidy(() => tf.argMax(tf.reverse(b.mask, 0), 0)).dataSync();
      expect(new Set(last).size).toBe(1);
      steps.add(b.inputs.shape[0]);
      tf.dispose([b.inputs, b.targets, b.mask]);
    }
    expect(steps.size).toBe(3);
  });

  it('draws the repeat count per batch too for repeat copy (T = L + 3 + R * L in every sequence), over both ranges', () => {
    const task = trainingTask(spec('repeat-copy', { bits: 3, minLength: 1, maxLength: 3, minRepeats: 1, maxRepeats: 4 }, 'per-batch'));
    const rng = new Rng('repeats');
    const shapes = new Set<string>();
    for (let i = 0; i < 80; i++) {
      const b = task.sample(8, rng);
      const scored = scoredSteps(b.mask);
      expect(new Set(scored).size, `batch ${i}: ${scored.join(',')}`).toBe(1);
      // scored steps = R * L + 1 (the copies and the end marker); T = L + 3 + R * L
      const T = b.inputs.shape[0];
      const L = T - 2 - (scored[0] as number);
      const R = ((scored[0] as number) - 1) / L;
      expect([L >= 1 && L <= 3, Number.isInteger(R) && R >= 1 && R <= 4], `T ${T}, scored ${scored[0]}`).toEqual([true, true]);
      shapes.add(`${T}/${scored[0]}`);
      tf.dispose([b.inputs, b.targets, b.mask]);
    }
    // (T, scored) fixes L = T - 2 - scored and then R: every one of the 12 (L, R) pairs was drawn
    expect(shapes.size).toBe(12);
  });

  it("is off by default and never changes the evaluation task ('per-sequence' mixes lengths in a batch)", () => {
    for (const s of [spec('copy', { bits: 3, minLength: 1, maxLength: 20 }), spec('copy', { bits: 3, minLength: 1, maxLength: 20 }, 'per-batch')]) {
      const b = makeTask(s).sample(16, new Rng('eval'));
      expect(new Set(scoredSteps(b.mask)).size).toBeGreaterThan(1);
      tf.dispose([b.inputs, b.targets, b.mask]);
    }
    const b = trainingTask(spec('copy', { bits: 3, minLength: 1, maxLength: 20 })).sample(16, new Rng('train'));
    expect(new Set(scoredSteps(b.mask)).size).toBeGreaterThan(1);
    tf.dispose([b.inputs, b.targets, b.mask]);
  });

  it('rejects an unknown value, naming the field and the allowed values', () => {
    const r = runSpecSchema.safeParse({ ...spec('copy', {}), train: { steps: 1, batchSize: 1, lengths: 'per-step' } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/lengths.*per-sequence.*per-batch|per-sequence.*per-batch/);
  });
});
