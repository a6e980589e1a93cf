/**
 * The `engram` command line. Every bad input (unknown command, flag, task, experiment or run;
 * malformed JSON; invalid values) is a one-line error naming the field and the fix, exit code 2,
 * written before anything is created on disk.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EngramError } from '@engram/tensor';
import { SIGNAL_EXIT_CODES, train } from './commands/train.ts';
import { readRun } from './runs.ts';
import { evaluateRun, parseLengths } from './commands/eval.ts';
import { compare } from './commands/compare.ts';
import { list } from './commands/list.ts';
import { report } from './commands/report.ts';
import { verdict } from './summary.ts';

const int = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag} must be an integer, got '${v}'`);
  return n;
};
const num = (flag: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got '${v}'`);
  return n;
};
const backendOption = () => new Option('--backend <name>', 'tensor backend: node (tfjs-node), wasm or cpu; default: node if it loads, else wasm (env ENGRAM_BACKEND)');

export function program(): Command {
  const p = new Command('engram')
    .description('Differentiable memory-augmented neural networks (Neural Turing Machines) on TensorFlow.js')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`engram: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) });

  p.command('train')
    .description('train one run of an experiment (a JSON file, a name in experiments/, or a task name for its default experiment)')
    .argument('[experiment]', 'experiment file, experiment name or task name (copy, repeat-copy, associative-recall, priority-sort, ngrams)')
    .option('--seed <n>', 'random seed (default: the experiment\'s first seed)', int('--seed'))
    .option('--variant <name>', 'which variant of the experiment (default: its first)')
    .option('--steps <n>', 'training steps; with --resume, the step to continue to', int('--steps'))
    .option('--batch <n>', 'sequences per training step', int('--batch'))
    .option('--lr <x>', 'learning rate', num('--lr'))
    .addOption(backendOption())
    .option('--out <dir>', 'results root', 'results')
    .option('--resume <run>', 'continue a run directory up to --steps')
    .option('--no-report', 'do not write plots at the end')
    .action(async (experiment: string | undefined, opts: { seed?: number; variant?: string; steps?: number; batch?: number; lr?: number; backend?: string; out: string; resume?: string; report: boolean }) => {
      const { dir, outcome, signal } = await train(experiment, { ...opts, afterRun: opts.report ? async (d) => { await report(d, { backend: opts.backend }); } : undefined });
      process.stdout.write(`${outcome.interrupted ? 'interrupted at' : 'finished'} step ${outcome.step}: cost ${outcome.finalCost.toFixed(4)} bits/sequence on fresh data\n`);
      process.stdout.write(`run: ${dir}\n${opts.report ? `plots: ${dir}/plots/\n` : ''}summary: ${dir}/summary.md\n`);
      if (signal) {
        const { config } = readRun(dir);
        process.stdout.write(`continue with: engram train --resume ${dir} --steps ${config.spec.train.steps}\n`);
      }
      process.stdout.write(`${verdict(outcome)}\n`);
      // an interrupted run exits as the signal would have (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), after its checkpoint
      if (signal) exitCode = SIGNAL_EXIT_CODES[signal];
    });

  p.command('eval')
    .description('cost per sequence length on fresh sequences (generalisation), written to the run\'s eval.csv and eval.md')
    .argument('<run>', 'run directory (results/<experiment>/<run-id>)')
    .option('--lengths <list>', 'comma-separated lengths (copy: vectors; recall: items), e.g. 10,20,50,120', (v) => parseLengths(v))
    .option('--count <n>', 'fresh sequences per length', int('--count'), 640)
    .option('--seed <n>', 'seed of the evaluation sequences (default: the run\'s seed)', int('--seed'))
    .addOption(backendOption())
    .action(async (run: string, opts: { lengths?: number[]; count: number; seed?: number; backend?: string }) => {
      const results = await evaluateRun(run, opts);
      process.stdout.write(`length  cost (bits/seq)\n${results.map((r) => `${String(r.length).padStart(6)}  ${r.cost.toFixed(3)}`).join('\n')}\n`);
    });

  p.command('compare')
    .description('one table over variants and seeds: solved, sequences and time to solve, final and generalisation cost, ms/step, peak memory; trains missing runs of an experiment')
    .argument('<targets...>', 'an experiment (file, name or task), or run directories')
    .option('--out <dir>', 'results root', 'results')
    .option('--jobs <n>', 'missing runs to train in parallel', int('--jobs'), 1)
    .option('--no-train', 'only compare existing runs')
    .addOption(backendOption())
    .action(async (targets: string[], opts: { out: string; jobs: number; train: boolean; backend?: string }) => {
      const { markdown, written } = await compare(targets, { out: opts.out, jobs: opts.jobs, noTrain: !opts.train, backend: opts.backend });
      process.stdout.write(`${markdown}\n${written ? `\nwritten: ${written}\n` : ''}`);
    });

  p.command('report')
    .description('write SVG plots of a run: learning curve, read/write weightings over time for one example')
    .argument('<run>', 'run directory')
    .addOption(backendOption())
    .action(async (run: string, opts: { backend?: string }) => {
      const files = await report(run, opts);
      process.stdout.write(`${files.join('\n')}\n`);
    });

  p.command('list')
    .description('tasks, experiments and runs')
    .option('--out <dir>', 'results root', 'results')
    .action((opts: { out: string }) => { process.stdout.write(`${list(opts.out)}\n`); });

  return p;
}

/** Set by a command whose success still needs a non-zero code (a run stopped by a signal). */
let exitCode = 0;

/** Runs the CLI; returns the exit code (0 ok, 2 bad input, 1 unexpected failure, 128 + n after signal n stopped training). */
export async function main(argv: string[]): Promise<number> {
  exitCode = 0;
  try {
    await program().parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof EngramError) {
      process.stderr.write(`engram: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`engram: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
