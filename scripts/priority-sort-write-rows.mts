// Where each write head of priority-sort NTM runs puts the vectors the task outputs, measured at
// each run's newest checkpoint on 64 fresh sequences in evaluation mode (see
// packages/runner/src/placement.ts for the measures). Checkpoints are not committed: retrain a
// run with its config.json's command first.
//
//   npx tsx scripts/priority-sort-write-rows.mts results/priority-sort-vs-lstm/<run> [<run> ...]
import { initBackend } from '../packages/tensor/src/backend.ts';
import { headPlacement, traceWriteRows } from '../packages/runner/src/placement.ts';
import { readMetrics } from '../packages/runner/src/runs.ts';

const runs = process.argv.slice(2);
if (!runs.length) {
  console.error('usage: npx tsx scripts/priority-sort-write-rows.mts <run directory> [...]');
  process.exit(2);
}
await initBackend('wasm');
const f = (x: number, d = 2) => x.toFixed(d);
for (const dir of runs) {
  const traced = await traceWriteRows(dir);
  if (!traced) {
    console.log(`${dir}: not a priority-sort run with memory and a checkpoint; skipped`);
    continue;
  }
  const cost = readMetrics(dir).find((m) => m.step === traced.step)?.cost;
  console.log(`\n${dir} (step ${traced.step}${cost === undefined ? '' : `, cost ${f(cost)}`}, ${traced.priorities.length} sequences)`);
  console.log('| write head | rows per unit of priority | r with priority | r with input position | distinct rows of the outputs | neighbours sharing a row |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  traced.rows.forEach((rows, h) => {
    const p = headPlacement(traced.priorities, rows, traced.outputs, traced.slots);
    console.log(`| ${h} | ${f(p.rowsPerUnit)} | ${f(p.priorityR, 3)} | ${f(p.inputOrderR, 3)} | ${f(p.distinctRows)} of ${traced.outputs} | ${f(p.sharedRows, 3)} |`);
  });
}
