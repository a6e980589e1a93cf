import { afterAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngramError } from '@engram/tensor';
import { loadExperiment, makeModel, makeTask, modelConfigFor, runSpecFor, variantNames } from '../src/index.ts';
import { checkFits } from '../src/resources.ts';
import { tinyCopyExperiment } from './cliHelpers.ts';

/**
 * The bad-input contract as a property (issue 15): for any experiment file made by changing one
 * field of a valid one to any JSON value (or adding an unknown field, or removing one), the
 * checks engram train runs before it writes anything either pass or throw an EngramError whose
 * message is one line naming a field; nothing else (no TypeError, RangeError, stack trace).
 */
const dir = mkdtempSync(join(tmpdir(), 'engram-props-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATHS = [
  'train.steps',
  'train.batchSize',
  'train.optimizer',
  'train.optimizer.lr',
  'train.optimizer.kind',
  'train.clip',
  'train.clip.globalNorm',
  'train.evalEvery',
  'train.evalSequences',
  'train.stopWhen',
  'train.lengths',
  'train.gumbelTau',
  'model.kind',
  'model.controller',
  'model.controller.kind',
  'model.controller.units',
  'model.controller.layers',
  'model.memory',
  'model.memory.kind',
  'model.memory.slots',
  'model.memory.width',
  'model.memory.readHeads',
  'model.memory.writeHeads',
  'model.memory.shiftRange',
  'model.memory.readMode',
  'model.memory.init',
  'model.memory.similarity',
  'model.memory.masking',
  'task',
  'task.kind',
  'task.options',
  'task.options.bits',
  'task.options.minLength',
  'task.options.maxLength',
  'seeds',
  'name',
  'eval',
  'eval.lengths',
  'variants',
  'curriculum',
];

const jsonValue = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(0, -1, 1e9, 1e7, 2 ** 31, Number.MAX_SAFE_INTEGER, 0.5, -0.25, 1e-12),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('dnc', 'ntm', 'lstm', 'copy', 'soft', 'hard', 'adam', 'per-batch'),
  fc.array(fc.integer({ min: -3, max: 50 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

type Edit = { path: string; kind: 'set' | 'delete' | 'extra'; value: unknown };
const edit: fc.Arbitrary<Edit> = fc.record({
  path: fc.constantFrom(...PATHS),
  kind: fc.constantFrom('set', 'set', 'set', 'delete', 'extra'),
  value: jsonValue,
}) as fc.Arbitrary<Edit>;

function applyEdit(base: Record<string, unknown>, e: Edit): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = e.path.split('.');
  let node = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    if (node[k] === null || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  const last = keys.at(-1) as string;
  if (e.kind === 'delete') delete node[last];
  else if (e.kind === 'extra') node[`${last}Typo`] = e.value;
  else node[last] = e.value;
  return copy;
}

/** What engram train checks before it creates anything. */
function preflight(file: string): void {
  const { experiment } = loadExperiment(file);
  for (const v of variantNames(experiment)) {
    const spec = runSpecFor(experiment, v);
    const task = makeTask(spec);
    const model = modelConfigFor(spec, task, experiment.seeds[0] as number);
    checkFits(spec, model, 'wasm');
    makeModel(model).dispose();
  }
}

describe('bad-input contract, as a property', () => {
  it('any one-field change: passes, or one EngramError line naming a field', { timeout: 120_000 }, () => {
    const base = tinyCopyExperiment({ train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 } });
    let n = 0;
    let passed = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 2 }), (edits) => {
        const body = edits.reduce(applyEdit, base);
        const file = join(dir, `e${n++}.json`);
        writeFileSync(file, JSON.stringify(body));
        try {
          preflight(file);
          passed++;
        } catch (e) {
          expect(e, `${JSON.stringify(edits)}: ${(e as Error).stack}`).toBeInstanceOf(EngramError);
          const message = (e as EngramError).message;
          expect(message.includes('\n'), message).toBe(false);
          expect(message).toMatch(/^\S[^\n]*?: /); // 'field.path: what; fix' (a field may hold any key the file has)
        }
      }),
      { numRuns: 1000, seed: 20261201 },
    );
    // both outcomes occur, so the property is exercised on each side
    expect(passed).toBeGreaterThan(10);
    expect(passed).toBeLessThan(n - 10);
  });
});
