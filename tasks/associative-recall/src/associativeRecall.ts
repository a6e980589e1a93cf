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

/** Options of the associative-recall task (NTM paper defaults). */
export interface AssociativeRecallOptions {
  /** Bits per vector. */
  readonly bits: number;
  /** Vectors per item. */
  readonly itemLength: number;
  /** Range of the number of items in a sequence. */
  readonly minItems: number;
  readonly maxItems: number;
}

const DEFAULTS: AssociativeRecallOptions = { bits: 6, itemLength: 3, minItems: 2, maxItems: 6 };

/** An example and what it asks, for tests and rendering. */
export interface RecallExample extends Example {
  /** `items[i][v]` is vector v of item i, each a bit array. */
  readonly items: number[][][];
  /** The index of the query item; the answer is item `query + 1`. */
  readonly query: number;
}

/**
 * One associative-recall sequence. Inputs have `bits + 2` channels. Each item is an item
 * delimiter step (channel `bits`) followed by its `itemLength` vectors; then a query delimiter
 * step (channel `bits + 1`), the query item's vectors, and the query delimiter again. The
 * targets (`bits` channels) are the item that followed the query in the list, over the last
 * `itemLength` steps, which are the only scored ones. The query is never the last item, and
 * items are distinct. T = items * (itemLength + 1) + itemLength + 2 + itemLength.
 */
export function recallExample(o: AssociativeRecallOptions, count: number, rng: Rng): RecallExample {
  const x = o.bits + 2;
  const span = o.itemLength + 1;
  const queryStart = count * span;
  const answerStart = queryStart + o.itemLength + 2;
  const e = blankExample(answerStart + o.itemLength, x, o.bits);
  const seen = new Set<string>();
  const items: number[][][] = [];
  while (items.length < count) {
    const item = Array.from({ length: o.itemLength }, () => Array.from({ length: o.bits }, () => (rng.next() < 0.5 ? 1 : 0)));
    const id = item.flat().join('');
    // Distinct items make the answer unique; with 2^(bits*itemLength) items this rarely redraws.
    if (seen.has(id) && seen.size < 2 ** (o.bits * o.itemLength)) continue;
    seen.add(id);
    items.push(item);
  }
  const query = rng.int(0, count - 2);
  items.forEach((item, i) => {
    e.inputs[i * span * x + o.bits] = 1;
    item.forEach((v, t) =>
      v.forEach((bit, j) => {
        e.inputs[(i * span + 1 + t) * x + j] = bit;
      }),
    );
  });
  e.inputs[queryStart * x + o.bits + 1] = 1;
  (items[query] as number[][]).forEach((v, t) =>
    v.forEach((bit, j) => {
      e.inputs[(queryStart + 1 + t) * x + j] = bit;
    }),
  );
  e.inputs[(queryStart + 1 + o.itemLength) * x + o.bits + 1] = 1;
  (items[query + 1] as number[][]).forEach((v, t) => {
    v.forEach((bit, j) => {
      e.targets[(answerStart + t) * o.bits + j] = bit;
    });
    e.mask[answerStart + t] = 1;
  });
  return { ...e, items, query };
}

function make(options: Readonly<Record<string, unknown>> = {}): AlgorithmicTask<AssociativeRecallOptions> {
  const r = new OptionReader('associative-recall', DEFAULTS, options);
  const o: AssociativeRecallOptions = {
    bits: r.int('bits', 1),
    itemLength: r.int('itemLength', 1),
    minItems: r.int('minItems', 2),
    maxItems: r.int('maxItems', 2),
  };
  r.ordered('minItems', o.minItems, 'maxItems', o.maxItems);
  // channel names for render only: made on demand, so a task with huge bits costs nothing until drawn
  const bitNames = () => Array.from({ length: o.bits }, (_, j) => `b${j}`);
  const labels = () => ({ inputs: [...bitNames(), 'item', 'query'], outputs: bitNames() });
  return {
    name: 'associative-recall',
    options: o,
    inputSize: o.bits + 2,
    outputSize: o.bits,
    sample: (batch, rng) =>
      packExamples(
        Array.from({ length: batch }, () => recallExample(o, rng.int(o.minItems, o.maxItems), rng)),
        o.bits + 2,
        o.bits,
      ),
    cost: thresholdCost,
    render: (batch, index, logits) => renderSequence(batch, index, logits, labels()),
  };
}

/** Associative recall (Graves et al. 2014, section 4.3): given a query item, answer the item that followed it. */
export const associativeRecall: TaskDefinition<AssociativeRecallOptions> = {
  name: 'associative-recall',
  description: 'recall the item that followed a query item (NTM paper: items of 3 x 6 bits, 2-6 items)',
  defaults: DEFAULTS,
  make,
  lengthOption: 'items',
  ...lengthRange('minItems', 'maxItems'),
};
