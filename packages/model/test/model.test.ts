import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError, Rng } from '@engram/tensor';
import { INTERFACE_CLIP, type HeadControls } from '@engram/memory';
import {
  bitsPerSequence,
  buildModel,
  clipGradients,
  OUTPUT_CLIP,
  learningRateAt,
  makeOptimizer,
  maskedSigmoidCrossEntropy,
  unroll,
  type ModelConfig,
  type NtmMemorySettings,
} from '../src/index.ts';

const ntm: ModelConfig = {
  kind: 'ntm',
  inputSize: 3,
  outputSize: 2,
  seed: 4,
  controller: { kind: 'lstm', units: 6 },
  memory: { slots: 5, width: 4, readHeads: 2 },
};

describe('buildModel', () => {
  it('builds an NTM and the LSTM baseline behind one interface, with traces for the NTM', () => {
    const inputs = new Rng(1).uniformTensor([7, 2, 3]) as tf.Tensor3D;
    const model = buildModel(ntm);
    const { outputs, trace } = unroll(model, inputs, { trace: true, traceMemory: true });
    expect(outputs.shape).toEqual([7, 2, 2]);
    expect(trace?.readWeights.shape).toEqual([7, 2, 2, 5]);
    expect(trace?.writeWeights.shape).toEqual([7, 2, 1, 5]);
    expect(trace?.readVectors.shape).toEqual([7, 2, 2, 4]);
    expect(trace?.memory?.shape).toEqual([7, 2, 5, 4]);
    const baseline = buildModel({ kind: 'lstm', inputSize: 3, outputSize: 2, controller: { kind: 'lstm', units: 6 } });
    const b = unroll(baseline, inputs, { trace: true });
    expect(b.outputs.shape).toEqual([7, 2, 2]);
    expect(b.trace).toBeUndefined();
    expect(Object.keys(baseline.namedVariables).some((k) => k.startsWith('memory/'))).toBe(false);
    expect(Object.keys(model.namedVariables)).toContain('memory/projection');
    tf.dispose([inputs, outputs, b.outputs, trace as unknown as tf.TensorContainer]);
  });

  it('the same seed gives the same outputs; the config round-trips through JSON', () => {
    const inputs = new Rng(2).uniformTensor([4, 1, 3]) as tf.Tensor3D;
    const a = unroll(buildModel(ntm), inputs).outputs.dataSync();
    const b = unroll(buildModel(JSON.parse(JSON.stringify(ntm))), inputs).outputs.dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("clips the heads' interface vector and the output logits to ±20 (Collier & Beel), on both kernel paths", () => {
    expect(OUTPUT_CLIP).toBe(20);
    expect(INTERFACE_CLIP).toBe(20);
    for (const kernels of ['fused', 'reference'] as const) {
      const model = buildModel({
        ...ntm,
        controller: { kind: 'feedforward', units: 4, activation: 'relu' },
        memory: { ...(ntm.memory as NtmMemorySettings), kernels },
      });
      // every weight 50: the interface entries and the logits are in the thousands before their clips
      for (const v of Object.values(model.namedVariables)) v.assign(tf.mul(tf.onesLike(v), 50));
      const access = (model as unknown as { core: { access: { controls: (h: tf.Tensor2D) => { write: HeadControls; read: HeadControls } } } }).core.access;
      const betas: number[] = [];
      const gammas: number[] = [];
      const original = access.controls.bind(access);
      access.controls = (h: tf.Tensor2D) => {
        const c = original(h);
        for (const g of [c.write, c.read]) {
          betas.push(...g.beta.dataSync());
          gammas.push(...g.gamma.dataSync());
        }
        return c;
      };
      const logits = unroll(model, tf.ones([2, 1, 3]) as tf.Tensor3D).outputs.dataSync();
      const softplus20 = Math.log1p(Math.exp(20));
      expect(Math.max(...betas)).toBeCloseTo(softplus20, 4);
      expect(Math.max(...gammas)).toBeCloseTo(1 + softplus20, 4);
      expect(Math.max(...logits)).toBe(20);
    }
  });

  it('names the bad field in every config error', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...ntm, kind: 'transformer' }, /^model\.kind: /],
      [{ ...ntm, inputSize: 0 }, /^model\.inputSize: /],
      [{ ...ntm, memory: undefined }, /^model\.memory: missing/],
      [{ ...ntm, memory: { slots: 0, width: 4 } }, /^model\.memory\.slots: /],
      [{ ...ntm, memory: { slots: 5, width: 4, shiftRange: 3 } }, /^model\.memory\.shiftRange: /],
      [{ ...ntm, controller: { kind: 'lstm', units: 0 } }, /^model\.controller\.units/],
      [{ kind: 'lstm', inputSize: 3, outputSize: 2, controller: { kind: 'lstm', units: 4 }, memory: { slots: 4, width: 2 } }, /^model\.memory: given/],
    ];
    for (const [config, pattern] of cases) {
      let error: unknown;
      try {
        buildModel(config as ModelConfig);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EngramError);
      expect((error as Error).message).toMatch(pattern);
    }
  });
});

describe('loss and cost', () => {
  it('masked sigmoid cross-entropy equals the float64 formula and ignores masked steps', () => {
    const logits = tf.tensor3d([[[2, -1]], [[0.5, 3]], [[100, -100]]]);
    const targets = tf.tensor3d([[[1, 0]], [[0, 1]], [[0, 1]]]);
    const mask = tf.tensor2d([[1], [1], [0]]);
    const bce = (z: number, t: number) => Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
    const expected = (bce(2, 1) + bce(-1, 0) + bce(0.5, 0) + bce(3, 1)) / 4;
    expect(maskedSigmoidCrossEntropy(logits, targets, mask).dataSync()[0]).toBeCloseTo(expected, 6);
  });

  it('bits per sequence counts wrong thresholded bits per sequence, averaged over the batch', () => {
    // batch of 2, 2 steps, 3 bits; sequence 0 has 2 wrong bits, sequence 1 has 1 wrong bit on a masked step and 1 scored.
    const logits = tf.tensor3d([
      [
        [1, -1, 1],
        [1, 1, 1],
      ],
      [
        [-1, -1, -1],
        [-1, -1, 1],
      ],
    ]);
    const targets = tf.tensor3d([
      [
        [1, 1, 1],
        [1, 1, 0],
      ],
      [
        [0, 0, 1],
        [0, 0, 1],
      ],
    ]);
    const mask = tf.tensor2d([
      [1, 0],
      [1, 1],
    ]);
    expect(bitsPerSequence(logits, targets, mask)).toBe((2 + 0) / 2);
  });
});

describe('optimizers and clipping', () => {
  it('Adam takes the textbook first step (lr * sign(g) after bias correction)', () => {
    const v = tf.variable(tf.tensor1d([1, -2]));
    const opt = makeOptimizer({ kind: 'adam', lr: 0.1 });
    opt.apply({ w: v }, { w: tf.tensor1d([0.5, -3]) });
    const got = Array.from(v.dataSync());
    expect(got[0]).toBeCloseTo(0.9, 5);
    expect(got[1]).toBeCloseTo(-1.9, 5);
  });

  it('RMSProp (centred, momentum) matches a hand computation over two steps', () => {
    const v = tf.variable(tf.tensor1d([1]));
    const opt = makeOptimizer({ kind: 'rmsprop', lr: 0.01, decay: 0.9, momentum: 0.5, epsilon: 1e-10 });
    let n = 0,
      a = 0,
      d = 0,
      w = 1;
    for (const g of [2, -1]) {
      opt.apply({ w: v }, { w: tf.tensor1d([g]) });
      n = 0.9 * n + 0.1 * g * g;
      a = 0.9 * a + 0.1 * g;
      d = 0.5 * d - (0.01 * g) / Math.sqrt(n - a * a + 1e-10);
      w += d;
    }
    expect(v.dataSync()[0]).toBeCloseTo(w, 5);
  });

  it('Adam matches a float64 hand computation over five steps on many elements (one fused kernel a variable)', () => {
    const rng = new Rng(9);
    const w0 = Array.from({ length: 37 }, () => rng.next() * 2 - 1);
    const v = tf.variable(tf.tensor1d(w0));
    const opt = makeOptimizer({ kind: 'adam', lr: 0.01 });
    const w = [...w0];
    const m = w.map(() => 0);
    const s = w.map(() => 0);
    for (let t = 1; t <= 5; t++) {
      const g = w.map(() => Math.fround(rng.next() * 4 - 2));
      tf.tidy(() => opt.apply({ w: v }, { w: tf.tensor1d(g) }));
      const lrT = (0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      g.forEach((gi, i) => {
        m[i] = 0.9 * (m[i] as number) + 0.1 * gi;
        s[i] = 0.999 * (s[i] as number) + 0.001 * gi * gi;
        w[i] = (w[i] as number) - ((m[i] as number) * lrT) / (Math.sqrt(s[i] as number) + 1e-8);
      });
    }
    Array.from(v.dataSync()).forEach((x, i) => expect(Math.abs(x - (w[i] as number))).toBeLessThan(1e-6));
    opt.dispose();
    v.dispose();
  });

  it('a learning-rate schedule: the rate of the last change reached, a per-update rate equal to a fixed one, bad schedules named', () => {
    const sched = makeOptimizer({
      kind: 'rmsprop',
      lr: 1e-4,
      lrSchedule: [
        { afterStep: 3, lr: 3e-5 },
        { afterStep: 5, lr: 1e-5 },
      ],
    });
    expect([0, 2, 3, 4, 5, 9].map((s) => learningRateAt(sched.config, s))).toEqual([1e-4, 1e-4, 3e-5, 3e-5, 1e-5, 1e-5]);
    expect(learningRateAt(makeOptimizer({ kind: 'adam', lr: 2e-3 }).config, 1000)).toBe(2e-3);
    // an update at a passed rate is the update of an optimizer configured with that rate, bit for bit
    for (const kind of ['adam', 'rmsprop'] as const) {
      const [a, b] = [tf.variable(tf.tensor1d([1, -2, 0.5])), tf.variable(tf.tensor1d([1, -2, 0.5]))];
      const passed = makeOptimizer({ kind, lr: 1e-2 });
      const fixed = makeOptimizer({ kind, lr: 3e-5 });
      for (const g of [
        [0.3, -1, 2],
        [-0.7, 0.2, 1],
      ]) {
        tf.tidy(() => passed.apply({ w: a }, { w: tf.tensor1d(g) }, 3e-5));
        tf.tidy(() => fixed.apply({ w: b }, { w: tf.tensor1d(g) }));
      }
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(Array.from(a.dataSync())).not.toEqual([1, -2, 0.5]);
      tf.dispose([a, b]);
      passed.dispose();
      fixed.dispose();
    }
    expect(() =>
      makeOptimizer({
        kind: 'rmsprop',
        lrSchedule: [
          { afterStep: 4, lr: 1e-4 },
          { afterStep: 4, lr: 1e-5 },
        ],
      }),
    ).toThrow(/^optimizer\.lrSchedule\[1\]\.afterStep: 4 is not a whole step after 4; list the changes by increasing afterStep/);
    expect(() => makeOptimizer({ kind: 'adam', lrSchedule: [{ afterStep: 0, lr: 1e-4 }] })).toThrow(/^optimizer\.lrSchedule\[0\]\.afterStep: /);
    expect(() => makeOptimizer({ kind: 'adam', lrSchedule: [{ afterStep: 2, lr: 0 }] })).toThrow(/^optimizer\.lrSchedule\[0\]\.lr: 0 is not a positive number/);
  });

  it('optimizer state round-trips and rejects a non-positive learning rate', () => {
    expect(() => makeOptimizer({ kind: 'adam', lr: -1 })).toThrow(/^optimizer\.lr: /);
    const v = tf.variable(tf.tensor1d([1, 2]));
    const a = makeOptimizer({ kind: 'adam' });
    a.apply({ w: v }, { w: tf.tensor1d([1, 1]) });
    const b = makeOptimizer({ kind: 'adam' });
    b.setState(a.getState());
    const v2 = tf.variable(v.clone());
    a.apply({ w: v }, { w: tf.tensor1d([0.3, -0.2]) });
    b.apply({ w: v2 }, { w: tf.tensor1d([0.3, -0.2]) });
    expect(Array.from(v2.dataSync())).toEqual(Array.from(v.dataSync()));
  });

  it('clips by global norm and by value', () => {
    const grads = { a: tf.tensor1d([30, 40]), b: tf.tensor1d([0]) }; // norm 50
    const byNorm = clipGradients(grads, { globalNorm: 5 });
    expect(byNorm.norm.dataSync()[0]).toBeCloseTo(50, 4);
    expect(Array.from(byNorm.grads['a']?.dataSync() ?? [])).toEqual([3, 4].map((x) => expect.closeTo(x, 5)));
    const byValue = clipGradients(grads, { value: 10 });
    expect(Array.from(byValue.grads['a']?.dataSync() ?? [])).toEqual([10, 10]);
  });

  it('clips finite gradients whose squares overflow float32 instead of calling their norm infinite', () => {
    const grads = { a: tf.tensor1d([3e25, 4e25]), b: tf.tensor1d([0, 1]) }; // (3e25)^2 overflows float32
    const r = clipGradients(grads, { globalNorm: 50 });
    const norm = r.norm.dataSync()[0] as number;
    expect(norm / 5e25).toBeCloseTo(1, 5);
    expect(Array.from(r.grads['a']?.dataSync() ?? [])).toEqual([30, 40].map((x) => expect.closeTo(x, 3)));
    // a truly infinite or NaN gradient is still reported as such
    const inf = clipGradients({ a: tf.tensor1d([Infinity, 1]) }, { globalNorm: 50 });
    expect(Number.isFinite(inf.norm.dataSync()[0])).toBe(false);
    const zero = clipGradients({ a: tf.zeros([3]) }, { globalNorm: 50 });
    expect(zero.norm.dataSync()[0]).toBe(0);
  });
});
