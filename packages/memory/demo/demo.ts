/**
 * The quick-start job until the experiment runner exists: store random +-1 patterns in a
 * memory through NTM writes, then recall each one by content from a corrupted cue, with every
 * normaliser (softmax, sparsemax, hard) and every fixed similarity. Prints recall accuracy.
 *
 *   pnpm engram [--seed N] [--patterns P] [--noise F]
 */
import * as tf from '@tensorflow/tfjs';
import { EngramError, initBackend, Rng } from '@engram/tensor';
import { attend, cosine, dot, hardmax, scaledDot, softmax, sparsemax, write, type Normalizer, type ScoreFn } from '../src/index.ts';

function option(name: string, fallback: number, check: (v: number) => boolean, fix: string): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!check(v)) throw new EngramError(`--${name}`, `bad value '${process.argv[i + 1] ?? ''}'`, fix);
  return v;
}

async function main(): Promise<void> {
  const seed = option('seed', 1, Number.isInteger, 'use an integer seed');
  const patterns = option('patterns', 48, (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'use 1..64 patterns (memory has 64 slots)');
  const noise = option('noise', 0.2, (v) => v >= 0 && v < 0.5, 'use a fraction of flipped bits in [0, 0.5)');
  const backend = await initBackend();
  const slots = 64;
  const width = 32;
  const rng = new Rng(seed);
  const stored = rng.fill(patterns * width, () => (rng.next() < 0.5 ? -1 : 1));
  const t0 = performance.now();

  // Write: one NTM write per pattern, one-hot weight on slot p, erase everything, add the pattern.
  let memory = tf.fill([1, slots, width], 1e-6) as tf.Tensor3D;
  for (let p = 0; p < patterns; p++) {
    const next = tf.tidy(() => {
      const w = tf.cast(tf.oneHot(tf.tensor1d([p], 'int32'), slots), 'float32').reshape([1, 1, slots]) as tf.Tensor3D;
      const a = tf.tensor(stored.subarray(p * width, (p + 1) * width), [1, 1, width]) as tf.Tensor3D;
      return write(memory, w, tf.ones([1, 1, width]) as tf.Tensor3D, a);
    });
    memory.dispose();
    memory = next;
  }

  // Cues: each pattern with a fraction `noise` of its bits flipped.
  const cues = Float32Array.from(stored, (v) => (rng.next() < noise ? -v : v));
  const query = tf.tensor(cues, [1, patterns, width]) as tf.Tensor3D;
  const scores: [string, ScoreFn][] = [
    ['cosine', cosine],
    ['dot', dot],
    ['scaledDot', scaledDot],
  ];
  const norms: [string, Normalizer, number][] = [
    ['softmax', softmax, 20],
    ['sparsemax', sparsemax, 5],
    ['hard', hardmax, 1],
  ];
  console.log(`engram demo: ${patterns} random +-1 patterns of width ${width} written into a ${slots} x ${width} memory;`);
  console.log(`recall from cues with ${(noise * 100).toFixed(0)}% of bits flipped (seed ${seed}, backend ${backend.name})\n`);
  console.log('similarity  normaliser  beta  exact recalls  bit accuracy  weight on right slot');
  for (const [sName, score] of scores) {
    for (const [nName, normalize, beta] of norms) {
      const { exact, bits, right } = tf.tidy(() => {
        const strength = tf.fill([1, patterns], beta) as tf.Tensor2D;
        const { output, weights } = attend(query, memory, memory, { score, normalize, strength });
        const got = output.sign().dataSync();
        const w = weights.dataSync();
        let exactCount = 0,
          bitCount = 0,
          onRight = 0;
        for (let p = 0; p < patterns; p++) {
          let ok = true;
          for (let j = 0; j < width; j++) {
            const hit = got[p * width + j] === stored[p * width + j];
            bitCount += hit ? 1 : 0;
            ok &&= hit;
          }
          exactCount += ok ? 1 : 0;
          onRight += w[p * slots + p] as number;
        }
        return { exact: exactCount, bits: bitCount / (patterns * width), right: onRight / patterns };
      });
      console.log(
        `${sName.padEnd(11)} ${nName.padEnd(11)} ${String(beta).padEnd(5)} ${`${exact}/${patterns}`.padEnd(14)} ${(bits * 100).toFixed(1).padStart(11)}%  ${right.toFixed(3).padStart(20)}`,
      );
    }
  }
  console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(2)} s. "exact recalls": the sign of the read vector equals the stored pattern.`);
  tf.dispose([memory, query]);
}

main().catch((e: unknown) => {
  process.stderr.write(`engram: ${e instanceof EngramError ? e.message : e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(e instanceof EngramError ? 2 : 1);
});
