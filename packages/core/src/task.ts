import * as tf from '@tensorflow/tfjs';
import { EngramError } from './errors.ts';
import type { Rng } from './random.ts';

/**
 * One batch of a sequence task, time-major. Positions where `mask` is 0 are padding or
 * input-only steps: they cost nothing and are not scored.
 */
export interface SequenceBatch {
  /** `[T, B, X]` */
  readonly inputs: tf.Tensor3D;
  /** `[T, B, Y]` in {0, 1} (or probabilities, for ngrams). */
  readonly targets: tf.Tensor3D;
  /** `[T, B]` 1 where the output is scored. */
  readonly mask: tf.Tensor2D;
}

/** What the training loop needs from a task: sizes and a seeded batch generator. */
export interface SequenceTask {
  readonly name: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** A fresh batch; all randomness from `rng`, so the same generator state gives the same batch. */
  sample(batch: number, rng: Rng): SequenceBatch;
}

/**
 * An algorithmic task as the runner uses it: a {@link SequenceTask} with its resolved options,
 * its own cost and a text rendering of an example.
 */
export interface AlgorithmicTask<O extends object = Record<string, unknown>> extends SequenceTask {
  /** Every option, defaults filled in. */
  readonly options: Readonly<O>;
  /**
   * The task's cost in bits per sequence, averaged over the batch (a plain number).
   * @param logits `[T, B, Y]` the model's outputs before the sigmoid.
   */
  cost(logits: tf.Tensor3D, batch: SequenceBatch): number;
  /**
   * A readable text picture of sequence `index` of a batch: inputs, targets and (when given)
   * the thresholded outputs, one row per channel, time left to right.
   */
  render(batch: SequenceBatch, index: number, logits?: tf.Tensor3D): string;
}

/**
 * A task package's entry point: makes tasks from options and says what "length" means for it,
 * for curricula (the maximum grows as the cost falls) and generalisation tests.
 */
export interface TaskDefinition<O extends object = Record<string, unknown>> {
  readonly name: string;
  /** One line for `engram list` and help. */
  readonly description: string;
  /** The reference (NTM paper) settings. */
  readonly defaults: Readonly<O>;
  /** Validates `options` (unknown fields and bad values are EngramErrors naming `task.options.<field>`) and makes the task. */
  make(options?: Readonly<Record<string, unknown>>): AlgorithmicTask<O>;
  /** The option that "length" means for this task (copy: vectors; recall: items), for tables. */
  readonly lengthOption: string;
  /** Options for sequences of exactly length L (generalisation tests). */
  atLength(options: Readonly<O>, length: number): O;
  /** Options with the largest length set to L (curricula); the smallest is lowered to L if needed. */
  withMaxLength(options: Readonly<O>, length: number): O;
  /** The largest length the options allow. */
  maxLength(options: Readonly<O>): number;
  /** The smallest length the options allow. */
  minLength(options: Readonly<O>): number;
  /**
   * Options every sequence of one training batch shares (`train.lengths: 'per-batch'`), drawn
   * from `rng` so that no batch pads its shorter sequences. Without it the runner draws the
   * length alone (`atLength`); repeat copy also draws the repeat count, whose spread in a batch
   * costs as many padding steps as the length's.
   */
  perBatch?(options: Readonly<O>, rng: Rng): O;
}

/**
 * The length functions of a task whose length is a range of two integer options (copy:
 * minLength..maxLength; recall: minItems..maxItems).
 */
export function lengthRange<O extends object>(
  minKey: keyof O & string,
  maxKey: keyof O & string,
): Pick<TaskDefinition<O>, 'atLength' | 'withMaxLength' | 'maxLength' | 'minLength'> {
  const get = (o: Readonly<O>, k: keyof O) => o[k] as unknown as number;
  return {
    atLength: (o, length) => ({ ...o, [minKey]: length, [maxKey]: length }),
    withMaxLength: (o, length) => ({ ...o, [maxKey]: length, [minKey]: Math.min(get(o, minKey), length) }),
    maxLength: (o) => get(o, maxKey),
    minLength: (o) => get(o, minKey),
  };
}

/** One sequence of a task, before padding: flat time-major rows. */
export interface Example {
  /** Time steps of this sequence. */
  readonly steps: number;
  /** `[steps * X]` */
  readonly inputs: Float32Array;
  /** `[steps * Y]` */
  readonly targets: Float32Array;
  /** `[steps]` 1 where the output is scored. */
  readonly mask: Float32Array;
}

/** A zeroed example of `steps` time steps, to be filled in by a generator. */
export function blankExample(steps: number, inputSize: number, outputSize: number): Example {
  return {
    steps,
    inputs: new Float32Array(steps * inputSize),
    targets: new Float32Array(steps * outputSize),
    mask: new Float32Array(steps),
  };
}

/**
 * Pads examples to the longest one (zeros, mask 0) and stacks them time-major.
 * @returns inputs `[T, B, X]`, targets `[T, B, Y]`, mask `[T, B]` with T = the longest example.
 */
export function packExamples(examples: readonly Example[], inputSize: number, outputSize: number): SequenceBatch {
  if (!examples.length) throw new EngramError('batch', 'no examples to pack', 'ask for a batch size >= 1');
  const batch = examples.length;
  const steps = Math.max(...examples.map((e) => e.steps));
  const x = new Float32Array(steps * batch * inputSize);
  const y = new Float32Array(steps * batch * outputSize);
  const m = new Float32Array(steps * batch);
  examples.forEach((e, b) => {
    for (let t = 0; t < e.steps; t++) {
      x.set(e.inputs.subarray(t * inputSize, (t + 1) * inputSize), (t * batch + b) * inputSize);
      y.set(e.targets.subarray(t * outputSize, (t + 1) * outputSize), (t * batch + b) * outputSize);
      m[t * batch + b] = e.mask[t] as number;
    }
  });
  return {
    inputs: tf.tensor3d(x, [steps, batch, inputSize]),
    targets: tf.tensor3d(y, [steps, batch, outputSize]),
    mask: tf.tensor2d(m, [steps, batch]),
  };
}

/** The NTM papers' cost on plain arrays: outputs thresholded at logit 0, wrong scored bits summed per sequence, averaged. */
export function thresholdCost(logits: tf.Tensor3D, batch: SequenceBatch): number {
  const [steps, b, y] = logits.shape;
  const z = logits.dataSync();
  const t = batch.targets.dataSync();
  const m = batch.mask.dataSync();
  let wrong = 0;
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < b; i++) {
      if (!m[s * b + i]) continue;
      const base = (s * b + i) * y;
      for (let j = 0; j < y; j++) if ((z[base + j] as number) > 0 !== (t[base + j] as number) > 0.5) wrong++;
    }
  }
  return wrong / b;
}

/**
 * Renders one sequence of a batch as text: a block per tensor (inputs, targets, outputs),
 * one row per channel, one column per time step; `#` is 1 (or > 0.5), `.` is 0, `-` a
 * step that is not scored (targets and outputs only), other values as a digit 0-9 of tenths.
 */
export function renderSequence(
  batch: SequenceBatch,
  index: number,
  logits?: tf.Tensor3D,
  labels: { inputs?: readonly string[]; outputs?: readonly string[] } = {},
): string {
  const [steps, b, xs] = batch.inputs.shape;
  const ys = batch.targets.shape[2];
  if (!Number.isInteger(index) || index < 0 || index >= b) {
    throw new EngramError('render(index)', `${index} is outside the batch of ${b}`, `use 0..${b - 1}`);
  }
  const x = batch.inputs.dataSync();
  const t = batch.targets.dataSync();
  const m = batch.mask.dataSync();
  const z = logits?.dataSync();
  const cell = (v: number) => (v === 0 ? '.' : v === 1 ? '#' : String(Math.min(9, Math.max(0, Math.floor(v * 10)))));
  const block = (title: string, width: number, value: (s: number, j: number) => number, scoredOnly: boolean, names?: readonly string[]) => {
    const lines = [title];
    for (let j = 0; j < width; j++) {
      let row = '';
      for (let s = 0; s < steps; s++) row += scoredOnly && !m[s * b + index] ? '-' : cell(value(s, j));
      lines.push(`  ${(names?.[j] ?? String(j)).padStart(5)} ${row}`);
    }
    return lines.join('\n');
  };
  const parts = [
    block('inputs', xs, (s, j) => x[(s * b + index) * xs + j] as number, false, labels.inputs),
    block('targets', ys, (s, j) => t[(s * b + index) * ys + j] as number, true, labels.outputs),
  ];
  if (z) parts.push(block('outputs (thresholded)', ys, (s, j) => ((z[(s * b + index) * ys + j] as number) > 0 ? 1 : 0), true, labels.outputs));
  return parts.join('\n');
}

/** Reads and checks a task's options: unknown fields, non-integers and out-of-range values are errors naming the field. */
export class OptionReader<O extends object> {
  private readonly given: Readonly<Record<string, unknown>>;

  constructor(
    task: string,
    private readonly defaults: Readonly<O>,
    options: Readonly<Record<string, unknown>> = {},
  ) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new EngramError(
        `task.options`,
        `${JSON.stringify(options)} is not an object`,
        `give ${task}'s options as an object, e.g. ${JSON.stringify(defaults)}`,
      );
    }
    const known = Object.keys(defaults);
    for (const k of Object.keys(options)) {
      if (!known.includes(k)) throw new EngramError(`task.options.${k}`, `${task} has no option '${k}'`, `use only ${known.join(', ')}`);
    }
    this.given = options;
  }

  /** An integer option in [min, max]. */
  int(name: keyof O & string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.given[name] ?? (this.defaults as Record<string, unknown>)[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`;
      throw new EngramError(`task.options.${name}`, `${JSON.stringify(v)} is not ${range}`, `set ${name} to ${range}`);
    }
    return v;
  }

  /** A finite number option in [min, max]. */
  num(name: keyof O & string, min: number, max = Number.POSITIVE_INFINITY): number {
    const v = this.given[name] ?? (this.defaults as Record<string, unknown>)[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new EngramError(`task.options.${name}`, `${JSON.stringify(v)} is not a number in [${min}, ${max}]`, `set ${name} to a number in [${min}, ${max}]`);
    }
    return v;
  }

  /** Asserts lo <= hi for a pair of options. */
  ordered(lo: keyof O & string, loValue: number, hi: keyof O & string, hiValue: number): void {
    if (loValue > hiValue) {
      throw new EngramError(`task.options.${lo}`, `${lo}=${loValue} is greater than ${hi}=${hiValue}`, `make ${lo} <= ${hi}`);
    }
  }
}
