import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '@engram/tensor';
import {
  buildModel,
  maskedSigmoidCrossEntropy,
  type MemoryCell,
  sequenceKernelEnabled,
  setSequenceKernel,
  unroll,
  type ModelConfig,
  type NtmMemorySettings,
} from '../src/index.ts';

const base: ModelConfig = {
  kind: 'ntm',
  inputSize: 3,
  outputSize: 2,
  seed: 7,
  controller: { kind: 'lstm', units: 6 },
  memory: { slots: 7, width: 4, readHeads: 2, writeHeads: 1, shiftRange: 1 },
};

function withMemory(memory: Partial<NtmMemorySettings>): ModelConfig {
  return { ...base, memory: { ...(base.memory as NtmMemorySettings), ...memory } };
}

/** The loss's value and every variable's gradient, with the whole-sequence kernel on or off. */
function lossAndGrads(config: ModelConfig, inputs: tf.Tensor3D, targets: tf.Tensor3D, mask: tf.Tensor2D, whole: boolean) {
  const model = buildModel(config);
  setSequenceKernel(whole);
  try {
    const { value, grads } = tf.variableGrads(() => maskedSigmoidCrossEntropy(unroll(model, inputs).outputs, targets, mask) as tf.Scalar);
    const out = {
      value: value.dataSync()[0] as number,
      logits: Array.from(unroll(model, inputs).outputs.dataSync()),
      grads: Object.fromEntries(Object.entries(model.namedVariables).map(([name, v]) => [name, Array.from((grads[v.name] as tf.Tensor).dataSync())])),
    };
    tf.dispose([value, grads as unknown as tf.TensorContainer]);
    return out;
  } finally {
    setSequenceKernel(true);
    model.dispose();
  }
}

/** max |a - b| / (max |b| + tiny), the relative error of a against the reference b. */
function relativeError(a: readonly number[], b: readonly number[]): number {
  let diff = 0;
  let scale = 0;
  b.forEach((v, i) => {
    diff = Math.max(diff, Math.abs((a[i] as number) - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / (scale + 1e-12);
}

function batchOf(steps: number, batch: number, seed: number) {
  const rng = new Rng(seed);
  const inputs = tf.tidy(() => tf.cast(tf.greater(rng.uniformTensor([steps, batch, 3]), 0.5), 'float32')) as tf.Tensor3D;
  const targets = tf.tidy(() => tf.cast(tf.greater(rng.uniformTensor([steps, batch, 2]), 0.5), 'float32')) as tf.Tensor3D;
  const mask = tf.ones([steps, batch]) as tf.Tensor2D;
  return { inputs, targets, mask };
}

afterEach(() => setSequenceKernel(true));

describe('the whole-sequence kernel', () => {
  const cases: [string, ModelConfig][] = [
    ['soft heads, read-write', base],
    ['soft heads, write-read', withMemory({ order: 'write-read' })],
    ['sparsemax heads, two write heads, shifts -2..2', withMemory({ readMode: 'sparsemax', writeMode: 'sparsemax', writeHeads: 2, shiftRange: 2 })],
    ['soft reads, sparsemax writes, row-norm floor 0.3', withMemory({ writeMode: 'sparsemax', rowNormFloor: 0.3 })],
  ];
  for (const [name, config] of cases) {
    it(`matches stepping the model on values and every gradient (1e-5 relative): ${name}`, () => {
      const { inputs, targets, mask } = batchOf(9, 3, 11);
      const stepped = lossAndGrads(config, inputs, targets, mask, false);
      const whole = lossAndGrads(config, inputs, targets, mask, true);
      expect(Math.abs(whole.value - stepped.value)).toBeLessThan(1e-5 * Math.abs(stepped.value));
      expect(relativeError(whole.logits, stepped.logits)).toBeLessThan(1e-5);
      expect(Object.keys(whole.grads).sort()).toEqual(Object.keys(stepped.grads).sort());
      for (const [variable, g] of Object.entries(stepped.grads)) {
        const err = relativeError(whole.grads[variable] as number[], g);
        expect(err, variable).toBeLessThan(1e-5);
      }
      tf.dispose([inputs, targets, mask]);
    });
  }

  it('is as close to the composite reference ops (memory.kernels reference) as the per-step fused kernels are', () => {
    // 1e-5 relative on every gradient but one: the initial write logits' gradient (a sum of
    // near-cancelling terms) where the per-step fused kernels are themselves 1.7e-5 away
    const { inputs, targets, mask } = batchOf(9, 3, 13);
    const reference = lossAndGrads(withMemory({ kernels: 'reference' }), inputs, targets, mask, true);
    const whole = lossAndGrads(base, inputs, targets, mask, true);
    const stepped = lossAndGrads(base, inputs, targets, mask, false);
    expect(relativeError(whole.logits, reference.logits)).toBeLessThan(1e-5);
    for (const [variable, g] of Object.entries(reference.grads)) {
      const bound = Math.max(1e-5, 1.5 * relativeError(stepped.grads[variable] as number[], g));
      expect(relativeError(whole.grads[variable] as number[], g), variable).toBeLessThan(bound);
    }
    tf.dispose([inputs, targets, mask]);
  });

  it('is used by unroll where it applies, and says why not where it does not', () => {
    const ntm = buildModel(base) as MemoryCell;
    expect(ntm.sequenceUnsupportedReason()).toBeUndefined();
    const gumbel = buildModel(withMemory({ readMode: 'hard' })) as MemoryCell;
    expect(gumbel.sequenceUnsupportedReason()).toMatch(/soft and sparsemax/);
    const ff = buildModel({ ...base, controller: { kind: 'feedforward', units: 5 } }) as MemoryCell;
    expect(ff.sequenceUnsupportedReason()).toMatch(/one-layer LSTM/);
    const reference = buildModel(withMemory({ kernels: 'reference' })) as MemoryCell;
    expect(reference.sequenceUnsupportedReason()).toMatch(/reference ops/);
    setSequenceKernel(false);
    expect(sequenceKernelEnabled()).toBe(false);
    expect(ntm.sequenceUnsupportedReason()).toMatch(/switched off/);
    setSequenceKernel(true);
    // one kernel per sequence: counted through the engine's kernel calls
    const inputs = new Rng(3).uniformTensor([12, 2, 3]) as tf.Tensor3D;
    const count = (whole: boolean) => {
      setSequenceKernel(whole);
      const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
      const original = engine.runKernel;
      let calls = 0;
      engine.runKernel = (...a: unknown[]) => {
        calls++;
        return original.apply(engine, a);
      };
      try {
        tf.dispose(unroll(ntm, inputs).outputs);
      } finally {
        engine.runKernel = original;
      }
      return calls;
    };
    const wholeCalls = count(true);
    const steppedCalls = count(false);
    expect(wholeCalls).toBeLessThan(20);
    expect(steppedCalls).toBeGreaterThan(12 * 10);
    for (const m of [ntm, gumbel, ff, reference]) m.dispose();
    inputs.dispose();
  });

  it('leaks no tensors over training steps and gives the same numbers for the same seed', () => {
    const { inputs, targets, mask } = batchOf(6, 2, 5);
    const run = () => {
      const model = buildModel(base);
      const optimizer = tf.train.adam(1e-2);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = tf.memory().numTensors;
        const loss = optimizer.minimize(() => maskedSigmoidCrossEntropy(unroll(model, inputs).outputs, targets, mask) as tf.Scalar, true);
        losses.push(loss!.dataSync()[0] as number);
        loss!.dispose();
        if (i > 0) expect(tf.memory().numTensors).toBe(before);
      }
      optimizer.dispose();
      model.dispose();
      return losses;
    };
    const a = run();
    const b = run();
    expect(b).toEqual(a);
    expect(a[2]).toBeLessThan(a[0] as number);
    tf.dispose([inputs, targets, mask]);
  });
});
