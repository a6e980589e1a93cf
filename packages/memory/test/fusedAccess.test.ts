/**
 * MemoryAccess on the fused kernels against MemoryAccess on the composite reference ops, end
 * to end: two steps, values and gradients (w.r.t. the controller outputs, the initial state and
 * every variable) of a random linear functional of everything the steps return, to 1e-5
 * relative, for every addressing mode, batch 1 and 3, 1 and 2 heads per group, shift ranges
 * 0..2. Also the switch's validation, degenerate inputs and tensor leaks over 100 training steps.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError, Rng } from '@engram/tensor';
import { MemoryAccess, resolveAccessConfig, type AccessState, type AddressingModeSpec, type MemoryAccessConfig } from '../src/index.ts';
import { allFinite, rel, mulberry32, randomNested, type Mat } from './helpers.ts';

interface Outcome {
  values: tf.Tensor[];
  grads: Record<string, tf.Tensor>;
}

/**
 * Two steps of a fresh MemoryAccess from a random initial state; returns every output and the
 * gradients of sum(outputs * P) w.r.t. the inputs and the variables (keyed by name).
 */
function twoSteps(kernels: 'fused' | 'reference', config: MemoryAccessConfig, batch: number, seed: number, training = true): Outcome {
  const access = new MemoryAccess({ ...config, kernels });
  const rng = mulberry32(seed);
  const C = config.controllerSize;
  const init = access.initialState(batch);
  const inputs: Record<string, tf.Variable> = {
    c1: tf.variable(tf.tensor2d(randomNested<Mat>([batch, C], rng, 2))),
    c2: tf.variable(tf.tensor2d(randomNested<Mat>([batch, C], rng, 2))),
    memory: tf.variable(tf.tensor(randomNested<number[]>([init.memory.size], rng), init.memory.shape)),
    readWeights: tf.variable(tf.softmax(tf.tensor(randomNested<number[]>([init.readWeights.size], rng, 3), init.readWeights.shape))),
    writeWeights: tf.variable(tf.softmax(tf.tensor(randomNested<number[]>([init.writeWeights.size], rng, 3), init.writeWeights.shape))),
  };
  const noise = new Rng(seed);
  let values: tf.Tensor[] = [];
  const f = () => {
    const s0: AccessState = {
      memory: inputs['memory'] as tf.Tensor3D,
      readWeights: inputs['readWeights'] as tf.Tensor3D,
      writeWeights: inputs['writeWeights'] as tf.Tensor3D,
      readVectors: init.readVectors,
    };
    const options = { training, rng: noise };
    const [r1, s1] = access.step(inputs['c1'] as tf.Tensor2D, s0, options);
    const [r2, s2] = access.step(inputs['c2'] as tf.Tensor2D, s1, options);
    const outs = [r1, s1.memory, s1.readWeights, s1.writeWeights, r2, s2.memory, s2.readWeights, s2.writeWeights];
    values = outs.map((t) => tf.keep(tf.clone(t)));
    const proj = mulberry32(seed + 1);
    return tf.addN(outs.map((t) => tf.sum(tf.mul(t, tf.tensor(randomNested<number[]>([t.size], proj), t.shape))))) as tf.Scalar;
  };
  const all = [...access.variables, ...Object.values(inputs)];
  const { value, grads } = tf.variableGrads(f, all);
  const named: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(access.namedVariables)) if (grads[v.name]) named[k] = grads[v.name] as tf.Tensor;
  for (const [k, v] of Object.entries(inputs)) named[`input/${k}`] = grads[v.name] as tf.Tensor;
  value.dispose();
  tf.dispose([init.memory, init.readWeights, init.writeWeights, init.readVectors, Object.values(inputs)]);
  access.dispose();
  return { values, grads: named };
}

function expectAgree(config: MemoryAccessConfig, batch: number, seed: number, training = true): void {
  const fused = twoSteps('fused', config, batch, seed, training);
  const reference = twoSteps('reference', config, batch, seed, training);
  fused.values.forEach((v, i) => expect(rel(v, reference.values[i] as tf.Tensor), `output ${i}`).toBeLessThan(1e-5));
  expect(Object.keys(fused.grads).sort()).toEqual(Object.keys(reference.grads).sort());
  // In evaluation the discrete heads read and write w / w = 1 at one row: its gradient is
  // rounding noise on both paths, so only values are compared there.
  for (const [name, g] of training ? Object.entries(reference.grads) : []) {
    expect(rel(fused.grads[name] as tf.Tensor, g), `gradient of ${name}`).toBeLessThan(1e-5);
  }
  tf.dispose([fused.values, reference.values, fused.grads, reference.grads]);
}

const MODES: [string, AddressingModeSpec][] = [
  ['soft', 'soft'],
  ['sparsemax', 'sparsemax'],
  ['hard', 'hard'],
  ['gumbel', { kind: 'gumbel', tau: 0.7 }],
  ['topk k=2', { kind: 'topk', k: 2 }],
];

describe('fused MemoryAccess.step equals the reference step (values and gradients, 1e-5 relative)', () => {
  for (const [name, mode] of MODES) {
    for (const batch of [1, 3]) {
      for (const heads of [1, 2]) {
        for (const shiftRange of [0, 1, 2]) {
          it(`${name}, B=${batch}, ${heads} read + ${heads} write heads, S=${shiftRange}`, () => {
            const config: MemoryAccessConfig = {
              slots: 9,
              width: 4,
              readHeads: heads,
              writeHeads: heads,
              shiftRange,
              controllerSize: 6,
              seed: 3,
              readMode: mode,
              writeMode: mode,
              init: 'random',
            };
            expectAgree(config, batch, 1000 + 100 * batch + 10 * heads + shiftRange);
          });
        }
      }
    }
  }
  it('mixed modes per head (soft + topk reads, sparsemax + hard writes)', () => {
    const config: MemoryAccessConfig = {
      slots: 10,
      width: 3,
      readHeads: 2,
      writeHeads: 2,
      controllerSize: 5,
      seed: 4,
      readMode: ['soft', { kind: 'topk', k: 2 }],
      writeMode: ['sparsemax', 'hard'],
    };
    expectAgree(config, 2, 77);
  });
  it('discrete modes in evaluation (one-hot reads and writes)', () => {
    for (const mode of ['hard', { kind: 'topk', k: 3 }] as AddressingModeSpec[]) {
      expectAgree({ slots: 8, width: 3, controllerSize: 4, seed: 5, readMode: mode, writeMode: mode }, 2, 91, false);
    }
  });
});

describe('the kernels switch', () => {
  it("defaults to 'auto': fused on cpu and wasm with cosine, reference otherwise", () => {
    expect(resolveAccessConfig({ slots: 4, width: 2, controllerSize: 3 }).kernels).toBe('auto');
    const cosine = new MemoryAccess({ slots: 4, width: 2, controllerSize: 3 });
    expect(cosine.usesFusedKernels('cpu')).toBe(true);
    expect(cosine.usesFusedKernels('wasm')).toBe(true);
    expect(cosine.usesFusedKernels('tensorflow')).toBe(false);
    const dot = new MemoryAccess({ slots: 4, width: 2, controllerSize: 3, similarity: 'dot' });
    expect(dot.usesFusedKernels('wasm')).toBe(false);
    const reference = new MemoryAccess({ slots: 4, width: 2, controllerSize: 3, kernels: 'reference' });
    expect(reference.usesFusedKernels('wasm')).toBe(false);
    [cosine, dot, reference].forEach((a) => a.dispose());
  });
  it('an unknown value is an EngramError naming memory.kernels and the allowed values', () => {
    try {
      resolveAccessConfig({ slots: 4, width: 2, controllerSize: 3, kernels: 'fast' as never });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EngramError);
      expect((e as EngramError).field).toBe('memory.kernels');
      expect((e as Error).message).toContain('auto, fused, reference');
    }
  });
  it("'fused' with a similarity or backend that has no fused kernels says why and what to use", () => {
    expect(() => resolveAccessConfig({ slots: 4, width: 2, controllerSize: 3, kernels: 'fused', similarity: 'bilinear' })).toThrow(
      /memory.kernels: 'fused' was asked for but fused kernels implement cosine similarity only.*use kernels 'auto' or 'reference'/,
    );
    const a = new MemoryAccess({ slots: 4, width: 2, controllerSize: 3, kernels: 'fused' });
    expect(() => a.usesFusedKernels('tensorflow')).toThrow(/cpu and wasm backends only, not 'tensorflow'.*'auto' or 'reference'/);
    a.dispose();
  });
});

describe('degenerate inputs on the fused path', () => {
  it('all-zero memory and zero controller output (zero keys) give finite values and gradients', () => {
    const a = new MemoryAccess({ slots: 8, width: 4, readHeads: 2, writeHeads: 2, controllerSize: 5, kernels: 'fused' });
    tf.tidy(() => {
      const s0 = a.initialState(2);
      const zero: AccessState = { ...s0, memory: tf.zeros([2, 8, 4]) as tf.Tensor3D };
      const c = tf.zeros([2, 5]) as tf.Tensor2D;
      const [r, s1] = a.step(c, zero);
      expect(allFinite(r) && allFinite(s1.memory) && allFinite(s1.readWeights)).toBe(true);
      const { grads } = tf.variableGrads(() => tf.sum(a.step(c, zero)[0]) as tf.Scalar, a.variables);
      for (const g of Object.values(grads)) expect(allFinite(g)).toBe(true);
    });
    a.dispose();
  });
});

describe('no tensor leaks on the fused path', () => {
  for (const [name, mode] of [
    ['soft', 'soft'],
    ['topk', { kind: 'topk', k: 2 }],
  ] as [string, AddressingModeSpec][]) {
    it(`${name}: numTensors unchanged across 100 training steps (variableGrads inside tidy)`, () => {
      const a = new MemoryAccess({ slots: 16, width: 6, controllerSize: 8, kernels: 'fused', readMode: mode, writeMode: mode });
      const c = tf.tensor2d(randomNested<Mat>([2, 8], mulberry32(3)));
      const trainStep = () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            let state = a.initialState(2);
            let total = tf.scalar(0);
            for (let t = 0; t < 3; t++) {
              const [r, next] = a.step(c, state);
              total = tf.add(total, tf.sum(r));
              state = next;
            }
            return total as tf.Scalar;
          }, a.variables);
          value.dataSync();
          for (const g of Object.values(grads)) g.dataSync();
        });
      trainStep();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) trainStep();
      expect(tf.memory().numTensors).toBe(before);
      c.dispose();
      a.dispose();
    });
  }
});
