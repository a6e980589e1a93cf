import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@engram/tensor';
import type { AddressingModeSpec } from '@engram/memory';
import { buildModel, gumbelTauAt, setSequenceKernel, Trainer, unroll, type ModelConfig } from '../src/index.ts';
import { tinyCopy } from './tinyCopy.ts';

/** The soft-vs-hard study's variants, on a tiny NTM. */
const VARIANTS: Record<string, { mode: AddressingModeSpec; oneHot: boolean; maxNonZero?: number }> = {
  soft: { mode: 'soft', oneHot: false },
  hard: { mode: 'hard', oneHot: true },
  gumbel: { mode: { kind: 'gumbel', tau: 0.5, hard: true }, oneHot: true },
  topk4: { mode: { kind: 'topk', k: 4 }, oneHot: false, maxNonZero: 4 },
  topk1: { mode: { kind: 'topk', k: 1 }, oneHot: true },
  sparsemax: { mode: 'sparsemax', oneHot: false },
  reinforce: { mode: { kind: 'reinforce', entropy: 0.01 }, oneHot: true },
};

const config = (mode: AddressingModeSpec): ModelConfig => ({
  kind: 'ntm',
  inputSize: 5,
  outputSize: 4,
  seed: 2,
  controller: { kind: 'lstm', units: 12 },
  memory: { slots: 8, width: 4, readMode: mode, writeMode: mode },
});

function rows(t: tf.Tensor): number[][] {
  const n = t.shape[t.shape.length - 1] as number;
  return tf.reshape(t, [-1, n]).arraySync() as number[][];
}

describe('addressing variants in a model', () => {
  for (const [name, v] of Object.entries(VARIANTS)) {
    it(`${name}: forward weights ${v.oneHot ? 'one-hot' : 'a distribution'} in training, one-hot at the argmax in evaluation for discrete modes`, () => {
      const model = buildModel(config(v.mode));
      const batch = tinyCopy(4, 3).sample(3, new Rng(1));
      for (const training of [true, false]) {
        const { outputs, trace } = unroll(model, batch.inputs, { training, trace: true, rng: new Rng(9) });
        for (const w of [trace!.readWeights, trace!.writeWeights]) {
          for (const r of rows(w)) {
            expect(r.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
            expect(Math.min(...r)).toBeGreaterThanOrEqual(0);
            const nonZero = r.filter((x) => x !== 0).length;
            const discrete = name !== 'soft' && name !== 'sparsemax';
            if ((training && v.oneHot) || (!training && discrete)) {
              expect(nonZero).toBe(1);
              expect(Math.max(...r)).toBe(1);
            } else if (training && v.maxNonZero) {
              expect(nonZero).toBeLessThanOrEqual(v.maxNonZero);
            } else if (name === 'soft') {
              expect(nonZero).toBe(8);
            }
          }
        }
        tf.dispose([outputs, trace] as unknown as tf.Tensor[]);
      }
      tf.dispose([batch.inputs, batch.targets, batch.mask]);
      model.dispose();
    });

    it(`${name}: a training step gives the addressing weights a non-zero, finite gradient and leaks nothing`, async () => {
      const model = buildModel(config(v.mode));
      const before = Object.fromEntries(Object.entries(model.namedVariables).map(([k, x]) => [k, x.dataSync().slice()]));
      const t = new Trainer(model, tinyCopy(4, 3), { steps: 3, batchSize: 4, evalEvery: 100, evalSequences: 4, seed: 4 });
      t.trainStep();
      const count = tf.memory().numTensors;
      const r = t.trainStep();
      expect(tf.memory().numTensors).toBe(count);
      expect(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)).toBe(true);
      // the projection that produces keys, strengths, gates, shifts and sharpening must move
      const proj = Array.from(model.namedVariables['memory/projection']!.dataSync());
      const moved = proj.reduce((m: number, x: number, i: number) => Math.max(m, Math.abs(x - (before['memory/projection']![i] as number))), 0);
      expect(moved).toBeGreaterThan(0);
      if (name === 'reinforce') {
        expect(model.namedVariables['reinforce/baseline']).toBeDefined();
        expect(Array.from(model.namedVariables['reinforce/baseline']!.dataSync()).some((x) => x !== 0)).toBe(true);
      } else {
        expect(model.namedVariables['reinforce/baseline']).toBeUndefined();
      }
      t.dispose();
      model.dispose();
    });
  }

  it('hard straight-through: the addressing gradient equals the soft one under the same forward weights', () => {
    // With a one-slot memory every weighting is one-hot, so hard and soft have identical
    // forwards; straight-through must then give exactly the soft gradient.
    const grads = (mode: AddressingModeSpec) => {
      const model = buildModel({ ...config(mode), memory: { slots: 1, width: 4, shiftRange: 0, readMode: mode, writeMode: mode } });
      const batch = tinyCopy(4, 2).sample(2, new Rng(3));
      const proj = model.namedVariables['memory/projection']!;
      const g = tf.variableGrads(() => tf.sum(unroll(model, batch.inputs, { training: true }).outputs) as tf.Scalar, [proj]);
      const out = g.grads[proj.name]!.arraySync();
      tf.dispose([g.value, ...Object.values(g.grads), batch.inputs, batch.targets, batch.mask]);
      model.dispose();
      return out as number[][];
    };
    // both on the per-step kernels (soft would otherwise run the whole-sequence kernel, whose
    // dense products round differently)
    setSequenceKernel(false);
    try {
      expect(grads('hard')).toEqual(grads('soft'));
    } finally {
      setSequenceKernel(true);
    }
  });

  it('REINFORCE: the addressing gets its gradient only from the score-function term', () => {
    // Without the surrogate the sampled one-hot weights pass no gradient to the key, beta, gate,
    // shift and gamma columns of the projection; the Trainer's objective must give them one.
    const model = buildModel(config({ kind: 'reinforce', entropy: 0 }));
    const batch = tinyCopy(4, 3).sample(4, new Rng(5));
    const proj = model.namedVariables['memory/projection']!;
    const plain = tf.variableGrads(() => tf.sum(unroll(model, batch.inputs, { training: true, rng: new Rng(1) }).outputs) as tf.Scalar, [proj]);
    const keyColumns = (g: tf.Tensor) => tf.slice(g, [0, 0], [-1, 4]); // write head's key: first M columns
    expect(tf.max(tf.abs(keyColumns(plain.grads[proj.name]!))).dataSync()[0]).toBe(0);
    tf.dispose([plain.value, ...Object.values(plain.grads), batch.inputs, batch.targets, batch.mask]);
    const before = Array.from(tf.slice(proj, [0, 0], [-1, 4]).dataSync());
    const t = new Trainer(model, tinyCopy(4, 3), { steps: 1, batchSize: 4, evalEvery: 100, evalSequences: 4, seed: 6, optimizer: { kind: 'adam', lr: 1e-2 } });
    t.trainStep();
    const after = Array.from(tf.slice(proj, [0, 0], [-1, 4]).dataSync());
    expect(after.some((x, i) => x !== before[i])).toBe(true);
    t.dispose();
    model.dispose();
  });

  it('REINFORCE soft mixing uses soft weights with probability p0 / sqrt(1 + t)', () => {
    const model = buildModel(config({ kind: 'reinforce', softMix: 1 }));
    const batch = tinyCopy(4, 2).sample(1, new Rng(2));
    // t = 0: p = 1, always soft (8 non-zero weights)
    const early = unroll(model, batch.inputs, { training: true, trace: true, rng: new Rng(1), trainingStep: 0 });
    expect(rows(early.trace!.readWeights).every((r) => r.filter((x) => x > 0).length === 8)).toBe(true);
    expect(early.score).toBeUndefined();
    // t = 10^6: p = 0.001, practically always sampled
    const late = unroll(model, batch.inputs, { training: true, trace: true, rng: new Rng(1), trainingStep: 1e6 });
    expect(rows(late.trace!.readWeights).every((r) => r.filter((x) => x > 0).length === 1)).toBe(true);
    expect(late.score?.logProb.shape).toEqual([1]);
    tf.dispose([early, late, batch] as unknown as tf.Tensor[]);
    model.dispose();
  });

  it('Gumbel temperature schedule decays exponentially from start to end, then stays', () => {
    const s = { start: 1, end: 0.1, steps: 100 };
    expect(gumbelTauAt(s, 0)).toBe(1);
    expect(gumbelTauAt(s, 50)).toBeCloseTo(Math.sqrt(0.1), 12);
    expect(gumbelTauAt(s, 100)).toBeCloseTo(0.1, 12);
    expect(gumbelTauAt(s, 500)).toBeCloseTo(0.1, 12);
    expect(() => new Trainer(buildModel(config('soft')), tinyCopy(4, 2), { steps: 1, batchSize: 1, gumbelTau: { start: 0.1, end: 1, steps: 10 } })).toThrow(
      /train\.gumbelTau: start 0\.1, end 1 is not a decreasing pair/,
    );
  });
});
