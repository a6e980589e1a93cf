import {
  blankExample,
  lengthRange,
  OptionReader,
  packExamples,
  renderSequence,
  thresholdCost,
  type AlgorithmicTask,
  type Example,
  type Rng,
  type TaskDefinition,
} from '@engram/core';

/** Options of the copy task (NTM paper defaults). */
export interface CopyOptions {
  /** Bits per vector. */
  readonly bits: number;
  /** Shortest and longest sequence, in vectors. */
  readonly minLength: number;
  readonly maxLength: number;
}

const DEFAULTS: CopyOptions = { bits: 8, minLength: 1, maxLength: 20 };

/**
 * One copy sequence of `length` random vectors. Inputs have `bits + 1` channels: the vectors
 * at steps 0..L-1, the delimiter (last channel) at step L, nothing after. Targets (`bits`
 * channels) are the vectors again at steps L+1..2L, the only scored steps. T = 2L + 1.
 */
export function copyExample(bits: number, length: number, rng: Rng): Example {
  const x = bits + 1;
  const e = blankExample(2 * length + 1, x, bits);
  for (let t = 0; t < length; t++) {
    for (let j = 0; j < bits; j++) {
      const bit = rng.next() < 0.5 ? 1 : 0;
      e.inputs[t * x + j] = bit;
      e.targets[(length + 1 + t) * bits + j] = bit;
    }
    e.mask[length + 1 + t] = 1;
  }
  e.inputs[length * x + bits] = 1;
  return e;
}

function make(options: Readonly<Record<string, unknown>> = {}): AlgorithmicTask<CopyOptions> {
  const r = new OptionReader('copy', DEFAULTS, options);
  const o: CopyOptions = { bits: r.int('bits', 1), minLength: r.int('minLength', 1), maxLength: r.int('maxLength', 1) };
  r.ordered('minLength', o.minLength, 'maxLength', o.maxLength);
  // channel names for render only: made on demand, so a task with huge bits costs nothing until drawn
  const bitNames = () => Array.from({ length: o.bits }, (_, j) => `b${j}`);
  const labels = () => ({ inputs: [...bitNames(), 'delim'], outputs: bitNames() });
  return {
    name: 'copy',
    options: o,
    inputSize: o.bits + 1,
    outputSize: o.bits,
    sample: (batch, rng) =>
      packExamples(
        Array.from({ length: batch }, () => copyExample(o.bits, rng.int(o.minLength, o.maxLength), rng)),
        o.bits + 1,
        o.bits,
      ),
    cost: thresholdCost,
    render: (batch, index, logits) => renderSequence(batch, index, logits, labels()),
  };
}

/** The copy task (Graves et al. 2014, section 4.1): store a sequence, then reproduce it. */
export const copy: TaskDefinition<CopyOptions> = {
  name: 'copy',
  description: 'copy a sequence of random bit vectors after a delimiter (NTM paper: 8 bits, length 1-20)',
  defaults: DEFAULTS,
  make,
  lengthOption: 'length',
  ...lengthRange('minLength', 'maxLength'),
};
