/**
 * MemoryAccess: shapes, the float64 reference step, gradients, controls, every addressing mode,
 * degenerate inputs, tensor leaks, memory initialisation, config validation and seeding.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EngramError, Rng, tidy } from '@engram/tensor';
import {
  CONSTANT_MEMORY_VALUE,
  INITIAL_FOCUS_LOGIT,
  WRITE_GATE_INITIAL_BIAS,
  controlTable,
  headLength,
  MemoryAccess,
  type AccessState,
  type AddressingModeSpec,
  type MemoryAccessConfig,
} from '../src/index.ts';
import * as ref from './reference/ntm64.ts';
import { allFinite, arr, dotNested, flat, maxDiff, mulberry32, randomNested, relErr, type Mat, type T3 } from './helpers.ts';

/** The state as nested arrays, in the reference's layout. */
function stateArrays(s: AccessState): ref.AccessState {
  return { memory: arr<T3>(s.memory), readWeights: arr<T3>(s.readWeights), writeWeights: arr<T3>(s.writeWeights), readVectors: arr<T3>(s.readVectors) };
}

function refParams(a: MemoryAccess): ref.AccessParams {
  const c = a.config;
  return {
    projection: arr<Mat>(a.projection),
    bias: arr<number[]>(a.projectionBias),
    N: c.slots,
    M: c.width,
    readHeads: c.readHeads,
    writeHeads: c.writeHeads,
    shiftRange: c.shiftRange,
    order: c.order,
  };
}

function disposeState(s: AccessState): void {
  tf.dispose([s.memory, s.readWeights, s.writeWeights, s.readVectors]);
}

function engramMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngramError);
    return (e as Error).message;
  }
  throw new Error('expected an EngramError, nothing was thrown');
}

describe('shapes', () => {
  const configs: [MemoryAccessConfig, number][] = [
    [{ slots: 8, width: 3, controllerSize: 5 }, 2],
    [{ slots: 10, width: 4, readHeads: 3, writeHeads: 2, shiftRange: 2, controllerSize: 6, init: 'random', similarity: 'bilinear' }, 1],
    // shiftRange 0 (a one-entry shift control) and width 1 (one-entry key, erase, add) are valid configs
    [{ slots: 5, width: 2, readHeads: 2, writeHeads: 1, shiftRange: 0, controllerSize: 3, init: 'learned', readMode: 'topk', writeMode: 'hard' }, 3],
    [{ slots: 4, width: 1, readHeads: 1, writeHeads: 2, controllerSize: 2, similarity: 'dot' }, 2],
  ];
  for (const [config, batch] of configs) {
    it(`state and outputs for ${JSON.stringify(config)}, batch ${batch}`, () => {
      const a = new MemoryAccess(config);
      const { slots: N, width: M } = config;
      const R = config.readHeads ?? 1;
      const W = config.writeHeads ?? 1;
      const s0 = a.initialState(batch);
      const expected = { memory: [batch, N, M], readWeights: [batch, R, N], writeWeights: [batch, W, N], readVectors: [batch, R, M] };
      const shapesOf = (s: AccessState) => ({
        memory: s.memory.shape,
        readWeights: s.readWeights.shape,
        writeWeights: s.writeWeights.shape,
        readVectors: s.readVectors.shape,
      });
      expect(shapesOf(s0)).toEqual(expected);
      const c = tf.tensor2d(randomNested<Mat>([batch, config.controllerSize], mulberry32(1)));
      const [reads, s1] = a.step(c, s0);
      expect(reads.shape).toEqual([batch, R, M]);
      expect(shapesOf(s1)).toEqual(expected);
      expect(arr(reads)).toEqual(arr(s1.readVectors));
      expect(Object.isFrozen(s1)).toBe(true);
      // the initial weights focus on slot 0 (softmax of logit INITIAL_FOCUS_LOGIT there, 0 elsewhere): not uniform, so slots are not symmetric
      const focus = 1 / (1 + (N - 1) * Math.exp(-INITIAL_FOCUS_LOGIT));
      for (const row of [...arr<T3>(s0.readWeights).flat(), ...arr<T3>(s0.writeWeights).flat()]) {
        expect(
          maxDiff(
            row,
            row.map((_, i) => (i === 0 ? focus : (1 - focus) / (N - 1))),
          ),
        ).toBeLessThan(1e-6);
      }
      tf.dispose([c, reads]);
      disposeState(s0);
      disposeState(s1);
      a.dispose();
    });
  }
});

describe('step equals the float64 reference accessStep', () => {
  for (const [S, order] of [
    [1, 'read-write'],
    [2, 'read-write'],
    [1, 'write-read'],
    [2, 'write-read'],
  ] as const) {
    it(`R=2, W=2, S=${S}, ${order}, over 3 steps (random initial memory)`, () => {
      const a = new MemoryAccess({ slots: 7, width: 4, readHeads: 2, writeHeads: 2, shiftRange: S, controllerSize: 5, init: 'random', seed: 3 + S, order });
      const params = refParams(a);
      expect(params.projection[0]).toHaveLength(2 * ref.controlLength(4, S, true) + 2 * ref.controlLength(4, S, false));
      const rng = mulberry32(80 + S);
      let state = a.initialState(2);
      let expected = stateArrays(state);
      for (let t = 0; t < 3; t++) {
        const c = randomNested<Mat>([2, 5], rng, 1.5);
        const ct = tf.tensor2d(c);
        const [reads, next] = a.step(ct, state);
        const r = ref.accessStep(params, c, expected);
        expected = r.state;
        const got = stateArrays(next);
        expect(maxDiff(reads, r.readVectors), `reads, step ${t}`).toBeLessThan(1e-5);
        expect(maxDiff(got.memory, expected.memory), `memory, step ${t}`).toBeLessThan(1e-5);
        expect(maxDiff(got.writeWeights, expected.writeWeights), `write weights, step ${t}`).toBeLessThan(1e-5);
        expect(maxDiff(got.readWeights, expected.readWeights), `read weights, step ${t}`).toBeLessThan(1e-5);
        disposeState(state);
        tf.dispose([ct, reads]);
        state = next;
      }
      // the memory was written: it is no longer the initial memory
      expect(maxDiff(expected.memory, stateArrays(a.initialState(2)).memory)).toBeGreaterThan(1e-2);
      disposeState(state);
      a.dispose();
    });
  }

  it('with one-entry controls: shiftRange 0 and width 1', () => {
    for (const [S, M] of [
      [0, 3],
      [1, 1],
    ] as const) {
      const a = new MemoryAccess({ slots: 5, width: M, readHeads: 2, writeHeads: 1, shiftRange: S, controllerSize: 3, init: 'random', seed: 8 });
      const c = randomNested<Mat>([2, 3], mulberry32(84), 1.5);
      const s0 = a.initialState(2);
      const [reads, s1] = a.step(tf.tensor2d(c), s0);
      const r = ref.accessStep(refParams(a), c, stateArrays(s0));
      expect(maxDiff(reads, r.readVectors), `S=${S} M=${M}`).toBeLessThan(1e-5);
      expect(maxDiff(s1.memory, r.state.memory), `S=${S} M=${M}`).toBeLessThan(1e-5);
      tf.dispose(reads);
      disposeState(s0);
      disposeState(s1);
      a.dispose();
    }
  });

  it('from the constant initial memory too', () => {
    const a = new MemoryAccess({ slots: 6, width: 3, readHeads: 1, writeHeads: 1, controllerSize: 4, seed: 9 });
    const c = randomNested<Mat>([3, 4], mulberry32(85));
    const s0 = a.initialState(3);
    const [reads, s1] = a.step(tf.tensor2d(c), s0);
    const r = ref.accessStep(refParams(a), c, stateArrays(s0));
    expect(maxDiff(reads, r.readVectors)).toBeLessThan(1e-5);
    expect(maxDiff(s1.memory, r.state.memory)).toBeLessThan(1e-5);
    a.dispose();
  });
});

describe('gradients through two steps', () => {
  it('of a scalar of the read vectors w.r.t. the projection (and bias) match finite differences of the reference', () => {
    const a = new MemoryAccess({ slots: 6, width: 3, readHeads: 1, writeHeads: 1, controllerSize: 4, init: 'random', seed: 11 });
    const rng = mulberry32(90);
    const cs = [randomNested<Mat>([2, 4], rng, 1.5), randomNested<Mat>([2, 4], rng, 1.5)];
    const proj = randomNested<T3>([2, 1, 3], rng);
    const s0 = a.initialState(2);
    const start = stateArrays(s0);
    const params = refParams(a);

    const { grads } = tf.variableGrads(() => {
      let state = s0;
      let reads: tf.Tensor3D | undefined;
      for (const c of cs) [reads, state] = a.step(tf.tensor2d(c), state);
      return tf.sum(tf.mul(reads as tf.Tensor3D, tf.tensor3d(proj))) as tf.Scalar;
    }, [a.projection, a.projectionBias]);
    const gP = arr<Mat>(grads[a.projection.name] as tf.Tensor);
    const gB = arr<number[]>(grads[a.projectionBias.name] as tf.Tensor);

    const loss = (p: ref.AccessParams) => {
      let st = start;
      let reads: T3 = [];
      for (const c of cs) ({ readVectors: reads, state: st } = ref.accessStep(p, c, st));
      return dotNested(reads, proj);
    };
    const numP = randomNestedGrad((x: Mat) => loss({ ...params, projection: x }), params.projection);
    const numB = randomNestedGrad((x: number[]) => loss({ ...params, bias: x }), params.bias);
    expect(Math.max(...flat(numP).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(relErr(gP, numP)).toBeLessThan(1e-3);
    expect(relErr(gB, numB)).toBeLessThan(1e-3);
    tf.dispose(grads);
    disposeState(s0);
    a.dispose();
  });
});

/** Central differences (h = 1e-6) of a scalar function of a nested array. */
function randomNestedGrad<X extends number[] | number[][]>(f: (x: X) => number, x: X): X {
  const { values, shape } = { values: flat(x as number[]), shape: x.length && Array.isArray(x[0]) ? [x.length, (x[0] as number[]).length] : [x.length] };
  const rebuild = (v: number[]): X => (shape.length === 2 ? Array.from({ length: shape[0]! }, (_, i) => v.slice(i * shape[1]!, (i + 1) * shape[1]!)) : v) as X;
  const h = 1e-6;
  const g = values.map((vi, i) => {
    const plus = [...values];
    const minus = [...values];
    plus[i] = vi + h;
    minus[i] = vi - h;
    return (f(rebuild(plus)) - f(rebuild(minus))) / (2 * h);
  });
  return rebuild(g);
}

describe('controls', () => {
  const M = 4;
  const S = 2;

  it('one declared table: read heads are key, beta, gate, shift, gamma; write heads add erase, add', () => {
    const read = controlTable(M, S, false);
    const write = controlTable(M, S, true);
    expect(read.map((c) => [c.name, c.length, c.activation])).toEqual([
      ['key', M, 'tanh'],
      ['beta', 1, 'softplus'],
      ['gate', 1, 'sigmoid'],
      ['shift', 2 * S + 1, 'softmax'],
      ['gamma', 1, 'oneplus'],
    ]);
    const shape = (cs: typeof read) => cs.map((c) => [c.name, c.length, c.activation]);
    expect(shape(write.slice(0, read.length))).toEqual(shape(read));
    expect(write.slice(read.length).map((c) => [c.name, c.length, c.activation])).toEqual([
      ['erase', M, 'sigmoid'],
      ['add', M, 'tanh'],
    ]);
    expect(headLength(read)).toBe(ref.controlLength(M, S, false));
    expect(headLength(write)).toBe(ref.controlLength(M, S, true));
  });

  it("the projection bias starts at the tables' initial biases: write gates at WRITE_GATE_INITIAL_BIAS, everything else 0", () => {
    expect(WRITE_GATE_INITIAL_BIAS).toBe(-3);
    const a = new MemoryAccess({ slots: 9, width: M, readHeads: 2, writeHeads: 2, shiftRange: S, controllerSize: 3 });
    const bias = Array.from(a.projectionBias.dataSync());
    const wLen = headLength(a.writeTable);
    const rLen = headLength(a.readTable);
    const gate = M + 1; // after key (M) and beta (1)
    const expected = Array.from({ length: a.interfaceSize }, (_, l) => (l < 2 * wLen && l % wLen === gate ? -3 : 0));
    expect(bias).toEqual(expected);
    expect(bias.length).toBe(2 * wLen + 2 * rLen);
    // the write heads' gates start at sigmoid(-3): a zero controller output interpolates 95% of the previous weighting
    const c = tf.tidy(() => arr<Mat>(a.controls(tf.zeros([1, 3]) as tf.Tensor2D).write.gate));
    expect(c[0]![0]).toBeCloseTo(1 / (1 + Math.exp(3)), 6);
    a.dispose();
  });

  it('interfaceSize is the sum of the table lengths over all heads, and the projection is [C, interfaceSize]', () => {
    const a = new MemoryAccess({ slots: 9, width: M, readHeads: 3, writeHeads: 2, shiftRange: S, controllerSize: 7 });
    expect(a.interfaceSize).toBe(2 * headLength(a.writeTable) + 3 * headLength(a.readTable));
    expect(a.interfaceSize).toBe(2 * (M + 1 + 1 + 5 + 1 + 2 * M) + 3 * (M + 1 + 1 + 5 + 1));
    expect(a.projection.shape).toEqual([7, a.interfaceSize]);
    expect(a.projectionBias.shape).toEqual([a.interfaceSize]);
    a.dispose();
  });

  it('activations land in their ranges and follow the table split (write heads first)', () => {
    const a = new MemoryAccess({ slots: 9, width: M, readHeads: 2, writeHeads: 2, shiftRange: S, controllerSize: 6, seed: 4 });
    const c = randomNested<Mat>([3, 6], mulberry32(95), 3);
    const out = tf.tidy(() => {
      const ctl = a.controls(tf.tensor2d(c));
      const toArr = (h: typeof ctl.read) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, arr(v as tf.Tensor)]));
      return {
        write: toArr(ctl.write),
        read: toArr(ctl.read),
        shapes: Object.fromEntries(Object.entries(ctl.write).map(([k, v]) => [k, (v as tf.Tensor).shape])),
      };
    });
    expect(out.shapes).toEqual({ key: [3, 2, M], beta: [3, 2], gate: [3, 2], shift: [3, 2, 5], gamma: [3, 2], erase: [3, 2, M], add: [3, 2, M] });
    expect(Object.keys(out.read).sort()).toEqual(['beta', 'gamma', 'gate', 'key', 'shift']);
    for (const g of [out.write, out.read]) {
      for (const v of flat(g['beta'] as number[][])) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of flat(g['gate'] as number[][])) {
        expect(v).toBeGreaterThan(0);
        expect(v).toBeLessThan(1);
      }
      for (const v of flat(g['gamma'] as number[][])) expect(v).toBeGreaterThanOrEqual(1);
      for (const v of flat(g['key'] as T3)) {
        expect(v).toBeGreaterThan(-1);
        expect(v).toBeLessThan(1);
      }
      for (const row of (g['shift'] as T3).flat()) {
        expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-6);
        for (const x of row) expect(x).toBeGreaterThan(0);
      }
    }
    for (const v of flat(out.write['erase'] as T3)) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    }
    for (const v of flat(out.write['add'] as T3)) {
      expect(v).toBeGreaterThan(-1);
      expect(v).toBeLessThan(1);
    }
    // by hand: z = c P + b; write head 1 starts at headLength(write); read head 0 at 2 * headLength(write)
    const p = arr<Mat>(a.projection);
    const b = arr<number[]>(a.projectionBias);
    const z = c.map((row) => b.map((bl, l) => bl + row.reduce((s, x, i) => s + x * p[i]![l]!, 0)));
    const wl = headLength(a.writeTable);
    const batch = 1;
    const z1 = z[batch]!;
    expect(maxDiff((out.write['key'] as T3)[batch]![1]!, z1.slice(wl, wl + M).map(Math.tanh))).toBeLessThan(1e-5);
    expect(Math.abs((out.write['beta'] as Mat)[batch]![1]! - ref.softplus(z1[wl + M]!))).toBeLessThan(1e-5);
    expect(Math.abs((out.write['gamma'] as Mat)[batch]![1]! - 1 - ref.softplus(z1[wl + M + 2 + 2 * S + 1]!))).toBeLessThan(1e-5);
    expect(maxDiff((out.write['add'] as T3)[batch]![1]!, z1.slice(2 * wl - M, 2 * wl).map(Math.tanh))).toBeLessThan(1e-5);
    expect(Math.abs((out.read['gate'] as Mat)[batch]![0]! - ref.sigmoid(z1[2 * wl + M + 1]!))).toBeLessThan(1e-5);
    a.dispose();
  });
});

const MODES: [string, AddressingModeSpec][] = [
  ['soft', 'soft'],
  ['sparsemax', 'sparsemax'],
  ['hard', 'hard'],
  ['gumbel {tau 0.5, hard}', { kind: 'gumbel', tau: 0.5, hard: true }],
  ['topk k=2', { kind: 'topk', k: 2 }],
];

/** Rows (over the batch) whose values differ between two memories [B][N][M]. */
function changedRows(before: T3, after: T3): number[] {
  return before.map((rows, b) => rows.filter((row, i) => row.some((x, j) => x !== after[b]![i]![j])).length);
}

describe('every addressing mode', () => {
  const N = 10;
  const W = 2;
  for (const [name, mode] of MODES) {
    for (const training of [true, false]) {
      it(`${name}, ${training ? 'training' : 'eval'}: 5 steps with finite outputs and finite gradients`, () => {
        const a = new MemoryAccess({
          slots: N,
          width: 3,
          readHeads: 2,
          writeHeads: W,
          controllerSize: 4,
          readMode: mode,
          writeMode: mode,
          init: 'random',
          seed: 21,
        });
        const cs = Array.from({ length: 5 }, (_, t) => randomNested<Mat>([2, 4], mulberry32(100 + t), 2));
        const opts = { training, rng: new Rng(1) };
        // forward, checking how many rows each write touches
        let state = a.initialState(2);
        const maxRows: number = training
          ? typeof mode === 'object' && mode.kind === 'topk'
            ? (mode.k as number)
            : N
          : mode === 'soft' || mode === 'sparsemax'
            ? N
            : 1;
        for (const c of cs) {
          const [reads, next] = a.step(tf.tensor2d(c), state, opts);
          expect(allFinite(reads)).toBe(true);
          expect(allFinite(next.memory)).toBe(true);
          const changed = changedRows(arr<T3>(state.memory), arr<T3>(next.memory));
          for (const n of changed) {
            expect(n).toBeLessThanOrEqual(W * maxRows);
            expect(n).toBeGreaterThan(0);
          }
          if (maxRows < N) {
            // the write weights are exactly zero outside at most maxRows rows per head
            for (const row of arr<T3>(next.writeWeights).flat()) expect(row.filter((x) => x !== 0).length).toBeLessThanOrEqual(maxRows);
          }
          disposeState(state);
          tf.dispose(reads);
          state = next;
        }
        disposeState(state);
        // gradients of the sum of all reads w.r.t. every variable
        const { value, grads } = tf.variableGrads(() => {
          let s = a.initialState(2);
          let total: tf.Tensor = tf.scalar(0);
          for (const c of cs) {
            const [reads, next] = a.step(tf.tensor2d(c), s, { training, rng: new Rng(1) });
            total = tf.add(total, tf.sum(tf.mul(reads, tf.linspace(-1, 1, reads.size).reshape(reads.shape))));
            s = next;
          }
          return total as tf.Scalar;
        }, a.variables);
        expect(Number.isFinite(value.dataSync()[0])).toBe(true);
        for (const g of Object.values(grads)) expect(allFinite(g)).toBe(true);
        expect(Math.max(...flat(grads[a.projection.name] as tf.Tensor).map(Math.abs))).toBeGreaterThan(1e-6);
        tf.dispose([value, grads]);
        a.dispose();
      });
    }
  }

  it('mixed modes per head (soft, topk, hard read heads; sparsemax and gumbel write heads) run with finite gradients', () => {
    const a = new MemoryAccess({
      slots: N,
      width: 3,
      readHeads: 3,
      writeHeads: 2,
      controllerSize: 4,
      seed: 22,
      readMode: ['soft', { kind: 'topk', k: 3 }, 'hard'],
      writeMode: ['sparsemax', { kind: 'gumbel', tau: 0.7 }],
    });
    const c = tf.tensor2d(randomNested<Mat>([2, 4], mulberry32(110), 2));
    const { value, grads } = tf.variableGrads(() => {
      let s = a.initialState(2);
      let reads: tf.Tensor = tf.scalar(0);
      for (let t = 0; t < 3; t++) [reads, s] = a.step(c as tf.Tensor2D, s, { rng: new Rng(t) });
      const rw = arr<T3>(s.readWeights);
      for (const hs of rw) {
        expect(hs[1]!.filter((x) => x !== 0).length).toBeLessThanOrEqual(3);
        expect(hs[2]!.filter((x) => x !== 0)).toEqual([1]);
      }
      return tf.sum(tf.square(reads)) as tf.Scalar;
    }, a.variables);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const g of Object.values(grads)) expect(allFinite(g)).toBe(true);
    tf.dispose([value, grads, c]);
    a.dispose();
  });

  it('gumbel in training without an rng throws an EngramError naming step(options.rng)', () => {
    const a = new MemoryAccess({ slots: 6, width: 2, controllerSize: 3, readMode: 'gumbel' });
    const s = a.initialState(1);
    expect(engramMessage(() => tidy(() => a.step(tf.zeros([1, 3]) as tf.Tensor2D, s)))).toMatch(/^step\(options\.rng\)/);
    // evaluation needs none
    tf.tidy(() => {
      a.step(tf.zeros([1, 3]) as tf.Tensor2D, s, { training: false });
    });
    disposeState(s);
    a.dispose();
  });
});

describe('degenerate inputs', () => {
  for (const [name, mode] of MODES) {
    it(`${name}: all-zero memory and all-zero controller output give finite values and gradients`, () => {
      const a = new MemoryAccess({ slots: 6, width: 3, readHeads: 2, writeHeads: 2, controllerSize: 4, readMode: mode, writeMode: mode, seed: 31 });
      const init = a.initialState(2);
      const zeroState: AccessState = { ...init, memory: tf.zeros([2, 6, 3]) as tf.Tensor3D };
      const c0 = tf.zeros([2, 4]) as tf.Tensor2D;
      const [reads, next] = a.step(c0, zeroState, { rng: new Rng(2) });
      expect(allFinite(reads)).toBe(true);
      expect(allFinite(next.memory)).toBe(true);
      expect(allFinite(next.readWeights)).toBe(true);
      const memoryGrad: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const [gm, gc] = tf.grads((m: tf.Tensor, c: tf.Tensor) => {
          let s: AccessState = { ...zeroState, memory: m as tf.Tensor3D };
          let r: tf.Tensor = tf.scalar(0);
          for (let t = 0; t < 2; t++) [r, s] = a.step(c as tf.Tensor2D, s, { rng: new Rng(3) });
          return tf.sum(tf.mul(r, tf.linspace(0.5, 1.5, r.size).reshape(r.shape)));
        })([zeroState.memory, c0]);
        memoryGrad.push(tf.keep(gm as tf.Tensor), tf.keep(gc as tf.Tensor));
        let s: AccessState = zeroState;
        let r: tf.Tensor = tf.scalar(0);
        for (let t = 0; t < 2; t++) [r, s] = a.step(c0, s, { rng: new Rng(3) });
        return tf.sum(r) as tf.Scalar;
      }, a.variables);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      for (const g of [...Object.values(grads), ...memoryGrad]) expect(allFinite(g)).toBe(true);
      tf.dispose([value, grads, memoryGrad, reads, c0, zeroState.memory]);
      disposeState(init);
      disposeState(next);
      a.dispose();
    });
  }
});

describe('large sharpening at the copy-task size', () => {
  it('the largest gamma the interface clip allows (1 + softplus(20) = 21) on N = 128 slots gives finite reads and gradients', () => {
    const M = 20;
    const a = new MemoryAccess({ slots: 128, width: M, controllerSize: 4, seed: 51 });
    const wl = headLength(a.writeTable);
    // bias 40 on the gamma control of the write head and the read head: clipped to 20, gamma = 1 + softplus(20)
    a.projectionBias.assign(tf.tidy(() => tf.tensor1d(Array.from({ length: a.interfaceSize }, (_, l) => (l === M + 5 || l === wl + M + 5 ? 40 : 0)))));
    const s0 = a.initialState(1);
    const c = tf.zeros([1, 4]) as tf.Tensor2D;
    const gamma = tf.tidy(() => arr<Mat>(a.controls(c).read.gamma));
    expect(gamma[0]![0]).toBeCloseTo(1 + Math.log1p(Math.exp(20)), 4);
    const { value, grads } = tf.variableGrads(() => {
      const [r1, s1] = a.step(c, s0);
      const [r2] = a.step(c, s1);
      expect(allFinite(r1)).toBe(true);
      expect(allFinite(s1.writeWeights)).toBe(true);
      return tf.sum(tf.mul(r2, tf.linspace(-1, 1, M).reshape([1, 1, M]))) as tf.Scalar;
    }, a.variables);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, g] of Object.entries(grads)) expect(allFinite(g), name).toBe(true);
    tf.dispose([value, grads, c]);
    disposeState(s0);
    a.dispose();
  });
});

describe('no tensor leaks', () => {
  it('constructing and disposing a MemoryAccess (every init and learned similarity) leaves no tensors', () => {
    const before = tf.memory().numTensors;
    for (const init of ['constant', 'random', 'learned'] as const) {
      for (const similarity of ['cosine', 'bilinear', 'additive'] as const) {
        const a = new MemoryAccess({ slots: 6, width: 3, controllerSize: 4, init, similarity });
        const s = a.initialState(2);
        disposeState(s);
        a.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const [name, mode] of [MODES[0]!, MODES[3]!, MODES[4]!]) {
    it(`${name}: tf.memory().numTensors is unchanged after 100 steps inside tf.tidy`, () => {
      const a = new MemoryAccess({ slots: 8, width: 3, readHeads: 2, writeHeads: 2, controllerSize: 4, readMode: mode, writeMode: mode, seed: 41 });
      const s0 = a.initialState(2);
      const c = tf.tensor2d(randomNested<Mat>([2, 4], mulberry32(120)));
      const opts = { rng: new Rng(4) };
      tf.tidy(() => {
        a.step(c, s0, opts);
      }); // warm-up (caches the shift index table)
      const before = tf.memory().numTensors;
      for (let t = 0; t < 50; t++)
        tf.tidy(() => {
          a.step(c, s0, opts);
        });
      expect(tf.memory().numTensors).toBe(before);
      const last = tf.tidy(() => {
        let s = s0;
        for (let t = 0; t < 50; t++) s = a.step(c, s, opts)[1];
        return s.readVectors;
      });
      expect(tf.memory().numTensors).toBe(before + 1);
      last.dispose();
      expect(tf.memory().numTensors).toBe(before);
      disposeState(s0);
      c.dispose();
      a.dispose();
    });
  }
});

describe('memory initialisation', () => {
  it('constant: every cell is 1e-6', () => {
    const a = new MemoryAccess({ slots: 5, width: 3, controllerSize: 2 });
    const s = a.initialState(2);
    expect(CONSTANT_MEMORY_VALUE).toBe(1e-6);
    expect(flat(s.memory).every((v) => v === Math.fround(1e-6))).toBe(true);
    expect(a.variables.some((v) => v.shape.join() === '1,5,3')).toBe(false);
    disposeState(s);
    a.dispose();
  });

  it('random: tanh of fixed N(0, 0.5) draws, the same across initialState calls and batch rows', () => {
    const a = new MemoryAccess({ slots: 12, width: 5, controllerSize: 2, init: 'random', seed: 5 });
    const s1 = a.initialState(3);
    const s2 = a.initialState(3);
    const m1 = arr<T3>(s1.memory);
    expect(m1).toEqual(arr(s2.memory));
    expect(m1[1]).toEqual(m1[0]);
    expect(m1[2]).toEqual(m1[0]);
    const v = flat(m1[0]!);
    for (const x of v) expect(Math.abs(x)).toBeLessThan(1);
    const pre = v.map(Math.atanh);
    const std = Math.sqrt(pre.reduce((s, x) => s + x * x, 0) / pre.length);
    expect(std).toBeGreaterThan(0.35);
    expect(std).toBeLessThan(0.65);
    expect(new Set(v).size).toBe(v.length);
    // fixed, not trained
    expect(a.variables.some((x) => x.shape.join() === '1,12,5')).toBe(false);
    // depends on the seed
    const b = new MemoryAccess({ slots: 12, width: 5, controllerSize: 2, init: 'random', seed: 6 });
    const sb = b.initialState(1);
    expect(maxDiff(sb.memory, [m1[0]!])).toBeGreaterThan(1e-2);
    [s1, s2, sb].forEach(disposeState);
    a.dispose();
    b.dispose();
  });

  it('learned: a trainable [1, N, M] variable that the gradient reaches', () => {
    const a = new MemoryAccess({ slots: 6, width: 3, controllerSize: 4, init: 'learned', seed: 7 });
    const constant = new MemoryAccess({ slots: 6, width: 3, controllerSize: 4, seed: 7 });
    expect(a.variables).toHaveLength(constant.variables.length + 1);
    const bias = a.variables.find((v) => v.shape.join() === '1,6,3');
    expect(bias).toBeDefined();
    expect(bias!.trainable).toBe(true);
    const s = a.initialState(2);
    const expectedMemory = tf.tidy(() => arr<T3>(bias!.tanh())[0]!);
    expect(maxDiff(s.memory, [expectedMemory, expectedMemory])).toBeLessThan(1e-7);
    const c = tf.tensor2d(randomNested<Mat>([2, 4], mulberry32(130)));
    const { value, grads } = tf.variableGrads(() => {
      const [reads] = a.step(c, a.initialState(2));
      return tf.sum(tf.square(reads)) as tf.Scalar;
    }, [bias!]);
    const g = grads[bias!.name] as tf.Tensor;
    expect(allFinite(g)).toBe(true);
    expect(Math.max(...flat(g).map(Math.abs))).toBeGreaterThan(1e-6);
    tf.dispose([value, grads, c]);
    disposeState(s);
    a.dispose();
    constant.dispose();
  });
});

describe('config validation', () => {
  const base = { slots: 8, width: 3, controllerSize: 4 };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['slots 0', { slots: 0 }, /^memory\.slots: 0 is not a positive integer/],
    ['slots 2.5', { slots: 2.5 }, /^memory\.slots: /],
    ['width 0', { width: 0 }, /^memory\.width: /],
    ['readHeads 0', { readHeads: 0 }, /^memory\.readHeads: /],
    ['controllerSize missing', { controllerSize: undefined }, /^memory\.controllerSize: /],
    ['shiftRange with 2S+1 > N', { shiftRange: 4 }, /^memory\.shiftRange: S=4 needs 2S\+1 <= N=8/],
    ['negative shiftRange', { shiftRange: -1 }, /^memory\.shiftRange: /],
    ['unknown similarity', { similarity: 'euclid' }, /^memory\.similarity: unknown similarity 'euclid'/],
    ['unknown init', { init: 'zeros' }, /^memory\.init: /],
    ['read mode count mismatch', { readHeads: 2, readMode: ['soft', 'hard', 'soft'] }, /^memory\.readMode: 3 modes given for 2 heads/],
    ['write mode count mismatch', { writeHeads: 2, writeMode: ['soft'] }, /^memory\.writeMode: 1 modes given for 2 heads/],
    ['topk k > N', { readMode: { kind: 'topk', k: 9 } }, /^memory\.readMode\[0\]\.k: /],
    ['gumbel tau 0', { writeMode: { kind: 'gumbel', tau: 0 } }, /^memory\.writeMode\[0\]\.tau: /],
    ['unknown mode', { readMode: 'argmax' }, /^memory\.readMode\[0\]: unknown addressing mode/],
    ['non-integer seed', { seed: 1.5 }, /^memory\.seed: /],
    ['unknown order', { order: 'write-first' }, /^memory\.order: unknown order 'write-first'; use one of read-write, write-read/],
  ];
  for (const [name, patch, pattern] of cases) {
    it(`${name} throws an EngramError naming the field`, () => {
      const before = tf.memory().numTensors;
      expect(engramMessage(() => new MemoryAccess({ ...base, ...patch } as unknown as MemoryAccessConfig))).toMatch(pattern);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the largest valid shiftRange (2S+1 = N) is accepted', () => {
    const a = new MemoryAccess({ ...base, slots: 7, shiftRange: 3 });
    expect(a.config.shiftRange).toBe(3);
    a.dispose();
  });

  it('step rejects a controller output of the wrong width, naming it', () => {
    const a = new MemoryAccess(base);
    const s = a.initialState(1);
    expect(engramMessage(() => tidy(() => a.step(tf.zeros([1, 5]) as tf.Tensor2D, s)))).toMatch(/^MemoryAccess\.step\(controllerOutput\)/);
    expect(engramMessage(() => a.initialState(0))).toMatch(/^initialState\(batch\)/);
    disposeState(s);
    a.dispose();
  });
});

describe('seeding', () => {
  const config = { slots: 8, width: 3, readHeads: 2, writeHeads: 1, controllerSize: 4, init: 'learned', similarity: 'bilinear' } as const;
  const values = (a: MemoryAccess) => a.variables.map((v) => flat(v));

  it('the same seed gives identical initial variables', () => {
    const a = new MemoryAccess({ ...config, seed: 12 });
    const b = new MemoryAccess({ ...config, seed: 12 });
    expect(values(a)).toEqual(values(b));
    a.dispose();
    b.dispose();
  });

  it('a different seed gives different random variables (projection, initial reads, learned memory, similarity)', () => {
    const a = new MemoryAccess({ ...config, seed: 12 });
    const b = new MemoryAccess({ ...config, seed: 13 });
    const va = values(a);
    const vb = values(b);
    const differing = va.filter((v, i) => maxDiff(v, vb[i]!) > 1e-3).length;
    // every variable drawn from the rng differs; the zero-initialised ones (bias, weight logits) do not
    expect(maxDiff(flat(a.projection), flat(b.projection))).toBeGreaterThan(1e-3);
    expect(maxDiff(flat(a.readInit), flat(b.readInit))).toBeGreaterThan(1e-3);
    expect(differing).toBe(va.length - 3);
    a.dispose();
    b.dispose();
  });
});

describe('variable names', () => {
  it('a MemoryAccess names its tf.Variables by their paths (not 60, 61, ...), unique in the process', () => {
    const a = new MemoryAccess({ slots: 8, width: 4, controllerSize: 5 });
    const b = new MemoryAccess({ slots: 8, width: 4, controllerSize: 5 });
    const names = a.variables.map((v) => v.name);
    expect(names.some((n) => /^memory\/projection_\d+$/.test(n))).toBe(true);
    expect(new Set([...names, ...b.variables.map((v) => v.name)]).size).toBe(names.length * 2);
    a.dispose();
    b.dispose();
  });
});

describe('memory.writeGateBias', () => {
  it("sets the write gates' initial bias (0 = none) and refuses what the interface clip would cut", () => {
    const none = new MemoryAccess({ slots: 8, width: 4, controllerSize: 5, writeGateBias: 0 });
    expect(Math.max(...(none.projectionBias.dataSync() as Float32Array).map(Math.abs))).toBe(0);
    const two = new MemoryAccess({ slots: 8, width: 4, controllerSize: 5, writeGateBias: -2 });
    expect(Array.from(two.projectionBias.dataSync()).filter((x) => x !== 0)).toEqual([-2]);
    expect(() => new MemoryAccess({ slots: 8, width: 4, controllerSize: 5, writeGateBias: -50 })).toThrow(
      /memory\.writeGateBias: -50 is not a finite number within ±20/,
    );
    none.dispose();
    two.dispose();
  });
});

describe('memory.rowNormFloor', () => {
  /** Read vectors and the gradient of their sum over the variables, T steps from the initial state. */
  function unrolled(a: MemoryAccess, T: number): { reads: number[]; grads: number[] } {
    const data = new Rng(5);
    const outs = Array.from({ length: T }, () => tf.tidy(() => tf.tanh(data.normalTensor([2, 6], 0, 1)) as tf.Tensor2D));
    const result = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        let state = a.initialState(2);
        const reads: tf.Tensor[] = [];
        for (const h of outs) {
          const [r, next] = a.step(h, state, { training: true });
          reads.push(r);
          state = next;
        }
        return tf.sum(tf.mul(tf.stack(reads), tf.stack(reads))) as tf.Scalar;
      }, a.variables);
      return {
        reads: [value.dataSync()[0] as number],
        grads: Object.keys(grads)
          .sort()
          .flatMap((k) => Array.from((grads[k] as tf.Tensor).dataSync())),
      };
    });
    tf.dispose(outs);
    return result;
  }

  it('reaches the fused and the reference path alike (1e-5 relative), for soft and hard heads, and changes the result', () => {
    for (const mode of ['soft', 'hard'] as const) {
      const make = (kernels: 'fused' | 'reference', rowNormFloor?: number) =>
        new MemoryAccess({
          slots: 8,
          width: 4,
          controllerSize: 6,
          readMode: mode,
          writeMode: mode,
          seed: 2,
          kernels,
          ...(rowNormFloor ? { rowNormFloor } : {}),
        });
      const [fused, reference, plain] = [make('fused', 0.5), make('reference', 0.5), make('fused')];
      const f = unrolled(fused, 6);
      const r = unrolled(reference, 6);
      expect(relErr(f.reads, r.reads), `${mode}: values`).toBeLessThan(1e-5);
      expect(relErr(f.grads, r.grads), `${mode}: gradients`).toBeLessThan(1e-5);
      expect(relErr(unrolled(plain, 6).grads, f.grads), `${mode}: the floor changes the gradients`).toBeGreaterThan(1e-4);
      for (const a of [fused, reference, plain]) a.dispose();
    }
  });

  it('refuses a floor outside (0, 1] and one given with a similarity that has none', () => {
    for (const bad of [0, -0.1, 2, Number.NaN]) {
      expect(() => new MemoryAccess({ slots: 8, width: 4, controllerSize: 5, rowNormFloor: bad })).toThrow(
        /memory\.rowNormFloor: .* is not a number in \(0, 1\]/,
      );
    }
    expect(() => new MemoryAccess({ slots: 8, width: 4, controllerSize: 5, similarity: 'dot', rowNormFloor: 0.1 })).toThrow(
      /memory\.rowNormFloor: only the cosine similarity has a row-norm floor, not 'dot'/,
    );
  });
});
