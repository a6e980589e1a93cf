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
