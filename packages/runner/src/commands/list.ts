import { listExperiments, loadExperiment, variantNames } from '../experiment.ts';
import { runName, scanRuns } from '../runs.ts';
import { TASK_NAMES } from '../schema.ts';
import type { RunOutcome } from '../summary.ts';

function status(o: RunOutcome | undefined): string {
  if (!o) return 'no outcome (running or crashed)';
  const cost = o.finalCost === null || !Number.isFinite(o.finalCost) ? (o.diverged ? 'diverged' : 'no final cost') : `cost ${o.finalCost.toFixed(3)}`;
  return `step ${o.step}, ${cost}${(o.solvedAt ?? o.solved) ? ', solved' : ''}${o.interrupted ? ', interrupted' : ''}`;
}

/** `engram list`: tasks, experiments (with variants and seeds) and runs under the results root. */
export function list(out = 'results'): string {
  const lines = ['Tasks:', ...TASK_NAMES.map((t) => `  ${t}`), '', 'Experiments (experiments/*.json):'];
  for (const name of listExperiments()) {
    try {
      const { experiment: e } = loadExperiment(name);
      lines.push(
        `  ${name.padEnd(28)} ${e.task.kind}, ${variantNames(e).length} variant(s), seeds ${e.seeds.join(',')}${e.description ? ` — ${e.description.length > 90 ? `${e.description.slice(0, 87)}...` : e.description}` : ''}`,
      );
    } catch (err) {
      lines.push(`  ${name.padEnd(28)} INVALID: ${(err as Error).message}`);
    }
  }
  lines.push('', `Runs (${out}/):`);
  const runs = scanRuns(out);
  if (!runs.length) lines.push('  none yet: engram train copy');
  for (const r of runs) {
    if (r.problem !== undefined) lines.push(`  ${runName(r.dir).padEnd(60)} DAMAGED, skipped: ${r.problem}`);
    else lines.push(`  ${runName(r.dir).padEnd(60)} ${r.config.backend.padEnd(5)} ${status(r.outcome)}`);
  }
  return lines.join('\n');
}
