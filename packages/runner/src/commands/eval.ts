import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { EngramError, initBackend, Rng } from '@engram/tensor';
import { maskedSigmoidCrossEntropy, unroll } from '@engram/model';
import { makeTask } from '../build.ts';
import { readRun } from '../runs.ts';
import { restoreModel } from '../restore.ts';
import { loadTaskModule, taskEntry } from '../taskRegistry.ts';
import { hasOptimum } from '../optimal.ts';
import { generalisationSvg } from '../plots/index.ts';

export interface EvalOptions {
  readonly lengths?: number[];
  readonly count?: number;
  readonly backend?: string;
  readonly seed?: number;
  /** Task options over the run's, as `name=value` (numbers, true/false, or text), e.g. `maxRepeats=20`. */
  readonly set?: readonly string[];
}

export interface LengthResult {
  readonly length: number;
  readonly cost: number;
  readonly loss: number;
  readonly sequences: number;
  /** ngrams: the optimal Bayesian estimator's cost (bits/seq) on the same sequences. */
  readonly optimal?: number;
}

/** Parses "10,20,50" into positive integers; the error names the flag. */
export function parseLengths(text: string, flag = '--lengths'): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const values = parts.map(Number);
  if (!parts.length || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new EngramError(flag, `'${text}' is not a comma-separated list of positive integers`, 'e.g. --lengths 10,20,50,120');
  }
  return values;
}

/**
 * Parses `--set name=value` task options; each name must be one of the task's options (the
 * error lists them). Values are numbers where they parse as one, true/false, else text.
 */
export function parseTaskSettings(settings: readonly string[], known: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of settings) {
    const eq = s.indexOf('=');
    const name = eq > 0 ? s.slice(0, eq).trim() : '';
    if (!name) throw new EngramError('--set', `'${s}' is not name=value`, 'e.g. --set maxRepeats=20');
    if (!known.includes(name)) throw new EngramError('--set', `'${name}' is not an option of this task`, `use one of ${known.join(', ')}`);
    const text = s.slice(eq + 1).trim();
    out[name] = text === 'true' ? true : text === 'false' ? false : text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  }
  return out;
}

/**
 * `engram eval <run>`: cost per length on fresh sequences (generalisation beyond the training
 * lengths, as in the NTM paper's copy test). Writes eval.csv and eval.md into the run, and with
 * two or more lengths plots/generalisation.svg (cost against length, the training maximum marked).
 */
export async function evaluateRun(runDir: string, o: EvalOptions): Promise<LengthResult[]> {
  const { dir, config } = readRun(runDir);
  const count = o.count ?? config.spec.eval?.count ?? 640;
  if (!Number.isInteger(count) || count < 1) throw new EngramError('--count', `${count} is not a positive integer`, 'e.g. --count 640');
  const lengths = o.lengths ?? config.spec.eval?.lengths;
  if (!lengths) throw new EngramError('--lengths', 'missing and the experiment sets no eval.lengths', 'e.g. --lengths 10,20,50,120');
  await loadTaskModule(config.spec.task);
  const entry = taskEntry(config.spec.task);
  const base = makeTask(config.spec);
  const settings = parseTaskSettings(o.set ?? [], Object.keys(base.options));
  // every --set is checked by the task's own validation before the backend starts or anything is written
  entry.make({ ...base.options, ...settings });
  await initBackend(o.backend);
  const { model, step } = await restoreModel(dir, config);
  const results: LengthResult[] = [];
  for (const length of lengths) {
    const task = entry.make({ ...entry.atLength(base.options, length), ...settings });
    const rng = new Rng(`${o.seed ?? config.seed}/eval-length/${length}`);
    let cost = 0;
    let loss = 0;
    let optimal = 0;
    for (let done = 0; done < count; ) {
      const b = Math.min(64, count - done);
      const batch = task.sample(b, rng);
      tf.tidy(() => {
        const { outputs } = unroll(model, batch.inputs, { training: false });
        cost += task.cost(outputs, batch) * b;
        loss += (maskedSigmoidCrossEntropy(outputs, batch.targets, batch.mask).dataSync()[0] as number) * b;
      });
      if (hasOptimum(task)) optimal += task.optimalCost(batch) * b;
      tf.dispose([batch.inputs, batch.targets, batch.mask]);
      done += b;
    }
    const floor = hasOptimum(task) ? { optimal: optimal / count } : {};
    results.push({ length, cost: cost / count, loss: loss / count, sequences: count, ...floor });
    process.stderr.write(
      `engram: ${entry.lengthOption} ${length}: ${(cost / count).toFixed(3)} bits/seq${floor.optimal !== undefined ? ` (optimal estimator ${floor.optimal.toFixed(3)})` : ''}\n`,
    );
  }
  model.dispose();
  const withOptimum = results.some((r) => r.optimal !== undefined);
  writeFileSync(
    join(dir, 'eval.csv'),
    stringify(
      results.map(({ optimal, ...r }) => ({ ...r, step, optimal_cost: optimal })),
      { header: true, columns: ['length', 'cost', 'loss', 'sequences', 'step', ...(withOptimum ? ['optimal_cost'] : [])] },
    ),
  );
  writeFileSync(
    join(dir, 'eval.md'),
    [
      `## Generalisation (step ${step}, ${count} fresh sequences per ${entry.lengthOption})`,
      '',
      ...(o.set?.length ? [`Task options set for this evaluation: ${o.set.join(', ')}.`, ''] : []),
      `| ${entry.lengthOption} | cost (bits/seq) | loss (nats/bit) |${withOptimum ? ' optimal estimator (bits/seq, same sequences) | cost / optimal |' : ''}`,
      `| --- | --- | --- |${withOptimum ? ' --- | --- |' : ''}`,
      ...results.map(
        (r) =>
          `| ${r.length} | ${r.cost.toFixed(3)} | ${r.loss.toFixed(4)} |${r.optimal !== undefined ? ` ${r.optimal.toFixed(3)} | ${(r.cost / r.optimal).toFixed(4)} |` : ''}`,
      ),
      '',
    ].join('\n'),
  );
  if (results.length >= 2) {
    mkdirSync(join(dir, 'plots'), { recursive: true });
    const svg = await generalisationSvg(results, {
      title: `${config.spec.task.kind}: generalisation (step ${step}, ${count} sequences per ${entry.lengthOption})`,
      lengthName: entry.lengthOption,
      trainedUpTo: entry.maxLength(base.options),
    });
    writeFileSync(join(dir, 'plots', 'generalisation.svg'), svg);
  }
  return results;
}
