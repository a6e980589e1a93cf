import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@engram/tensor';
import { unroll } from '@engram/model';
import { makeTask } from './build.ts';
import { MODEL_DIR } from './commands/export.ts';
import { readRun } from './runs.ts';
import { restoreModel } from './restore.ts';
import { loadTaskModule } from './taskRegistry.ts';

/**
 * Where one write head of a priority-sort NTM puts the vectors the task outputs. The paper's
 * Fig. 17 shows one algorithm: a write head places each vector at a row set by its priority and a
 * read head walks the rows in order. A head may instead write the vectors in input order, one row
 * each, as on copy. Measured on the row the head weights most while each vector is presented.
 */
export interface HeadPlacement {
  /** Rows the head moves per unit of priority: within-sequence least-squares slope, sign dropped. */
  readonly rowsPerUnit: number;
  /** Within-sequence Pearson r of the head's row against priority, sign dropped. */
  readonly priorityR: number;
  /** Within-sequence Pearson r of the head's row against input position, sign dropped. */
  readonly inputOrderR: number;
  /** Mean number of distinct rows the output vectors of a sequence go to (at most `outputs`). */
  readonly distinctRows: number;
  /** Of the output vectors, the fraction of neighbours in priority order that share a row. */
  readonly sharedRows: number;
}

/**
 * Rows on the ring of N unwrapped to a line: cut at the widest gap between the rows used, so a
 * run of rows that crosses N - 1 -> 0 stays contiguous.
 * @param rows `[I]` row indices in 0..N-1
 */
export function unwrapRows(rows: readonly number[], slots: number): number[] {
  const used = [...new Set(rows)].sort((a, b) => a - b);
  let start = used[0] ?? 0;
  let widest = slots - (used[used.length - 1] ?? 0) + start; // the gap across N - 1 -> 0
  for (let k = 1; k < used.length; k++) {
    const gap = (used[k] as number) - (used[k - 1] as number);
    if (gap > widest) [widest, start] = [gap, used[k] as number];
  }
  return rows.map((r) => (r - start + slots) % slots);
}

/** Within-sequence slope and Pearson r of `ys` on `xs` (each sequence centred on its own means). */
function withinFit(xs: readonly (readonly number[])[], ys: readonly (readonly number[])[]): { slope: number; r: number } {
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, b) => {
    const y = ys[b] as readonly number[];
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    x.forEach((v, i) => {
      const dy = (y[i] as number) - my;
      sxy += (v - mx) * dy;
      sxx += (v - mx) ** 2;
      syy += dy ** 2;
    });
  });
  return { slope: sxx > 0 ? sxy / sxx : 0, r: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0 };
}

/**
 * One write head's placement of the vectors a priority-sort task outputs.
 * @param priorities `[B][I]` each sequence's priorities
 * @param rows `[B][I]` the row the head weights most while input vector i is presented
 * @param outputs how many of the highest-priority vectors the task outputs
 * @param slots N
 */
export function headPlacement(priorities: readonly (readonly number[])[], rows: readonly (readonly number[])[], outputs: number, slots: number): HeadPlacement {
  // only the output vectors count, highest priority first: where the rest go does not matter to the cost
  const top = priorities.map((p) =>
    p
      .map((v, i) => [v, i] as const)
      .sort((x, y) => y[0] - x[0])
      .slice(0, outputs)
      .map(([, i]) => i),
  );
  const placed = rows.map((r, b) => (top[b] as number[]).map((i) => r[i] as number));
  const line = placed.map((r) => unwrapRows(r, slots));
  const byPriority = withinFit(
    priorities.map((p, b) => (top[b] as number[]).map((i) => p[i] as number)),
    line,
  );
  const byInput = withinFit(top, line);
  let distinct = 0;
  let shared = 0;
  for (const r of placed) {
    distinct += new Set(r).size;
    for (let k = 1; k < r.length; k++) if (r[k] === r[k - 1]) shared++;
  }
  const sequences = priorities.length;
  return {
    rowsPerUnit: Math.abs(byPriority.slope),
    priorityR: Math.abs(byPriority.r),
    inputOrderR: Math.abs(byInput.r),
    distinctRows: distinct / sequences,
    sharedRows: outputs > 1 ? shared / (sequences * (outputs - 1)) : 0,
  };
}

/** A priority-sort run's traced write rows: see `traceWriteRows`. */
export interface WriteRows {
  /** `[B][I]` */
  readonly priorities: number[][];
  /** `[H][B][I]` the row each write head weights most while input vector i is presented. */
  readonly rows: number[][][];
  readonly outputs: number;
  readonly slots: number;
  readonly step: number;
}

/**
 * Traces a priority-sort run at its newest checkpoint (or exported model), evaluation mode, on
 * `sequences` fresh sequences. Undefined for other tasks, for models without memory, and for
 * runs with nothing to restore.
 */
export async function traceWriteRows(dir: string, sequences = 64): Promise<WriteRows | undefined> {
  const { config } = readRun(dir);
  if (config.spec.task.kind !== 'priority-sort') return undefined;
  if (!existsSync(join(dir, 'checkpoint')) && !existsSync(join(dir, MODEL_DIR, 'model.json'))) return undefined;
  await loadTaskModule(config.spec.task);
  const task = makeTask(config.spec);
  const o = task.options as { bits: number; inputs: number; outputs: number; priorityScale: number }; // priority-sort's, defaults filled in
  const { model, step } = await restoreModel(dir, config);
  const batch = task.sample(sequences, new Rng(`${config.seed}/placement`));
  const { outputs, trace } = unroll(model, batch.inputs, { training: false, trace: true });
  try {
    if (!trace) return undefined;
    const inputs = batch.inputs.arraySync() as number[][][]; // [T][B][X]
    const priorities = Array.from({ length: sequences }, (_, b) =>
      Array.from({ length: o.inputs }, (_, i) => (((inputs[i] as number[][])[b] as number[])[o.bits] as number) / o.priorityScale),
    );
    const argmax = tf.tidy(() => tf.argMax(trace.writeWeights, 3).arraySync() as number[][][]); // [T][B][W]
    const heads = (argmax[0]?.[0] ?? []).length;
    const rows = Array.from({ length: heads }, (_, h) =>
      Array.from({ length: sequences }, (_, b) => Array.from({ length: o.inputs }, (_, i) => argmax[i]?.[b]?.[h] as number)),
    );
    return { priorities, rows, outputs: o.outputs, slots: trace.writeWeights.shape[3], step };
  } finally {
    tf.dispose([batch.inputs, batch.targets, batch.mask, outputs, trace as unknown as tf.TensorContainer]);
    model.dispose();
  }
}
