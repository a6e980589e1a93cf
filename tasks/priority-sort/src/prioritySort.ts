import {
  blankExample,
  OptionReader,
  packExamples,
  renderSequence,
  thresholdCost,
  type AlgorithmicTask,
  type Example,
  type Rng,
  type TaskDefinition,
} from '@engram/core';

/** Options of the priority-sort task (NTM paper defaults). */
export interface PrioritySortOptions {
  readonly bits: number;
  /** Vectors in the input. */
  readonly inputs: number;
  /** How many of the highest-priority vectors to output (<= inputs). */
  readonly outputs: number;
  /**
   * The priority channel carries `priorityScale * p` for a priority p in [-1, 1): 1 is the NTM
   * paper's encoding. Order and targets do not depend on it; only the input's magnitude does.
   */
  readonly priorityScale: number;
}

const DEFAULTS: PrioritySortOptions = { bits: 8, inputs: 20, outputs: 16, priorityScale: 1 };

/** An example with its priorities, for tests. */
export interface SortExample extends Example {
  /** `vectors[i]` is input vector i (bits). */
  readonly vectors: number[][];
  /** `priorities[i]` in [-1, 1). */
  readonly priorities: number[];
}

/**
 * One priority-sort sequence. Inputs have `bits + 2` channels: input vector i at step i with
 * its priority (times `priorityScale`) in channel `bits`, then a delimiter (channel `bits + 1`) at step `inputs`.
 * Targets (`bits` channels): the `outputs` vectors of highest priority, highest first, at the
 * steps after the delimiter (the scored ones). T = inputs + 1 + outputs.
 */
export function sortExample(o: PrioritySortOptions, rng: Rng): SortExample {
  const x = o.bits + 2;
  const e = blankExample(o.inputs + 1 + o.outputs, x, o.bits);
  const vectors = Array.from({ length: o.inputs }, () => Array.from({ length: o.bits }, () => (rng.next() < 0.5 ? 1 : 0)));
  const priorities = Array.from({ length: o.inputs }, () => rng.next() * 2 - 1);
  vectors.forEach((v, i) => {
    v.forEach((bit, j) => {
      e.inputs[i * x + j] = bit;
    });
    e.inputs[i * x + o.bits] = o.priorityScale * (priorities[i] as number);
  });
  e.inputs[o.inputs * x + o.bits + 1] = 1;
  const order = priorities
    .map((p, i) => [p, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, o.outputs);
  order.forEach(([, i], rank) => {
    const t = o.inputs + 1 + rank;
    (vectors[i] as number[]).forEach((bit, j) => {
      e.targets[t * o.bits + j] = bit;
    });
    e.mask[t] = 1;
  });
  return { ...e, vectors, priorities };
}

function make(options: Readonly<Record<string, unknown>> = {}): AlgorithmicTask<PrioritySortOptions> {
  const r = new OptionReader('priority-sort', DEFAULTS, options);
  const o: PrioritySortOptions = {
    bits: r.int('bits', 1),
    inputs: r.int('inputs', 1),
    outputs: r.int('outputs', 1),
    priorityScale: r.num('priorityScale', 1e-9),
  };
  r.ordered('outputs', o.outputs, 'inputs', o.inputs);
  // channel names for render only: made on demand, so a task with huge bits costs nothing until drawn
  const bitNames = () => Array.from({ length: o.bits }, (_, j) => `b${j}`);
  const labels = () => ({ inputs: [...bitNames(), 'prio', 'delim'], outputs: bitNames() });
  return {
    name: 'priority-sort',
    options: o,
    inputSize: o.bits + 2,
    outputSize: o.bits,
    sample: (batch, rng) =>
      packExamples(
        Array.from({ length: batch }, () => sortExample(o, rng)),
        o.bits + 2,
        o.bits,
      ),
    cost: thresholdCost,
    render: (batch, index, logits) => renderSequence(batch, index, logits, labels()),
  };
}

/** Priority sort (Graves et al. 2014, section 4.5): output the highest-priority vectors, sorted. */
export const prioritySort: TaskDefinition<PrioritySortOptions> = {
  name: 'priority-sort',
  description: 'output the highest-priority input vectors in priority order (NTM paper: 20 inputs, 16 outputs)',
  defaults: DEFAULTS,
  make,
  lengthOption: 'inputs',
  atLength: (o, inputs) => ({ ...o, inputs, outputs: Math.min(o.outputs, inputs) }),
  withMaxLength: (o, inputs) => ({ ...o, inputs, outputs: Math.min(o.outputs, inputs) }),
  maxLength: (o) => o.inputs,
  minLength: (o) => o.inputs,
};
