/**
 * The fused kernels one by one against the composite reference ops (values and gradients of a
 * random linear functional, to 1e-5 relative) and against central differences of the float64
 * oracle (test/reference/ntm64.ts); degenerate inputs (all-zero memory, zero keys).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateControls, controlTable, ntmAddress, read, softmax, sparsemax, write, cosine, cosineWithFloor, INTERFACE_CLIP } from '../src/index.ts';
import {
  fusedAddress,
  fusedAddressRead,
  fusedAddressWrite,
  fusedControls,
  fusedRead,
  fusedWrite,
  setSimdKernels,
  simdKernelsActive,
} from '../src/ntm/fused/index.ts';
import { fusedContentWeights } from '../src/dnc/fused/contentKernel.ts';
import * as ref from './reference/ntm64.ts';
import { allFinite, checkGradients, compare, mulberry32, randomNested, randomT3, softmaxRows, type Mat, type T3 } from './helpers.ts';

/** Random addressing inputs in their valid ranges (prev and shift are distributions). */
function addressInputs(B: number, H: number, N: number, M: number, S: number, seed: number, scale = 1): tf.Tensor[] {
  const rng = mulberry32(seed);
  const memory = randomT3([B, N, M], rng, scale);
  const key = randomT3([B, H, M], rng);
  const beta = randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 3 + 3 * x));
  const gate = randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 0.5 + 0.45 * x));
  const shift = softmaxRows(randomT3([B, H, 2 * S + 1], rng, 2));
  const gamma = randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 2 + x));
  const prev = softmaxRows(randomT3([B, H, N], rng, 2));
  return [tf.tensor3d(memory), tf.tensor3d(key), tf.tensor2d(beta), tf.tensor2d(gate), tf.tensor3d(shift), tf.tensor2d(gamma), tf.tensor3d(prev)];
}

/** The seven addressing inputs (memory, key, beta, gate, shift, gamma, prev) with their ranks. */
const addressArgs = (x: tf.Tensor[]) =>
  [x[0] as tf.Tensor3D, x[1] as tf.Tensor3D, x[2] as tf.Tensor2D, x[3] as tf.Tensor2D, x[4] as tf.Tensor3D, x[5] as tf.Tensor2D, x[6] as tf.Tensor3D] as const;
const composite =
  (normalize: typeof softmax, score = cosine) =>
  (...x: tf.Tensor[]) =>
    ntmAddress(...addressArgs(x), score, normalize);
const fused =
  (normalize: 'softmax' | 'sparsemax', rowNormFloor?: number) =>
  (...x: tf.Tensor[]) =>
    fusedAddress(...addressArgs(x), normalize, rowNormFloor);

// every kernel test runs twice: on the WebAssembly SIMD twins (the default) and on the JavaScript loops
for (const simd of [true, false])
  describe(simd ? 'on the WebAssembly SIMD twins' : 'on the JavaScript loops (setSimdKernels(false))', () => {
    beforeAll(() => setSimdKernels(simd));
    afterAll(() => setSimdKernels(true));
    it(simd ? 'the SIMD twins are active' : 'the SIMD twins are off', () => expect(simdKernelsActive()).toBe(simd));

    describe('fused addressing equals ntmAddress (values and gradients, 1e-5 relative)', () => {
      for (const B of [1, 3]) {
        for (const H of [1, 2]) {
          for (const S of [0, 1, 2]) {
            it(`softmax, B=${B}, H=${H}, S=${S}`, () => {
              const inputs = addressInputs(B, H, 11, 5, S, 100 * B + 10 * H + S);
              const r = compare(fused('softmax'), composite(softmax), inputs, 7 + S);
              expect(r.value).toBeLessThan(1e-5);
              r.grads.forEach((e, i) => {
                // With one shift (S = 0) the distribution is [1] and sharpening is scale-invariant, so
                // d/dshift is EPSILON-level rounding noise in both paths: compare it in absolute terms.
                if (S === 0 && i === 4) expect(r.absGrads[i], 'gradient of the shift').toBeLessThan(1e-5);
                else expect(e, `gradient of input ${i}`).toBeLessThan(1e-5);
              });
              tf.dispose(inputs);
            });
          }
        }
      }
      for (const H of [1, 2]) {
        it(`sparsemax, B=3, H=${H}, S=1`, () => {
          // larger beta so sparsemax has a support of a few slots
          const inputs = addressInputs(3, H, 11, 5, 1, 900 + H);
          const beta = tf.mul(inputs[2] as tf.Tensor, 2);
          inputs[2]!.dispose();
          inputs[2] = beta;
          const r = compare(fused('sparsemax'), composite(sparsemax), inputs, 11);
          expect(r.value).toBeLessThan(1e-5);
          r.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
          tf.dispose(inputs);
        });
      }
    });

    describe('fused group kernels equal the composite address-then-write and address-then-read (values and gradients, 1e-5 relative)', () => {
      for (const [B, H, S, normalize] of [
        [1, 1, 1, 'softmax'],
        [3, 2, 2, 'softmax'],
        [3, 2, 0, 'softmax'],
        [2, 2, 1, 'sparsemax'],
        // shifts -8..8 over 19 slots: the wide range of the priority-sort study's shift8 variant
        [2, 2, 8, 'softmax'],
      ] as const) {
        const N = Math.max(11, 2 * S + 3);
        it(`address + write, B=${B}, W=${H}, S=${S}, N=${N}, ${normalize}`, () => {
          const inputs = addressInputs(B, H, N, 5, S, 500 + 10 * B + H + S);
          const rng = mulberry32(600 + B);
          inputs.push(tf.tensor3d(randomT3([B, H, 5], rng).map((x) => x.map((r) => r.map((v) => 0.5 + 0.45 * v)))), tf.tensor3d(randomT3([B, H, 5], rng)));
          const norm = normalize === 'sparsemax' ? sparsemax : softmax;
          const f = (...x: tf.Tensor[]) => {
            const r = fusedAddressWrite(
              x[0] as tf.Tensor3D,
              x[1] as tf.Tensor3D,
              x[2] as tf.Tensor2D,
              x[3] as tf.Tensor2D,
              x[4] as tf.Tensor3D,
              x[5] as tf.Tensor2D,
              x[6] as tf.Tensor3D,
              x[7] as tf.Tensor3D,
              x[8] as tf.Tensor3D,
              normalize,
            );
            return tf.concat([tf.reshape(r.weights, [-1]), tf.reshape(r.memory, [-1])]);
          };
          const g = (...x: tf.Tensor[]) => {
            const w = composite(norm)(...x.slice(0, 7)) as tf.Tensor3D;
            return tf.concat([tf.reshape(w, [-1]), tf.reshape(write(x[0] as tf.Tensor3D, w, x[7] as tf.Tensor3D, x[8] as tf.Tensor3D), [-1])]);
          };
          const r = compare(f, g, inputs, 21);
          expect(r.value).toBeLessThan(1e-5);
          r.grads.forEach((e, i) => {
            if (S === 0 && i === 4) expect(r.absGrads[i], 'gradient of the shift').toBeLessThan(1e-5);
            // Spread over 17 shifts, d/dgamma is small (|g| ~ 0.02 here): both paths sit ~2e-7 from
            // each other, float32 rounding, which is 1e-5 of it; the float64 check below covers S = 8.
            else if (S === 8 && i === 5) expect(r.absGrads[i], 'gradient of gamma').toBeLessThan(1e-6);
            else expect(e, `gradient of input ${i}`).toBeLessThan(1e-5);
          });
          tf.dispose(inputs);
        });
        it(`address + read, B=${B}, R=${H}, S=${S}, N=${N}, ${normalize}`, () => {
          const inputs = addressInputs(B, H, N, 5, S, 700 + 10 * B + H + S);
          const norm = normalize === 'sparsemax' ? sparsemax : softmax;
          const f = (...x: tf.Tensor[]) => {
            const r = fusedAddressRead(
              x[0] as tf.Tensor3D,
              x[1] as tf.Tensor3D,
              x[2] as tf.Tensor2D,
              x[3] as tf.Tensor2D,
              x[4] as tf.Tensor3D,
              x[5] as tf.Tensor2D,
              x[6] as tf.Tensor3D,
              normalize,
            );
            return tf.concat([tf.reshape(r.weights, [-1]), tf.reshape(r.reads, [-1])]);
          };
          const g = (...x: tf.Tensor[]) => {
            const w = composite(norm)(...x) as tf.Tensor3D;
            return tf.concat([tf.reshape(w, [-1]), tf.reshape(read(x[0] as tf.Tensor3D, w), [-1])]);
          };
          const r = compare(f, g, inputs, 22);
          expect(r.value).toBeLessThan(1e-5);
          r.grads.forEach((e, i) => {
            if (S === 0 && i === 4) expect(r.absGrads[i], 'gradient of the shift').toBeLessThan(1e-5);
            else expect(e, `gradient of input ${i}`).toBeLessThan(1e-5);
          });
          tf.dispose(inputs);
        });
      }
    });

    describe('fused write equals write (values and gradients, 1e-5 relative)', () => {
      for (const B of [1, 3]) {
        for (const W of [1, 2, 3]) {
          it(`B=${B}, W=${W}`, () => {
            const rng = mulberry32(50 + 10 * B + W);
            const N = 9;
            const M = 4;
            const inputs = [
              tf.tensor3d(randomT3([B, N, M], rng)),
              tf.tensor3d(softmaxRows(randomT3([B, W, N], rng, 3))),
              tf.tensor3d(randomT3([B, W, M], rng).map((x) => x.map((r) => r.map((v) => 0.5 + 0.5 * v)))),
              tf.tensor3d(randomT3([B, W, M], rng)),
            ];
            const r = compare(
              (...x) => fusedWrite(x[0] as tf.Tensor3D, x[1] as tf.Tensor3D, x[2] as tf.Tensor3D, x[3] as tf.Tensor3D),
              (...x) => write(x[0] as tf.Tensor3D, x[1] as tf.Tensor3D, x[2] as tf.Tensor3D, x[3] as tf.Tensor3D),
              inputs,
              3,
            );
            expect(r.value).toBeLessThan(1e-5);
            r.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
            tf.dispose(inputs);
          });
        }
      }
    });

    describe('fused read equals read (values and gradients, 1e-5 relative)', () => {
      for (const B of [1, 3]) {
        for (const R of [1, 2]) {
          it(`B=${B}, R=${R}`, () => {
            const rng = mulberry32(70 + 10 * B + R);
            const inputs = [tf.tensor3d(randomT3([B, 9, 4], rng)), tf.tensor3d(softmaxRows(randomT3([B, R, 9], rng, 3)))];
            const r = compare(
              (...x) => fusedRead(x[0] as tf.Tensor3D, x[1] as tf.Tensor3D),
              (...x) => read(x[0] as tf.Tensor3D, x[1] as tf.Tensor3D),
              inputs,
              4,
            );
            expect(r.value).toBeLessThan(1e-5);
            r.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
            tf.dispose(inputs);
          });
        }
      }
    });

    describe('fused controls equal clipByValue + activateControls (values and gradients, 1e-5 relative)', () => {
      // clip 2 acts on about half of the entries (z ~ 3 N(0,1) + bias), INTERFACE_CLIP (20) on none
      for (const [W, R, S, clip] of [
        [1, 1, 1, INTERFACE_CLIP],
        [2, 1, 0, INTERFACE_CLIP],
        [1, 2, 2, INTERFACE_CLIP],
        [0, 2, 1, INTERFACE_CLIP],
        [2, 0, 1, INTERFACE_CLIP],
        [1, 1, 1, 2],
        [2, 2, 2, 2],
      ] as const) {
        it(`W=${W}, R=${R}, S=${S}, clip ${clip}`, () => {
          const M = 3;
          const B = 2;
          const wLen = 3 * M + 2 * S + 4;
          const rLen = M + 2 * S + 4;
          const L = W * wLen + R * rLen;
          const rng = mulberry32(W * 9 + R * 3 + S);
          const z = tf.tensor2d(randomNested<Mat>([B, L], rng, 3));
          const bias = tf.tensor1d(randomNested<number[]>([L], rng, 1));
          const flatten = (c: Record<string, tf.Tensor | undefined>) =>
            tf.concat(
              ['key', 'beta', 'gate', 'shift', 'gamma', 'erase', 'add'].flatMap((k) => (c[k] ? [tf.reshape(c[k] as tf.Tensor, [B, -1])] : [])),
              1,
            );
          const f = (x: tf.Tensor, b: tf.Tensor) => {
            const c = fusedControls(x as tf.Tensor2D, M, S, W, R, b as tf.Tensor1D, clip);
            return tf.concat([...(c.write ? [flatten(c.write as never)] : []), ...(c.read ? [flatten(c.read as never)] : [])], 1);
          };
          const g = (x: tf.Tensor, b: tf.Tensor) => {
            const [zw, zr] = tf.split(tf.clipByValue(tf.add(x, b), -clip, clip), [W * wLen, R * rLen], 1) as [tf.Tensor2D, tf.Tensor2D];
            const parts: tf.Tensor[] = [];
            if (W > 0) parts.push(flatten(activateControls(zw, W, controlTable(M, S, true)) as never));
            if (R > 0) parts.push(flatten(activateControls(zr, R, controlTable(M, S, false)) as never));
            return tf.concat(parts, 1);
          };
          const r = compare(f as never, g as never, [z, bias], 5);
          expect(r.value).toBeLessThan(1e-5);
          expect(r.grads[0], 'gradient of z').toBeLessThan(1e-5);
          expect(r.grads[1], 'gradient of the bias').toBeLessThan(1e-5);
          bias.dispose();
          z.dispose();
        });
      }
    });

    describe('memory.rowNormFloor: another floor than the default reaches every kernel path', () => {
      // rows of norm ~0.1-0.3, where a floor of 0.5 changes the scores a lot
      const FLOOR = 0.5;
      it('fused addressing equals ntmAddress with cosineWithFloor (values and gradients, 1e-5), and differs from the default floor', () => {
        const inputs = addressInputs(2, 2, 11, 5, 1, 4242, 0.1);
        const r = compare(fused('softmax', FLOOR), composite(softmax, cosineWithFloor(FLOOR)), inputs, 5);
        expect(r.value).toBeLessThan(1e-5);
        r.grads.forEach((e, i) => expect(e, `gradient of input ${i}`).toBeLessThan(1e-5));
        const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(fused('softmax', FLOOR)(...inputs), fused('softmax')(...inputs)))).dataSync()[0] as number);
        expect(moved).toBeGreaterThan(1e-3);
        tf.dispose(inputs);
      });
      it('the group kernels (address + write, address + read) equal the composite with the same floor', () => {
        const inputs = addressInputs(2, 2, 11, 5, 1, 4343, 0.1);
        const rng = mulberry32(4444);
        const erase = tf.tensor3d(randomT3([2, 2, 5], rng).map((x) => x.map((r) => r.map((v) => 0.5 + 0.45 * v))));
        const add = tf.tensor3d(randomT3([2, 2, 5], rng));
        const score = cosineWithFloor(FLOOR);
        const w = compare(
          (...x) => {
            const r = fusedAddressWrite(...addressArgs(x), x[7] as tf.Tensor3D, x[8] as tf.Tensor3D, 'softmax', FLOOR);
            return tf.concat([tf.reshape(r.weights, [-1]), tf.reshape(r.memory, [-1])]);
          },
          (...x) => {
            const ww = composite(softmax, score)(...x.slice(0, 7));
            return tf.concat([tf.reshape(ww, [-1]), tf.reshape(write(x[0] as tf.Tensor3D, ww, x[7] as tf.Tensor3D, x[8] as tf.Tensor3D), [-1])]);
          },
          [...inputs, erase, add],
          6,
        );
        const r = compare(
          (...x) => {
            const o = fusedAddressRead(...addressArgs(x), 'softmax', FLOOR);
            return tf.concat([tf.reshape(o.weights, [-1]), tf.reshape(o.reads, [-1])]);
          },
          (...x) => {
            const rw = composite(softmax, score)(...x.slice(0, 7));
            return tf.concat([tf.reshape(rw, [-1]), tf.reshape(read(x[0] as tf.Tensor3D, rw), [-1])]);
          },
          inputs,
          7,
        );
        for (const [name, c] of [
          ['address + write', w],
          ['address + read', r],
        ] as const) {
          expect(c.value, name).toBeLessThan(1e-5);
          c.grads.forEach((e, i) => expect(e, `${name}: gradient of input ${i}`).toBeLessThan(1e-5));
        }
        tf.dispose([...inputs, erase, add]);
      });
      it('fused addressing backward matches central differences of the float64 reference at that floor', () => {
        const rng = mulberry32(4545);
        const B = 2;
        const H = 2;
        const N = 7;
        const M = 4;
        const inputs = [
          randomT3([B, N, M], rng, 0.2),
          randomT3([B, H, M], rng),
          randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 2 + x)),
          randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 0.5 + 0.4 * x)),
          softmaxRows(randomT3([B, H, 3], rng, 2)),
          randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 1.5 + 0.5 * x)),
          softmaxRows(randomT3([B, H, N], rng, 2)),
        ] as [T3, T3, Mat, Mat, T3, Mat, T3];
        checkGradients(fused('softmax', FLOOR), (m, k, b, g, s, y, p) => ref.ntmAddress(m, k, b, g, s, y, p, FLOOR), inputs);
      });
      it("the DNC's content kernel keeps the default floor after an NTM kernel ran with another", () => {
        if (!simd) return; // the DNC content kernel runs only on the twins
        const inputs = addressInputs(2, 2, 11, 5, 1, 4646, 0.1);
        const before = tf.tidy(() => fusedContentWeights(inputs[0] as tf.Tensor3D, inputs[1] as tf.Tensor3D, inputs[2] as tf.Tensor2D).arraySync());
        tf.tidy(() => fused('softmax', FLOOR)(...inputs).dataSync());
        const after = tf.tidy(() => fusedContentWeights(inputs[0] as tf.Tensor3D, inputs[1] as tf.Tensor3D, inputs[2] as tf.Tensor2D).arraySync());
        expect(after).toEqual(before);
        tf.dispose(inputs);
      });
    });

    describe('fused backward against central differences of the float64 reference', () => {
      for (const [H, S] of [
        [1, 1],
        [2, 2],
        [2, 0],
        [2, 8],
      ] as const) {
        const N = Math.max(7, 2 * S + 3);
        it(`addressing, B=2, H=${H}, S=${S}, N=${N}: every input`, () => {
          const rng = mulberry32(300 + H * 10 + S);
          const B = 2;
          const M = 4;
          const inputs = [
            randomT3([B, N, M], rng),
            randomT3([B, H, M], rng),
            randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 2 + x)),
            randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 0.5 + 0.4 * x)),
            softmaxRows(randomT3([B, H, 2 * S + 1], rng, 2)),
            randomNested<Mat>([B, H], rng).map((r) => r.map((x) => 1.5 + 0.5 * x)),
            softmaxRows(randomT3([B, H, N], rng, 2)),
          ] as [T3, T3, Mat, Mat, T3, Mat, T3];
          checkGradients(fused('softmax'), (m, k, b, g, s, y, p) => ref.ntmAddress(m, k, b, g, s, y, p), inputs, { allowZero: S === 0 ? [4] : [] });
        });
      }
      it('read, B=2, R=2: every input', () => {
        const rng = mulberry32(78);
        const inputs = [randomT3([2, 6, 3], rng), softmaxRows(randomT3([2, 2, 6], rng, 2))] as [T3, T3];
        checkGradients(
          (...x) => fusedRead(x[0] as tf.Tensor3D, x[1] as tf.Tensor3D),
          (m, w) => ref.read(m, w),
          inputs,
        );
      });
      it('write, B=2, W=2: every input', () => {
        const rng = mulberry32(77);
        const inputs = [
          randomT3([2, 6, 3], rng),
          softmaxRows(randomT3([2, 2, 6], rng, 2)),
          randomT3([2, 2, 3], rng).map((x) => x.map((r) => r.map((v) => 0.5 + 0.4 * v))),
          randomT3([2, 2, 3], rng),
        ] as [T3, T3, T3, T3];
        checkGradients(
          (...x) => fusedWrite(x[0] as tf.Tensor3D, x[1] as tf.Tensor3D, x[2] as tf.Tensor3D, x[3] as tf.Tensor3D),
          (m, w, e, a) => ref.write(m, w, e, a),
          inputs,
        );
      });
    });

    describe('degenerate inputs', () => {
      for (const normalize of ['softmax', 'sparsemax'] as const) {
        it(`${normalize}: all-zero memory and zero keys give finite weights and gradients`, () => {
          tf.tidy(() => {
            const [B, H, N, M] = [2, 2, 8, 4];
            const inputs = [
              tf.zeros([B, N, M]),
              tf.zeros([B, H, M]),
              tf.fill([B, H], 5),
              tf.fill([B, H], 0.5),
              tf.tensor3d(softmaxRows(randomT3([B, H, 3], mulberry32(1)))),
              tf.fill([B, H], 30),
              tf.fill([B, H, N], 1 / N),
            ];
            const f = fused(normalize);
            const w = f(...inputs);
            expect(allFinite(w)).toBe(true);
            const sums = tf.sum(w, -1).dataSync();
            for (const s of sums) expect(s).toBeCloseTo(1, 5);
            const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), tf.range(0, B * H * N).reshape([B, H, N]))))(inputs);
            for (const g of grads) expect(allFinite(g)).toBe(true);
            const mem = tf.grads((m: tf.Tensor) => tf.sum(fusedWrite(m as tf.Tensor3D, w, tf.zeros([B, H, M]), tf.zeros([B, H, M]))))([inputs[0] as tf.Tensor]);
            expect(allFinite(mem[0] as tf.Tensor)).toBe(true);
          });
        });
      }
    });
  });
