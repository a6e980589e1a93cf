import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listExperiments, loadExperiment, variantNames } from '../experiment.ts';
import { findRuns, readRun, runName } from '../runs.ts';
import { TASK_NAMES } from '../schema.ts';
import type { RunOutcome } from '../summary.ts';

/** `engram list`: tasks, experiments (with variants and seeds) and runs under the results root. */
export function list(out = 'results'): string {
  const lines = ['Tasks:', ...TASK_NAMES.map((t) => `  ${t}`), '', 'Experiments (experiments/*.json):'];
  for (const name of listExperiments()) {
    try {
      const { experiment: e } = loadExperiment(name);
      lines.push(`  ${name.padEnd(28)} ${e.task.kind}, ${variantNames(e).length} variant(s), seeds ${e.seeds.join(',')}${e.description ? ` — ${e.description.length > 90 ? `${e.description.slice(0, 87)}...` : e.description}` : ''}`);
    } catch (err) {
      lines.push(`  ${name.padEnd(28)} INVALID: ${(err as Error).message}`);
    }
  }
  lines.push('', `Runs (${out}/):`);
  const runs = findRuns(out);
  if (!runs.length) lines.push('  none yet: engram train copy');
  for (const dir of runs) {
    const { config } = readRun(dir);
    const outcomePath = join(dir, 'outcome.json');
    const o = existsSync(outcomePath) ? (JSON.parse(readFileSync(outcomePath, 'utf8')) as RunOutcome) : undefined;
    const status = o ? `step ${o.step}, cost ${o.finalCost.toFixed(3)}${o.solved ? ', solved' : ''}${o.interrupted ? ', interrupted' : ''}` : 'no outcome (running or crashed)';
    lines.push(`  ${runName(dir).padEnd(60)} ${config.backend.padEnd(5)} ${status}`);
  }
  return lines.join('\n');
}
