/**
 * Convergence: wall time and training sequences until an experiment's task is solved (below
 * --threshold bits/sequence, default 0.1, on --eval-sequences fresh sequences, default 640,
 * in evaluation mode), for each seed, with the experiment's own settings (the ones
 * `engram train <experiment>` uses; --batch and --lr override them for tuning).
 *
 * The clock runs over everything a user waits for: sampling, training steps and the solve
 * checks. A check is run only once the mean training cost of the last 10 steps is below
 * --check-below bits/sequence (default 1; a model whose training batches cost more cannot
 * pass it), at most every --check-every steps: first on the evaluation stream's first 64
 * sequences, then, if those pass, on all of them. A run that has not solved after
 * --max-minutes (one budget, or one per experiment: 10,5) stops and is reported unsolved. One JSON line per run.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@engram/tensor';
import { Trainer } from '@engram/model';
import {
  applyOverrides,
  Curriculum,
  loadExperiment,
  loadTaskModule,
  makeModel,
  makeTask,
  modelConfigFor,
  runSpecFor,
  taskEntry,
  trainingTask,
} from '@engram/runner';
import { arg, exitIfOrphaned } from './benchArgs.ts';

const backend = await initBackend(arg('backend', 'auto'), { quiet: true });
const experiments = arg('experiments', 'copy,associative-recall').split(',');
const seeds = arg('seeds', '1,2,3,4,5').split(',').map(Number);
// one budget for every experiment, or one per experiment in --experiments order
const budgets = arg('max-minutes', '10').split(',').map(Number);
if (budgets.length !== 1 && budgets.length !== experiments.length) throw new Error('--max-minutes: give one budget or one per experiment');
const threshold = Number(arg('threshold', '0.1'));
const evalSequences = Number(arg('eval-sequences', '640'));
const checkBelow = Number(arg('check-below', '1'));
const checkEvery = Number(arg('check-every', '10'));
const batch = process.argv.includes('--batch') ? Number(arg('batch', '')) : undefined;
const lr = process.argv.includes('--lr') ? Number(arg('lr', '')) : undefined;

for (const [e, name] of experiments.entries()) {
  const maxMinutes = budgets[budgets.length === 1 ? 0 : e] as number;
  const { experiment } = loadExperiment(name);
  const spec = applyOverrides(runSpecFor(experiment, 'default'), { ...(batch !== undefined ? { batch } : {}), ...(lr !== undefined ? { lr } : {}) });
  await loadTaskModule(spec.task);
  for (const seed of seeds) {
    const task = makeTask(spec);
    const model = makeModel(modelConfigFor(spec, task, seed));
    const trainer = new Trainer(
      model,
      task,
      { ...spec.train, seed, evalSequences, steps: Number.MAX_SAFE_INTEGER },
      {
        cost: (logits, b) => task.cost(logits, b),
      },
    );
    // as engram train does (train.lengths, curriculum); evaluation keeps the full distribution
    let curriculum = spec.curriculum ? new Curriculum(spec.curriculum, taskEntry(spec.task).maxLength(task.options)) : undefined;
    trainer.setTask(trainingTask(spec, curriculum?.maxLength));
    const evalEvery = spec.train.evalEvery ?? 100;
    let windowCost = 0;
    const start = performance.now();
    const costs: number[] = [];
    let evalMs = 0;
    let checks = 0;
    let lastCheck = -Infinity;
    let solved = false;
    let lastEval = Number.NaN;
    let tensorsAfterFirst = -1;
    while ((performance.now() - start) / 60_000 < maxMinutes) {
      exitIfOrphaned();
      const rec = trainer.trainStep();
      if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
      costs.push(rec.cost);
      if (costs.length > 10) costs.shift();
      windowCost += rec.cost;
      // a curriculum grows where engram train's does: at each evaluation, on the window's mean training cost
      if (curriculum && trainer.step % evalEvery === 0) {
        const next = curriculum.observe(windowCost / evalEvery);
        if (next !== curriculum) {
          process.stderr.write(`  ${name} seed ${seed}: ${trainer.sequences} sequences: curriculum ${curriculum.maxLength} -> ${next.maxLength}\n`);
          curriculum = next;
          trainer.setTask(trainingTask(spec, curriculum.maxLength));
          costs.length = 0; // the training-cost window restarts at the new length
        }
        windowCost = 0;
      }
      const mean = costs.reduce((a, b) => a + b, 0) / costs.length;
      if (costs.length === 10 && mean < checkBelow && trainer.step - lastCheck >= checkEvery) {
        lastCheck = trainer.step;
        const e0 = performance.now();
        // the first 64 sequences of the evaluation stream first: the full check only when they pass
        lastEval = trainer.evaluate(Math.min(64, evalSequences)).cost;
        if (lastEval < threshold && evalSequences > 64) lastEval = trainer.evaluate().cost;
        evalMs += performance.now() - e0;
        checks += 1;
        process.stderr.write(
          `  ${name} seed ${seed}: ${trainer.sequences} sequences, ${((performance.now() - start) / 1000).toFixed(0)} s: check ${lastEval.toFixed(3)} bits/seq\n`,
        );
        if (lastEval < threshold) {
          solved = true;
          break;
        }
      }
    }
    const seconds = (performance.now() - start) / 1000;
    process.stderr.write(`converge ${name} seed ${seed}: ${solved ? 'solved' : 'not solved'} after ${trainer.sequences} sequences, ${seconds.toFixed(0)} s\n`);
    console.log(
      JSON.stringify({
        backend: backend.name,
        experiment: name,
        seed,
        batch: spec.train.batchSize,
        lr: spec.train.optimizer?.lr ?? 1e-3,
        maxMinutes,
        solved,
        seconds,
        sequences: trainer.sequences,
        steps: trainer.step,
        finalCheckCost: lastEval,
        checks,
        evalSeconds: evalMs / 1000,
        tensorGrowth: tf.memory().numTensors - tensorsAfterFirst,
      }),
    );
    trainer.dispose();
    model.dispose();
  }
}
