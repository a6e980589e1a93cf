import {
  blankExample,
  OptionReader,
  packExamples,
  renderSequence,
  type AlgorithmicTask,
  type Example,
  type Rng,
  type SequenceBatch,
  type TaskDefinition,
} from '@engram/core';
import type * as tf from '@tensorflow/tfjs';

/** Options of the dynamic N-grams task (NTM paper defaults). */
export interface NgramsOptions {
  /** N: each bit depends on the previous N - 1 bits. */
  readonly order: number;
  /** Bits per sequence. */
  readonly length: number;
}

const DEFAULTS: NgramsOptions = { order: 6, length: 200 };

/** A draw from Beta(1/2, 1/2), the arcsine distribution: sin^2(pi u / 2). */
export function betaHalf(rng: Rng): number {
  const s = Math.sin((Math.PI * rng.next()) / 2);
  return s * s;
}

/**
 * A bit sequence from a fresh N-gram table: 2^(N-1) probabilities drawn from Beta(1/2, 1/2);
 * the first N-1 bits are fair coins, then bit i is 1 with the probability of its context
 * (the previous N-1 bits, oldest as the highest bit).
 */
export function ngramBits(order: number, length: number, rng: Rng): { bits: Uint8Array; table: Float64Array } {
  const table = new Float64Array(2 ** (order - 1));
  for (let c = 0; c < table.length; c++) table[c] = betaHalf(rng);
  const bits = new Uint8Array(length);
  const mask = table.length - 1;
  let context = 0;
  for (let i = 0; i < length; i++) {
    const p = i < order - 1 ? 0.5 : (table[context] as number);
    const bit = rng.next() < p ? 1 : 0;
    bits[i] = bit;
    context = ((context << 1) | bit) & mask;
  }
  return { bits, table };
}

/**
 * The optimal Bayesian estimator of each next bit under a Beta(1/2, 1/2) prior per context:
 * P(bit i = 1) = (N1 + 1/2) / (N1 + N0 + 1), with N1, N0 the times its context was followed by
 * 1 and 0 earlier in the sequence. Entries before the first full context (i < N-1) are 0.5.
 * @returns `[length]` probabilities that bit i is 1.
 */
export function optimalPredictions(bits: ArrayLike<number>, order: number): Float64Array {
  const contexts = 2 ** (order - 1);
  const ones = new Float64Array(contexts);
  const zeros = new Float64Array(contexts);
  const p = new Float64Array(bits.length).fill(0.5);
  let context = 0;
  for (let i = 0; i < bits.length; i++) {
    if (i >= order - 1) {
      p[i] = ((ones[context] as number) + 0.5) / ((ones[context] as number) + (zeros[context] as number) + 1);
      if (bits[i]) ones[context] = (ones[context] as number) + 1;
      else zeros[context] = (zeros[context] as number) + 1;
    }
    context = ((context << 1) | (bits[i] ? 1 : 0)) & (contexts - 1);
  }
  return p;
}

/**
 * One N-grams sequence: input bit i at step i (1 channel), target bit i + 1 (1 channel).
 * Steps whose target has a full context (i + 1 >= N - 1) are scored. T = length - 1.
 */
export function ngramExample(o: NgramsOptions, rng: Rng): Example {
  const { bits } = ngramBits(o.order, o.length, rng);
  const e = blankExample(o.length - 1, 1, 1);
  for (let t = 0; t < o.length - 1; t++) {
    e.inputs[t] = bits[t] as number;
    e.targets[t] = bits[t + 1] as number;
    e.mask[t] = t + 1 >= o.order - 1 ? 1 : 0;
  }
  return e;
}

/** -log2 of the probability a logit gives to a bit, computed stably. */
function bitsOf(logit: number, bit: number): number {
  const z = bit ? logit : -logit; // log p = -softplus(-z)
  return (Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / Math.LN2;
}

/** The cross-entropy in bits per sequence of the model's predictions (logits) on the scored steps. */
export function modelCrossEntropy(logits: tf.Tensor3D, batch: SequenceBatch): number {
  const [steps, b] = logits.shape;
  const z = logits.dataSync();
  const y = batch.targets.dataSync();
  const m = batch.mask.dataSync();
  let sum = 0;
  for (let i = 0; i < steps * b; i++) if (m[i]) sum += bitsOf(z[i] as number, y[i] as number);
  return sum / b;
}

/** The optimal Bayesian estimator's cross-entropy in bits per sequence on the same scored steps. */
export function optimalCrossEntropy(batch: SequenceBatch, order: number): number {
  const [steps, b] = batch.inputs.shape;
  const x = batch.inputs.dataSync();
  const y = batch.targets.dataSync();
  const m = batch.mask.dataSync();
  let sum = 0;
  for (let j = 0; j < b; j++) {
    const bits = new Uint8Array(steps + 1);
    for (let t = 0; t < steps; t++) bits[t] = x[t * b + j] as number;
    bits[steps] = y[(steps - 1) * b + j] as number;
    const p = optimalPredictions(bits, order);
    for (let t = 0; t < steps; t++) {
      if (!m[t * b + j]) continue;
      const q = p[t + 1] as number;
      sum -= Math.log2(y[t * b + j] ? q : 1 - q);
    }
  }
  return sum / b;
}

/** The N-grams task with its optimal estimator. */
export interface NgramsTask extends AlgorithmicTask<NgramsOptions> {
  /** The optimal Bayesian estimator's cost (bits per sequence) on a batch: the floor a model can reach. */
  optimalCost(batch: SequenceBatch): number;
}

/** The ngrams definition: its tasks also compute the optimal estimator's cost. */
export interface NgramsDefinition extends TaskDefinition<NgramsOptions> {
  make(options?: Readonly<Record<string, unknown>>): NgramsTask;
}

function make(options: Readonly<Record<string, unknown>> = {}): NgramsTask {
  const r = new OptionReader('ngrams', DEFAULTS, options);
  const order = r.int('order', 2, 20);
  const o: NgramsOptions = { order, length: r.int('length', order + 1) };
  return {
    name: 'ngrams',
    options: o,
    inputSize: 1,
    outputSize: 1,
    sample: (batch, rng) =>
      packExamples(
        Array.from({ length: batch }, () => ngramExample(o, rng)),
        1,
        1,
      ),
    cost: modelCrossEntropy,
    optimalCost: (batch) => optimalCrossEntropy(batch, o.order),
    render: (batch, index, logits) => renderSequence(batch, index, logits, { inputs: ['bit'], outputs: ['next'] }),
  };
}

/**
 * Dynamic N-grams (Graves et al. 2014, section 4.4): predict each next bit of a sequence drawn
 * from a random N-gram table. The cost is the cross-entropy in bits per sequence; the optimal
 * Bayesian estimator's cross-entropy on the same sequences is the floor.
 */
export const ngrams: NgramsDefinition = {
  name: 'ngrams',
  description: 'predict the next bit of a sequence from a random 6-gram table; cost in bits against the optimal Bayesian estimator',
  defaults: DEFAULTS,
  make,
  lengthOption: 'length',
  atLength: (o, length) => ({ ...o, length }),
  withMaxLength: (o, length) => ({ ...o, length }),
  maxLength: (o) => o.length,
  minLength: (o) => o.length,
};
