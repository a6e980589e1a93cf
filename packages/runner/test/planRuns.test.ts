import { describe, expect, it } from 'vitest';
import { experimentSchema, type Experiment } from '../src/schema.ts';
import { runSpecFor } from '../src/experiment.ts';
import { planRuns } from '../src/commands/emit.ts';
import type { RunConfig, ScannedRun } from '../src/runs.ts';
import type { RunOutcome } from '../src/summary.ts';
import { tinyCopyExperiment } from './cliHelpers.ts';

// Which finished runs compare counts for an experiment: only those trained with the settings the
// experiment states now. Synthetic run records, so nothing is trained.

const experiment: Experiment = experimentSchema.parse(
  tinyCopyExperiment({ name: 'plan', seeds: [1, 2], variants: [{ name: 'a' }, { name: 'b', train: { optimizer: { kind: 'adam', lr: 0.003 } } }] }),
);

const atCap: RunOutcome = { step: 12, sequences: 48, finalCost: 3, finalLoss: 0.5, seconds: 1, msPerStep: 80, peakRssMb: 300, interrupted: false };

/** A finished run of `variant` and `seed` whose recorded spec is the variant's, edited by `edit`. */
function run(variant: string, seed: number, edit: (spec: ReturnType<typeof runSpecFor>) => ReturnType<typeof runSpecFor> = (s) => s): ScannedRun {
  const spec = edit(runSpecFor(experiment, variant));
  const config = { experiment: 'plan', variant, seed, spec } as unknown as RunConfig;
  return { dir: `/runs/${variant}-seed${seed}`, config, outcome: atCap };
}

describe('planRuns', () => {
  it('counts a run trained with the variant as stated', () => {
    const plan = planRuns(experiment, [run('a', 1), run('b', 2)]);
    expect(plan.map((p) => [p.variant, p.seed, p.finished ?? null])).toEqual([
      ['a', 1, '/runs/a-seed1'],
      ['a', 2, null],
      ['b', 1, null],
      ['b', 2, '/runs/b-seed2'],
    ]);
  });

  it('does not count a run whose learning rate, batch, model or task differ from the experiment now', () => {
    const edits: ((s: ReturnType<typeof runSpecFor>) => ReturnType<typeof runSpecFor>)[] = [
      (s) => ({ ...s, train: { ...s.train, optimizer: { kind: 'adam', lr: 0.02 } } }),
      (s) => ({ ...s, train: { ...s.train, batchSize: 8 } }),
      (s) => ({ ...s, model: { ...s.model, controller: { kind: 'lstm', units: 32 } } }),
      (s) => ({ ...s, task: { ...s.task, options: { bits: 3, minLength: 1, maxLength: 4 } } }),
      (s) => ({ ...s, train: { ...s.train, steps: 24 } }),
    ];
    for (const edit of edits) expect(planRuns(experiment, [run('a', 1, edit)])[0]?.finished).toBeUndefined();
  });

  it('still counts a run trained with other threads or checkpoint spacing, which change how it ran, not what it learned', () => {
    const plan = planRuns(experiment, [run('a', 1, (s) => ({ ...s, train: { ...s.train, threads: 2, checkpointEvery: 3 } }))]);
    expect(plan[0]?.finished).toBe('/runs/a-seed1');
  });
});
