// A task of your own for the engram CLI: reverse a sequence of random bit vectors.
// An experiment file selects it with  "task": { "kind": "module", "module": "./reverse.mjs" }
// (the path is relative to the experiment file); the module's default export is a task
// definition with the same fields as the shipped tasks' (see @engram/tensor's TaskDefinition).
import { blankExample, lengthRange, OptionReader, packExamples, renderSequence, thresholdCost } from '@engram/tensor';

const DEFAULTS = { bits: 4, minLength: 1, maxLength: 6 };

/** L vectors, a delimiter, then the vectors last-first: inputs [2L+1, bits+1], targets scored at steps L+1..2L. */
function reverseExample(bits, length, rng) {
  const x = bits + 1;
  const e = blankExample(2 * length + 1, x, bits);
  for (let t = 0; t < length; t++) {
    for (let j = 0; j < bits; j++) {
      const bit = rng.next() < 0.5 ? 1 : 0;
      e.inputs[t * x + j] = bit;
      e.targets[(2 * length - t) * bits + j] = bit;
    }
    e.mask[length + 1 + t] = 1;
  }
  e.inputs[length * x + bits] = 1;
  return e;
}

function make(options = {}) {
  const r = new OptionReader('reverse', DEFAULTS, options); // unknown or bad options: one-line errors naming task.options.<field>
  const o = { bits: r.int('bits', 1), minLength: r.int('minLength', 1), maxLength: r.int('maxLength', 1) };
  r.ordered('minLength', o.minLength, 'maxLength', o.maxLength);
  const names = Array.from({ length: o.bits }, (_, j) => `b${j}`);
  return {
    name: 'reverse',
    options: o,
    inputSize: o.bits + 1,
    outputSize: o.bits,
    sample: (batch, rng) =>
      packExamples(
        Array.from({ length: batch }, () => reverseExample(o.bits, rng.int(o.minLength, o.maxLength), rng)),
        o.bits + 1,
        o.bits,
      ),
    cost: thresholdCost, // bits wrong per sequence, as copy counts them
    render: (batch, index, logits) => renderSequence(batch, index, logits, { inputs: [...names, 'delim'], outputs: names }),
  };
}

export default {
  name: 'reverse',
  description: 'reverse a sequence of random bit vectors after a delimiter',
  defaults: DEFAULTS,
  make,
  lengthOption: 'length',
  ...lengthRange('minLength', 'maxLength'),
};
