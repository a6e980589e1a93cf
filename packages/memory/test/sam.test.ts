/**
 * SAM (sparse access memory): the content top-k kernel against a float64 reference (values,
 * row choice, finite-difference gradients), the usage kernel, and the access module (state,
 * determinism, gradients reaching every control, no leaks, config errors).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngramError, initBackend, setSimdKernels, simdKernelsEnabled } from '@engram/tensor';
import {
  contentTopk,
  fusedSparseRead,
  fusedSparseWrite,
  samStep,
  makeMemory,
  memoryStateTensors,
  ROW_NORM_FLOOR,
  KEY_NORM_EPSILON,
  SamAccess,
  samReadTable,
  samWriteTable,
  samUsage,
  type SamState,
} from '../src/index.ts';
import { samReadState } from '../src/sam/fused/usageKernel.ts';
import { samControls } from '../src/sam/fused/controlsKernel.ts';
import { activateTable, headLength, INTERFACE_CLIP } from '../src/interfaceTable.ts';
import { checkGradients, mulberry32, randomT3, rel, type Mat, type T3 } from './helpers.ts';

beforeAll(async () => {
  await initBackend('cpu', { quiet: true });
});

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** float64 content top-k: the k best rows per head (written first), softmax(β s) over them. */
function topkRef(memory: T3, keys: T3, beta: Mat, written: Mat, k: number): { indices: number[][][]; weights: T3 } {
  const indices: number[][][] = [];
  const weights: T3 = [];
  memory.forEach((mem, b) => {
    indices.push([]);
    weights.push([]);
    keys[b]!.forEach((key, h) => {
      const kn = Math.sqrt(dot(key, key) + KEY_NORM_EPSILON);
      const scored = mem.map((row, n) => {
        const s = dot(row, key) / (Math.sqrt(dot(row, row) + ROW_NORM_FLOOR ** 2) * kn);
        return { n, s, rank: written[b]![n]! > 0 ? s : s - 4 };
      });
      scored.sort((x, y) => y.rank - x.rank || x.n - y.n);
      const kept = scored.slice(0, k);
      const z = kept.map((e) => beta[b]![h]! * e.s);
      const max = Math.max(...z);
      const sum = z.reduce((a, v) => a + Math.exp(v - max), 0);
      indices[b]!.push(kept.map((e) => e.n));
      weights[b]!.push(z.map((v) => Math.exp(v - max) / sum));
    });
  });
  return { indices, weights };
}

describe('contentTopk (SAM sparse content weights)', () => {
  const rng = mulberry32(11);
  const memory = randomT3([2, 12, 5], rng);
  const keys = randomT3([2, 3, 5], rng);
  const beta: Mat = [
    [2, 5, 9],
    [1.5, 3, 7],
  ];
  const written: Mat = [Array.from({ length: 12 }, () => 1), Array.from({ length: 12 }, (_, n) => (n % 3 === 0 ? 0 : 1))];

  it('keeps the same rows, best first, and the same weights as the float64 reference', () => {
    const ref = topkRef(memory, keys, beta, written, 4);
    tf.tidy(() => {
      const out = contentTopk(tf.tensor3d(memory), tf.tensor3d(keys), tf.tensor2d(beta), tf.tensor2d(written), 4, ROW_NORM_FLOOR);
      expect(out.indices.dtype).toBe('int32');
      expect(out.indices.arraySync()).toEqual(ref.indices);
      const w = out.values.arraySync() as T3;
      w.flat(2).forEach((v, i) => expect(v).toBeCloseTo(ref.weights.flat(2)[i]!, 6));
    });
  });

  it('ranks unwritten rows below every written one, and reads them only while fewer than k are written', () => {
    tf.tidy(() => {
      const some = [[...Array.from({ length: 10 }, () => 0), 1, 1]];
      const out = contentTopk(tf.tensor3d([memory[0]!]), tf.tensor3d([keys[0]!]), tf.tensor2d([beta[0]!]), tf.tensor2d(some), 4, ROW_NORM_FLOOR);
      for (const head of out.indices.arraySync() as number[][][]) {
        expect([...head[0]!.slice(0, 2)].sort((a, b) => a - b)).toEqual([10, 11]);
        expect(head[0]!.slice(2).every((n) => n < 10)).toBe(true);
      }
    });
  });

  it('has the gradients of finite differences of the reference w.r.t. memory, keys and strengths', () => {
    checkGradients(
      (m, k, b) => contentTopk(m as tf.Tensor3D, k as tf.Tensor3D, b as tf.Tensor2D, tf.tensor2d(written), 4, ROW_NORM_FLOOR).values,
      (m: T3, k: T3, b: Mat) => topkRef(m, k, b, written, 4).weights,
      [memory, keys, beta] as [T3, T3, Mat],
      { tol: 2e-3 },
    );
  });

  it('leaks no tensor, forward or backward', () => {
    const m = tf.tensor3d(memory);
    const k = tf.tensor3d(keys);
    const b = tf.tensor2d(beta);
    const w = tf.tensor2d(written);
    const before = tf.memory().numTensors;
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.sum(tf.square(contentTopk(x as tf.Tensor3D, y as tf.Tensor3D, z as tf.Tensor2D, w, 4, 0.01).values)),
    )([m, k, b]);
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([m, k, b, w]);
  });
});

describe('samStep (write, content top-k and read in one kernel)', () => {
  it('equals fusedSparseWrite, then contentTopk, then fusedSparseRead: values and gradients (1e-5 relative), rows named twice included', () => {
    const rng = mulberry32(5);
    const memory = tf.tensor3d(randomT3([2, 16, 5], rng));
    // entries 1 and 3 name the same row: the kernels sum them
    const writeIndices = tf.tensor3d([[[3, 7, 3, 0, 12]], [[1, 2, 5, 9, 15]]], undefined, 'int32');
    const writeValues = tf.tensor3d([[[0.2, 0.3, 0.1, 0.05, 0.3]], [[0.4, 0.1, 0.1, 0.2, 0.1]]]);
    const erase = tf.sigmoid(tf.tensor3d(randomT3([2, 1, 5], rng))) as tf.Tensor3D;
    const add = tf.tensor3d(randomT3([2, 1, 5], rng));
    const keys = tf.tensor3d(randomT3([2, 3, 5], rng));
    const strengths = tf.tensor2d([
      [2, 4, 8],
      [1.5, 3, 6],
    ]);
    const written = tf.tensor2d([Array.from({ length: 16 }, (_, n) => (n % 4 === 1 ? 0 : 1)), Array.from({ length: 16 }, () => 1)]);
    const pm = tf.randomNormal([2, 16, 5], 0, 1, 'float32', 1);
    const pw = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 2);
    const pr = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 3);
    const fused = (m: tf.Tensor, v: tf.Tensor, e: tf.Tensor, a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => {
      const o = samStep(
        m as tf.Tensor3D,
        { indices: writeIndices, values: v as tf.Tensor3D },
        e as tf.Tensor3D,
        a as tf.Tensor3D,
        k as tf.Tensor3D,
        b as tf.Tensor2D,
        written,
        4,
        0.01,
      );
      return tf.addN([tf.sum(tf.mul(o.memory, pm)), tf.sum(tf.mul(o.reads.values, pw)), tf.sum(tf.mul(o.readVectors, pr))]);
    };
    const composite = (m: tf.Tensor, v: tf.Tensor, e: tf.Tensor, a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => {
      const next = fusedSparseWrite(m as tf.Tensor3D, { indices: writeIndices, values: v as tf.Tensor3D }, e as tf.Tensor3D, a as tf.Tensor3D);
      const reads = contentTopk(next, k as tf.Tensor3D, b as tf.Tensor2D, written, 4, 0.01);
      return tf.addN([tf.sum(tf.mul(next, pm)), tf.sum(tf.mul(reads.values, pw)), tf.sum(tf.mul(fusedSparseRead(next, reads), pr))]);
    };
    const inputs = [memory, writeValues, erase, add, keys, strengths];
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(
        rel(
          fused(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])),
          composite(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])),
        ),
      ).toBeLessThan(1e-5);
      const a = tf.grads(fused)(inputs);
      const b = tf.grads(composite)(inputs);
      a.forEach((g, i) => expect(rel(g, b[i]!), `gradient of input ${i}`).toBeLessThan(1e-5));
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([memory, writeIndices, writeValues, erase, add, keys, strengths, written, pm, pw, pr]);
  });
});

describe('samControls (interface vector to SAM controls, one kernel)', () => {
  it('equals the clip, the control tables’ activations and the write values as tf ops: values and gradients (1e-5), clipped entries included', () => {
    const [M, R, k, B] = [3, 2, 2, 2];
    const L = headLength(samWriteTable(M)) + R * headLength(samReadTable(M));
    const rng = mulberry32(13);
    const zData = Array.from({ length: B }, () => Array.from({ length: L }, () => (rng() - 0.5) * 8));
    zData[0]![0] = 25; // erase past the clip
    zData[1]![2 * M + 2] = -30; // a key past the clip
    const z = tf.tensor2d(zData);
    const previous = tf.softmax(tf.tensor3d(randomT3([B, R, k], rng))) as tf.Tensor3D;
    const weights = [
      [B, 1, M],
      [B, 1, M],
      [B, R, M],
      [B, R],
      [B, 1, R * k + 1],
    ].map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 20 + i));
    const loss = (outs: tf.Tensor[]) => tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, weights[i]!))));
    const fused = (zz: tf.Tensor, p: tf.Tensor) => {
      const c = samControls(zz as tf.Tensor2D, p as tf.Tensor3D, M, R, k);
      return loss([c.erase, c.vector, c.keys, c.strengths, c.writeValues]);
    };
    const composite = (zz: tf.Tensor, p: tf.Tensor) => {
      const clipped = tf.clipByValue(zz, -INTERFACE_CLIP, INTERFACE_CLIP) as tf.Tensor2D;
      const [zw, zr] = tf.split(clipped, [headLength(samWriteTable(M)), R * headLength(samReadTable(M))], 1) as [tf.Tensor2D, tf.Tensor2D];
      const wc = activateTable(zw, 1, samWriteTable(M));
      const rc = activateTable(zr, R, samReadTable(M));
      const prev = tf.mul(tf.reshape(p, [B, 1, R * k]), tf.div(wc.allocationGate, R));
      const values = tf.mul(wc.writeGate, tf.concat([prev, tf.sub(1, wc.allocationGate)], 2));
      return loss([wc.erase, wc.vector, rc.key, tf.squeeze(rc.strength, [2]), values]);
    };
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(rel(fused(z, previous), composite(z, previous))).toBeLessThan(1e-5);
      const a = tf.grads(fused)([z, previous]);
      const b = tf.grads(composite)([z, previous]);
      a.forEach((g, i) => expect(rel(g, b[i]!), `gradient of input ${i}`).toBeLessThan(1e-5));
      expect((a[0]!.arraySync() as number[][])[0]![0]).toBe(0);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, previous, ...weights]);
  });
});

describe('samStep backward in place', () => {
  it('changes the memory gradient in place only when no other tensor shares it', () => {
    const rng = mulberry32(9);
    const memory = tf.tensor3d(randomT3([1, 10, 4], rng));
    const other = tf.tensor3d(randomT3([1, 10, 4], rng));
    const writes = { indices: tf.tensor3d([[[2, 5]]], undefined, 'int32'), values: tf.tensor3d([[[0.6, 0.3]]]) };
    const erase = tf.fill([1, 1, 4], 0.5) as tf.Tensor3D;
    const add = tf.fill([1, 1, 4], 0.2) as tf.Tensor3D;
    const keys = tf.tensor3d(randomT3([1, 1, 4], rng));
    const strengths = tf.tensor2d([[3]]);
    const written = tf.ones([1, 10]) as tf.Tensor2D;
    const pm = tf.randomNormal([1, 10, 4], 0, 1, 'float32', 4);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      // the add's gradient hands the same data to the new memory and to `other`: the step must not change it
      const [dMemory, dOther] = tf.grads((m: tf.Tensor, o: tf.Tensor) => {
        const step = samStep(m as tf.Tensor3D, writes, erase, add, keys, strengths, written, 3, 0.01);
        return tf.sum(tf.mul(tf.add(step.memory, o), pm));
      })([memory, other]);
      expect(rel(dOther!, pm)).toBe(0);
      const composite = tf.grad((m: tf.Tensor) => tf.sum(tf.mul(fusedSparseWrite(m as tf.Tensor3D, writes, erase, add), pm)))(memory);
      expect(rel(dMemory!, composite)).toBeLessThan(1e-6);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([memory, other, writes.indices, writes.values, erase, add, keys, strengths, written, pm]);
  });
});

/** Runs `f` with the WebAssembly twins switched `on`, then restores the setting. */
function withSimd<T>(on: boolean, f: () => T): T {
  const was = simdKernelsEnabled();
  setSimdKernels(on);
  try {
    return f();
  } finally {
    setSimdKernels(was);
  }
}

describe('the WebAssembly content scan (mirror of the memory, cached row norms)', () => {
  it('keeps the rows the JavaScript loops keep, with the same weights, on memories with unwritten rows and ties', () => {
    const rng = mulberry32(21);
    tf.tidy(() => {
      // rows 20.. are the constant initial memory (ties); the width is not a multiple of 4 (the scalar tail)
      const mem = randomT3([2, 40, 7], rng).map((rows) => rows.map((row, n) => (n >= 20 ? row.map(() => 1e-6) : row)));
      const written = tf.tensor2d([Array.from({ length: 40 }, (_, n) => (n < 20 ? 1 : 0)), Array.from({ length: 40 }, (_, n) => (n < 3 ? 1 : 0))]);
      const args = [
        tf.tensor3d(mem),
        tf.tensor3d(randomT3([2, 3, 7], rng)),
        tf.tensor2d([
          [2, 5, 9],
          [1, 3, 20],
        ]),
        written,
      ] as const;
      const js = withSimd(false, () => contentTopk(...args, 8, ROW_NORM_FLOOR));
      const simd = withSimd(true, () => contentTopk(...args, 8, ROW_NORM_FLOOR));
      expect(simd.indices.arraySync()).toEqual(js.indices.arraySync());
      expect(rel(simd.values, js.values)).toBeLessThan(1e-6);
    });
  });

  it('gives the JavaScript loops’ numbers over a sequence (rows copied in as written), stepping from an older state again, and their gradients (1e-5)', () => {
    const config = { kind: 'sam', slots: 64, width: 6, readHeads: 2, k: 4, controllerSize: 10, seed: 4 } as const;
    const sequence = (access: SamAccess) => {
      const h = tf.randomNormal([2, 10], 0, 1, 'float32', 7) as tf.Tensor2D;
      const p = tf.randomNormal([2, 2, 6], 0, 1, 'float32', 8);
      const { value, grads } = tf.variableGrads(() => {
        let state: SamState = access.initialState(2);
        let total = tf.scalar(0);
        let branch: SamState | undefined;
        for (let t = 0; t < 12; t++) {
          if (t === 6) branch = state;
          const [reads, next] = access.step(tf.mul(h, Math.cos(t)) as tf.Tensor2D, state);
          state = next;
          total = tf.add(total, tf.sum(tf.mul(reads, p)));
        }
        // a step from the state of step 6 again: the mirror holds step 12's memory, not that one
        const [again] = access.step(h, branch!);
        return tf.add(total, tf.sum(tf.mul(again, p))) as tf.Scalar;
      }, access.variables);
      tf.dispose([h, p]);
      return { value, grads };
    };
    const a = new SamAccess(config);
    const before = tf.memory().numTensors;
    const js = withSimd(false, () => sequence(a));
    const simd = withSimd(true, () => sequence(a));
    expect(rel(simd.value, js.value)).toBeLessThan(1e-5);
    for (const name of Object.keys(js.grads)) expect(rel(simd.grads[name]!, js.grads[name]!), name).toBeLessThan(1e-5);
    tf.dispose([js.value, simd.value, ...Object.values(js.grads), ...Object.values(simd.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});

describe('samUsage and samReadState', () => {
  it('names the write rows, decays usage, adds the last reads and this write, marks written rows, names the least-used row (lowest on a tie), and makes dense weights', () => {
    tf.tidy(() => {
      const usage = tf.tensor2d([[0.5, 0, 0.2, 0, 0.1]]);
      const written = tf.tensor2d([[1, 0, 1, 0, 0]]);
      // the last step's reads (row numbers as float32, as the state keeps them) and its least-used row
      const reads = { indices: tf.tensor3d([[[0, 2]]]), values: tf.tensor3d([[[0.25, 0.75]]]) };
      const leastUsed = tf.tensor2d([[1]]);
      // entries: rows 0 and 2 (last read), then row 1 (least used); a zero weight writes nothing
      const writeValues = tf.tensor3d([[[0.1, 0, 0.4]]]);
      const out = samUsage(usage, written, reads, leastUsed, writeValues, 0.5);
      expect(out.writeIndices.dtype).toBe('int32');
      expect(out.writeIndices.arraySync()).toEqual([[[0, 2, 1]]]);
      const u = out.usage.arraySync()[0]!;
      [0.6, 0.4, 0.85, 0, 0.05].forEach((v, i) => expect(u[i]).toBeCloseTo(v, 6));
      expect(out.written.arraySync()).toEqual([[1, 1, 1, 0, 0]]);
      expect(out.leastUsed.arraySync()).toEqual([[3]]);
      const dense = out.writeWeights.arraySync()[0]![0]!;
      [0.1, 0.4, 0, 0, 0].forEach((v, i) => expect(dense[i]).toBeCloseTo(v, 6));
      const state = samReadState({ indices: tf.tensor3d([[[3, 1, 3]]], undefined, 'int32'), values: tf.tensor3d([[[0.5, 0.2, 0.3]]]) }, 5);
      expect(state.rows.dtype).toBe('float32');
      expect(state.rows.arraySync()).toEqual([[[3, 1, 3]]]);
      const r = state.dense.arraySync()[0]![0]!;
      [0, 0.2, 0, 0.8, 0].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 6));
    });
  });
});

describe('SamAccess', () => {
  const config = { kind: 'sam', slots: 40, width: 6, readHeads: 2, k: 4, controllerSize: 10, seed: 3 } as const;

  function run(access: SamAccess, steps: number): { loss: tf.Scalar; grads: Record<string, tf.Tensor>; last: number[][][] } {
    const h = tf.randomNormal([2, 10], 0, 1, 'float32', 1) as tf.Tensor2D;
    const p = tf.randomNormal([2, 2, 6], 0, 1, 'float32', 2);
    let last: number[][][] = [];
    const { value, grads } = tf.variableGrads(() => {
      let state: SamState = access.initialState(2);
      let total = tf.scalar(0);
      for (let t = 0; t < steps; t++) {
        const [reads, next] = access.step(tf.mul(h, (t % 3) + 1) as tf.Tensor2D, state);
        state = next;
        total = tf.add(total, tf.sum(tf.mul(reads, p)));
      }
      last = state.readIndices.arraySync() as number[][][];
      return total as tf.Scalar;
    }, access.variables);
    tf.dispose([h, p]);
    return { loss: value, grads, last };
  }

  it('declares the state tensors it returns, with their shapes', () => {
    const access = new SamAccess(config);
    tf.tidy(() => {
      const s = access.initialState(3) as unknown as Record<string, tf.Tensor>;
      const [, next] = access.step(tf.zeros([3, 10]) as tf.Tensor2D, access.initialState(3));
      for (const spec of memoryStateTensors(config)) {
        expect(s[spec.name]!.shape).toEqual([3, ...spec.shape]);
        expect((next as unknown as Record<string, tf.Tensor>)[spec.name]!.shape).toEqual([3, ...spec.shape]);
      }
    });
    access.dispose();
  });

  it('reaches every control with a gradient through writes read back later, the same numbers twice, no leaked tensor', () => {
    const a = new SamAccess(config);
    const b = makeMemory(config) as SamAccess;
    const before = tf.memory().numTensors;
    const x = run(a, 8);
    const y = run(b, 8);
    expect(x.loss.dataSync()[0]).toBe(y.loss.dataSync()[0]);
    const gx = Object.values(x.grads)[0]!.dataSync();
    const gy = Object.values(y.grads)[0]!.dataSync();
    expect(Array.from(gx)).toEqual(Array.from(gy));
    // every column of the projection (every interface entry: read keys and strengths, erase, write vector, both gates) gets a gradient
    const proj = x.grads[Object.keys(x.grads).find((n) => n.includes('projection') && !n.includes('Bias'))!]!;
    const perColumn = tf.tidy(() => tf.sum(tf.abs(proj), 0).arraySync() as number[]);
    expect(perColumn.length).toBe(a.interfaceSize);
    perColumn.forEach((v, i) => expect(v, `interface entry ${i}`).toBeGreaterThan(0));
    tf.dispose([x.loss, y.loss, ...Object.values(x.grads), ...Object.values(y.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });

  it('names the field and the fix for a bad config', () => {
    const bad = (extra: object, field: RegExp) => expect(() => new SamAccess({ ...config, ...extra } as never)).toThrow(field);
    bad({ k: 41 }, /memory\.k.*use 1 <= k <= 40/);
    bad({ writeHeads: 2 }, /memory\.writeHeads.*one write head/);
    bad({ usageDecay: 0 }, /memory\.usageDecay/);
    bad({ rowNormFloor: 2 }, /memory\.rowNormFloor/);
    expect(() => new SamAccess({ ...config, k: 0 })).toThrow(EngramError);
  });
});
