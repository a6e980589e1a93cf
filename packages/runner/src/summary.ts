import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from './runs.ts';

/** What a finished (or interrupted) training run measured. */
export interface RunOutcome {
  readonly step: number;
  readonly sequences: number;
  readonly finalCost: number;
  readonly finalLoss: number;
  /** The first evaluation below 0.1 bits per sequence, if any. */
  readonly solved?: { readonly sequences: number; readonly seconds: number };
  readonly seconds: number;
  readonly msPerStep: number;
  readonly peakRssMb: number;
  readonly interrupted: boolean;
  /** Set when a non-finite loss or gradient ended the run at this step. */
  readonly diverged?: { readonly step: number; readonly message: string };
  /** ngrams: the optimal Bayesian estimator's cost on the evaluation sequences. */
  readonly optimalCost?: number;
}

/** Writes summary.md (for people) and outcome.json (for engram compare). */
export function writeSummary(dir: string, config: RunConfig, o: RunOutcome): void {
  writeFileSync(join(dir, 'outcome.json'), `${JSON.stringify(o, null, 2)}\n`);
  const m = config.model;
  const memory = m.memory ? `, memory ${m.memory.slots} x ${m.memory.width}, ${m.memory.readHeads ?? 1} read / ${m.memory.writeHeads ?? 1} write heads, modes ${JSON.stringify(m.memory.readMode ?? 'soft')}/${JSON.stringify(m.memory.writeMode ?? 'soft')}` : ' (no memory)';
  const lines = [
    `# ${config.experiment} / ${config.variant} / seed ${config.seed}`,
    '',
    `- task: ${config.spec.task.kind} ${JSON.stringify(config.spec.task.options ?? {})}`,
    `- model: ${m.kind}, controller ${JSON.stringify(m.controller)}${memory}`,
    `- training: ${o.step} of ${config.spec.train.steps} steps${o.interrupted ? ' (interrupted; continue with --resume)' : ''}, ${o.sequences} sequences, batch ${config.spec.train.batchSize}, ${JSON.stringify(config.spec.train.optimizer ?? { kind: 'adam', lr: 1e-3 })}`,
    `- backend: ${config.backend}; engram ${config.versions.engram}, tfjs ${config.versions.tfjs}, Node ${config.versions.node}`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| final cost (bits/sequence, evaluation) | ${o.finalCost.toFixed(4)} |`,
    `| final loss (nats/bit) | ${o.finalLoss.toFixed(5)} |`,
    ...(o.optimalCost !== undefined ? [`| optimal Bayesian estimator (bits/sequence, same sequences) | ${o.optimalCost.toFixed(4)} |`] : []),
    `| solved (< 0.1 bits/sequence) | ${o.solved ? `yes, at ${o.solved.sequences} sequences, ${o.solved.seconds.toFixed(0)} s` : 'no'} |`,
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
