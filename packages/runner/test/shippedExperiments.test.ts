/**
 * Every shipped experiment (experiments/*.json) loads, and every variant of it resolves to a
 * valid run: its spec passes the schema, its task options make a task, and its model builds.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { listExperiments, loadExperiment, runSpecFor, variantNames } from '../src/experiment.ts';
import { makeModel, makeTask, modelConfigFor } from '../src/build.ts';

describe('shipped experiments', () => {
  const names = listExperiments();
  it('there are some', () => expect(names.length).toBeGreaterThan(10));
  for (const name of names) {
    it(`${name}: every variant validates, makes its task and builds its model`, () => {
      const { experiment } = loadExperiment(name);
      expect(experiment.name).toBe(name);
      for (const variant of variantNames(experiment)) {
        const spec = runSpecFor(experiment, variant);
        const task = makeTask(spec);
        const before = tf.memory().numTensors;
        const model = makeModel(modelConfigFor(spec, task, experiment.seeds[0] ?? 1));
        expect(Object.keys(model.namedVariables).length, `${name}/${variant}`).toBeGreaterThan(0);
        model.dispose();
        expect(tf.memory().numTensors, `${name}/${variant} leaks no tensors`).toBe(before);
      }
    });
  }
  // experiments/priority-sort.json says it is this study variant (the recipe measured at 0.33x the
  // LSTM); keep the two from drifting apart
  it('priority-sort trains the spec of priority-sort-vs-lstm/ntm-ff512-rmsprop-1e-4-to-3e-5-to-1e-5-learned-init-shift8', () => {
    const shipped = loadExperiment('priority-sort').experiment;
    const study = loadExperiment('priority-sort-vs-lstm').experiment;
    expect(runSpecFor(shipped, 'default')).toEqual(runSpecFor(study, 'ntm-ff512-rmsprop-1e-4-to-3e-5-to-1e-5-learned-init-shift8'));
  });
});
