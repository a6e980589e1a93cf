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

/** Options of the repeat-copy task (NTM paper defaults). */
export interface RepeatCopyOptions {
  readonly bits: number;
  /** Sequence length range, in vectors. */
  readonly minLength: number;
  readonly maxLength: number;
  /** Number of repeats range. */
  readonly minRepeats: number;
  readonly maxRepeats: number;
  /**
   * The repeat count is given to the model as (repeats - repeatCenter) / repeatScale: fixed
   * constants, so a test with more repeats keeps the encoding. Default center 0, scale 10 (a
   * count of 1-10 becomes 0.1-1); pytorch-ntm standardises over its training range instead
   * (center 5.5, scale 2.87 for 1-10).
   */
  readonly repeatScale: number;
  readonly repeatCenter: number;
}

const DEFAULTS: RepeatCopyOptions = { bits: 8, minLength: 1, maxLength: 10, minRepeats: 1, maxRepeats: 10, repeatScale: 10, repeatCenter: 0 };

/**
 * One repeat-copy sequence. Inputs have `bits + 2` channels: the vectors at steps 0..L-1, a
 * delimiter (channel `bits`) at step L, the normalised repeat count (channel `bits + 1`) at
 * step L+1. Targets have `bits + 1` channels: the sequence `repeats` times from step L+2 on,
 * then the end marker (channel `bits`); every target step is scored. T = L + 3 + repeats * L.
 */
export function repeatCopyExample(o: RepeatCopyOptions, length: number, repeats: number, rng: Rng): Example {
  const x = o.bits + 2;
  const y = o.bits + 1;
  const start = length + 2;
  const e = blankExample(start + repeats * length + 1, x, y);
  for (let t = 0; t < length; t++) {
    for (let j = 0; j < o.bits; j++) {
      const bit = rng.next() < 0.5 ? 1 : 0;
      e.inputs[t * x + j] = bit;
      for (let r = 0; r < repeats; r++) e.targets[(start + r * length + t) * y + j] = bit;
    }
  }
  e.inputs[length * x + o.bits] = 1;
  e.inputs[(length + 1) * x + o.bits + 1] = (repeats - o.repeatCenter) / o.repeatScale;
  const end = start + repeats * length;
  e.targets[end * y + o.bits] = 1;
  for (let t = start; t <= end; t++) e.mask[t] = 1;
  return e;
}

function make(options: Readonly<Record<string, unknown>> = {}): AlgorithmicTask<RepeatCopyOptions> {
  const r = new OptionReader('repeat-copy', DEFAULTS, options);
  const o: RepeatCopyOptions = {
    bits: r.int('bits', 1),
    minLength: r.int('minLength', 1),
    maxLength: r.int('maxLength', 1),
    minRepeats: r.int('minRepeats', 1),
    maxRepeats: r.int('maxRepeats', 1),
    repeatScale: r.num('repeatScale', 1e-9),
    repeatCenter: r.num('repeatCenter', Number.NEGATIVE_INFINITY),
  };
  r.ordered('minLength', o.minLength, 'maxLength', o.maxLength);
  r.ordered('minRepeats', o.minRepeats, 'maxRepeats', o.maxRepeats);
  // channel names for render only: made on demand, so a task with huge bits costs nothing until drawn
  const bitNames = () => Array.from({ length: o.bits }, (_, j) => `b${j}`);
  const labels = () => ({ inputs: [...bitNames(), 'delim', 'reps'], outputs: [...bitNames(), 'end'] });
  return {
    name: 'repeat-copy',
    options: o,
    inputSize: o.bits + 2,
    outputSize: o.bits + 1,
    sample: (batch, rng) =>
      packExamples(
        Array.from({ length: batch }, () => {
          const length = rng.int(o.minLength, o.maxLength);
          return repeatCopyExample(o, length, rng.int(o.minRepeats, o.maxRepeats), rng);
        }),
        o.bits + 2,
        o.bits + 1,
      ),
    cost: thresholdCost,
    render: (batch, index, logits) => renderSequence(batch, index, logits, labels()),
  };
}

/** Repeat copy (Graves et al. 2014, section 4.2): output a sequence a given number of times, then an end marker. */
export const repeatCopy: TaskDefinition<RepeatCopyOptions> = {
  name: 'repeat-copy',
  description: 'repeat a sequence a given number of times, then emit an end marker (NTM paper: length 1-10, repeats 1-10)',
  defaults: DEFAULTS,
  make,
  lengthOption: 'length',
  ...lengthRange('minLength', 'maxLength'),
  perBatch: (o, rng) => {
    const length = rng.int(o.minLength, o.maxLength);
    const repeats = rng.int(o.minRepeats, o.maxRepeats);
    return { ...o, minLength: length, maxLength: length, minRepeats: repeats, maxRepeats: repeats };
  },
};
