import { describe, expect, it } from 'vitest';
import { experimentSchema } from '../src/schema.ts';
import { deepMerge, runSpecFor } from '../src/experiment.ts';
import { EngramError } from '@engram/tensor';
import { tinyCopyExperiment } from './cliHelpers.ts';

// How a variant's overrides combine with the experiment's base: objects merge key by key, a new
// `kind` replaces the object, and null removes an inherited key.

const base = tinyCopyExperiment({
  train: { steps: 12, batchSize: 4, optimizer: { kind: 'adam', lr: 0.01 }, clip: { globalNorm: 50 }, evalEvery: 6, evalSequences: 16, checkpointEvery: 6 },
});

function specOf(train: Record<string, unknown>) {
  const e = experimentSchema.parse({ ...base, variants: [{ name: 'v', train }] });
  return runSpecFor(e, 'v');
}

describe('variant merging', () => {
  it('adds an override to the inherited keys of the same object', () => {
    expect(specOf({ clip: { value: 10 } }).train.clip).toEqual({ globalNorm: 50, value: 10 });
  });

  it('removes an inherited key given null, so a variant can clip by value only', () => {
    const spec = specOf({ clip: { globalNorm: null, value: 10 } });
    expect(spec.train.clip).toEqual({ value: 10 });
    expect(spec.train.batchSize).toBe(4);
  });

  it('replaces the whole object when the kind changes', () => {
    expect(specOf({ optimizer: { kind: 'rmsprop', lr: 0.0002 } }).train.optimizer).toMatchObject({ kind: 'rmsprop', lr: 0.0002 });
  });

  it('rejects a null that removes a required setting, naming the variant', () => {
    expect(() => specOf({ batchSize: null })).toThrow(EngramError);
    expect(() => specOf({ batchSize: null })).toThrow(/variants\.v/);
  });

  it('leaves its inputs unchanged', () => {
    const b = { a: { x: 1, y: 2 } };
    const merged = deepMerge(b, { a: { x: null } });
    expect(merged).toEqual({ a: { y: 2 } });
    expect(b).toEqual({ a: { x: 1, y: 2 } });
  });
});

describe('a variant that extends another', () => {
  const recipe = { batchSize: 2, optimizer: { kind: 'rmsprop', lr: 0.0002, momentum: 0.9 }, clip: { globalNorm: null, value: 10 } };
  function experiment(variants: unknown[]) {
    return experimentSchema.parse({ ...base, variants });
  }

  it('starts from that variant, so a recipe is written once', () => {
    const e = experiment([
      { name: 'ntm-recipe', train: recipe },
      { name: 'lstm-recipe', extends: 'ntm-recipe', model: { kind: 'lstm', controller: { kind: 'lstm', units: 16 } } },
    ]);
    const spec = runSpecFor(e, 'lstm-recipe');
    expect(spec.model.kind).toBe('lstm');
    expect(spec.train.batchSize).toBe(2);
    expect(spec.train.clip).toEqual({ value: 10 });
    expect(spec.train.optimizer).toMatchObject({ kind: 'rmsprop', lr: 0.0002 });
    // the same settings written out in full give the same spec
    const spelled = experiment([{ name: 'x', model: { kind: 'lstm', controller: { kind: 'lstm', units: 16 } }, train: recipe }]);
    expect(spec).toEqual(runSpecFor(spelled, 'x'));
  });

  it('follows a chain of extends, the nearest override winning', () => {
    const e = experiment([
      { name: 'a', train: { batchSize: 2 } },
      { name: 'b', extends: 'a', train: { evalEvery: 3 } },
      { name: 'c', extends: 'b', train: { batchSize: 8 } },
    ]);
    expect(runSpecFor(e, 'c').train).toMatchObject({ batchSize: 8, evalEvery: 3, steps: 12 });
    expect(runSpecFor(e, 'b').train).toMatchObject({ batchSize: 2, evalEvery: 3 });
  });

  it('names the field and the choices when the variant it extends does not exist', () => {
    const e = experiment([{ name: 'a' }, { name: 'b', extends: 'nope' }]);
    expect(() => runSpecFor(e, 'b')).toThrow(/variants\.b\.extends: names no variant of this experiment \('nope'\); use one of: a, b/);
  });

  it('reports a loop instead of recursing forever', () => {
    const e = experiment([
      { name: 'a', extends: 'b' },
      { name: 'b', extends: 'a' },
    ]);
    expect(() => runSpecFor(e, 'a')).toThrow(/makes a loop \(a -> b -> a\)/);
    expect(() => runSpecFor(experiment([{ name: 'a', extends: 'a' }]), 'a')).toThrow(/loop/);
  });
});

describe('a variant that takes blocks from other variants', () => {
  const lstm = { kind: 'lstm', controller: { kind: 'lstm', units: 16 } };
  const e = experimentSchema.parse({
    ...base,
    variants: [
      { name: 'lstm', model: lstm, train: { batchSize: 32 } },
      { name: 'recipe', train: { batchSize: 2, optimizer: { kind: 'rmsprop', lr: 0.0002 } } },
      { name: 'lstm-on-recipe', extends: { model: 'lstm', train: 'recipe' }, train: { evalEvery: 3 } },
      { name: 'lstm-model-only', extends: { model: 'lstm' } },
    ],
  });

  it('takes each named block whole from its variant and the rest from the base', () => {
    const spec = runSpecFor(e, 'lstm-on-recipe');
    expect(spec.model.kind).toBe('lstm');
    expect(spec.train).toMatchObject({ batchSize: 2, evalEvery: 3, steps: 12, optimizer: { kind: 'rmsprop', lr: 0.0002 } });
    expect(spec.task).toEqual(runSpecFor(e, 'recipe').task);
  });

  it('does not take the blocks it does not name: the model-only variant keeps the base recipe', () => {
    const spec = runSpecFor(e, 'lstm-model-only');
    expect(spec.model).toEqual(runSpecFor(e, 'lstm').model);
    expect(spec.train).toEqual(runSpecFor(experimentSchema.parse(base), 'default').train);
    expect(spec.train.batchSize).toBe(4);
  });

  it('names the block in the error when its variant does not exist or makes a loop', () => {
    const bad = experimentSchema.parse({ ...base, variants: [{ name: 'a', extends: { train: 'nope' } }] });
    expect(() => runSpecFor(bad, 'a')).toThrow(/variants\.a\.extends\.train: names no variant of this experiment \('nope'\); use one of: a$/);
    const loop = experimentSchema.parse({
      ...base,
      variants: [
        { name: 'a', extends: { model: 'b' } },
        { name: 'b', extends: 'a' },
      ],
    });
    expect(() => runSpecFor(loop, 'a')).toThrow(/variants\.b\.extends: makes a loop \(a -> b -> a\)/);
  });

  it('rejects a block name that is not a block', () => {
    const r = experimentSchema.safeParse({ ...base, variants: [{ name: 'a', extends: { seeds: 'a' } }] });
    expect(r.success).toBe(false);
  });
});
