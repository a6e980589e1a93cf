import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from './runs.ts';
import { solveThreshold, type SolvedAt } from './solved.ts';

/** What a finished (or interrupted) training run measured. */
export interface RunOutcome {
  readonly step: number;
  readonly sequences: number;
  readonly finalCost: number;
  readonly finalLoss: number;
  /** {@link solvedAt} without its step, for readers older than `train.stopWhen`. */
  readonly solved?: { readonly sequences: number; readonly seconds: number };
  /**
   * The first evaluation below the solve threshold (`train.stopWhen.cost`, else 0.1 bits per
   * sequence), or null; with `stopWhen` training ended there. Absent in older outcomes.
   */
  readonly solvedAt?: SolvedAt | null;
  /** The run's `train.stopWhen`, or null. Absent in older outcomes. */
  readonly stopWhen?: { readonly cost: number } | null;
  readonly seconds: number;
  readonly msPerStep: number;
  readonly peakRssMb: number;
  readonly interrupted: boolean;
  /** Set when a non-finite loss or gradient ended the run at this step. */
  readonly diverged?: { readonly step: number; readonly message: string };
  /** ngrams: the optimal Bayesian estimator's cost on the evaluation sequences. */
  readonly optimalCost?: number;
}

/**
 * The run's result in one line (the last line of `engram train`, and summary.md):
 * "solved at N sequences, T s" or why it is not solved.
 */
export function verdict(o: RunOutcome): string {
  const s = o.solvedAt ?? o.solved;
  if (s) return `solved at ${s.sequences} sequences, ${s.seconds.toFixed(0)} s`;
  if (o.diverged) return `not solved: diverged at step ${o.diverged.step} (${o.sequences} sequences)`;
  if (o.interrupted) return `not solved yet: interrupted at step ${o.step} (${o.sequences} sequences); continue with --resume`;
  return `not solved within the cap (${o.step} steps, ${o.sequences} sequences)`;
}

/** The DNC-MD options a DNC config turns on, as ", DNC-MD: masking, ..." (nothing for the paper's DNC). */
function dncOptions(m: { masking?: boolean; deallocation?: boolean; sharpness?: boolean }): string {
  const on = (['masking', 'deallocation', 'sharpness'] as const).filter((k) => m[k]);
  return on.length ? `, DNC-MD: ${on.join(', ')}` : '';
}

/** Writes summary.md (for people) and outcome.json (for engram compare). */
export function writeSummary(dir: string, config: RunConfig, o: RunOutcome): void {
  writeFileSync(join(dir, 'outcome.json'), `${JSON.stringify(o, null, 2)}\n`);
  const m = config.model;
  const mm = m.memory;
  const heads = mm ? `${mm.readHeads ?? 1} read / ${mm.writeHeads ?? 1} write heads` : '';
  const memory = !mm
    ? ' (no memory)'
    : mm.kind === 'dnc'
      ? `, DNC memory ${mm.slots} x ${mm.width}, ${heads}${dncOptions(mm)}`
      : mm.kind === 'sam'
        ? `, SAM memory ${mm.slots} x ${mm.width}, ${heads}, top-${mm.k ?? 8} content reads`
        : `, memory ${mm.slots} x ${mm.width}, ${heads}, modes ${JSON.stringify(mm.readMode ?? 'soft')}/${JSON.stringify(mm.writeMode ?? 'soft')}`;
  const lines = [
    `# ${config.experiment} / ${config.variant} / seed ${config.seed}`,
    '',
    `- task: ${config.spec.task.kind} ${JSON.stringify(config.spec.task.options ?? {})}`,
    `- model: ${m.kind}, controller ${JSON.stringify(m.controller)}${memory}`,
    `- training: ${o.step} of ${config.spec.train.steps} steps${o.stopWhen && o.solvedAt ? ' (stopped when solved: train.stopWhen)' : ''}${o.interrupted ? ' (interrupted; continue with --resume)' : ''}, ${o.sequences} sequences, batch ${config.spec.train.batchSize}, ${JSON.stringify(config.spec.train.optimizer ?? { kind: 'adam', lr: 1e-3 })}`,
    `- backend: ${config.backend}; engram ${config.versions.engram}, tfjs ${config.versions.tfjs}, Node ${config.versions.node}`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| final cost (bits/sequence, evaluation) | ${o.finalCost.toFixed(4)} |`,
    `| final loss (nats/bit) | ${o.finalLoss.toFixed(5)} |`,
    ...(o.optimalCost !== undefined ? [`| optimal Bayesian estimator (bits/sequence, same sequences) | ${o.optimalCost.toFixed(4)} |`] : []),
    `| solved (< ${solveThreshold(config.spec.train)} bits/sequence${o.stopWhen ? ', train.stopWhen' : ''}) | ${verdict(o)} |`,
    ...(o.diverged ? [`| diverged | at step ${o.diverged.step}: ${o.diverged.message} |`] : []),
    `| wall time | ${o.seconds.toFixed(1)} s |`,
    `| ms per training step (median) | ${o.msPerStep.toFixed(1)} |`,
    `| peak resident memory | ${o.peakRssMb.toFixed(0)} MB |`,
    '',
    `Command: \`engram ${config.command}\``,
    '',
  ];
  const evalPath = join(dir, 'eval.md');
  if (existsSync(evalPath)) lines.push(readFileSync(evalPath, 'utf8'));
  writeFileSync(join(dir, 'summary.md'), lines.join('\n'));
}
