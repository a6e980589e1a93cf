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
import { exportRun } from './commands/export.ts';
import { verdict } from './summary.ts';
import { versions } from './versions.ts';

function versionLine(): string {
  const v = versions();
  return `engram ${v.engram} (TensorFlow.js ${v.tfjs}, Node ${v.node})`;
}

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
const backendOption = () =>
  new Option('--backend <name>', 'tensor backend: node (tfjs-node), wasm or cpu; default: node if it loads, else wasm (env ENGRAM_BACKEND)');

export function program(): Command {
  const p = new Command('engram')
    .description('Differentiable memory-augmented neural networks (Neural Turing Machines) on TensorFlow.js')
    .showSuggestionAfterError(true)
    .version(versionLine(), '-V, --version', 'print the versions of engram, TensorFlow.js and Node')
    .option('--debug', 'print the stack of an unexpected error (also ENGRAM_DEBUG=1)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) =>
        write(
          `engram: ${s
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });

  p.command('train')
    .description('train one run of an experiment (a JSON file, a name in experiments/, or a task name for its default experiment)')
    .argument('[experiment]', 'experiment file, experiment name or task name (copy, repeat-copy, associative-recall, priority-sort, ngrams)')
    .option('--seed <n>', "random seed (default: the experiment's first seed)", int('--seed'))
    .option('--variant <name>', 'which variant of the experiment (default: its first)')
    .option(
      '--steps <n>',
      "training steps (the cap when train.stopWhen is set); with --resume, the step to continue to (default: the experiment's train.steps)",
      int('--steps'),
    )
    .option('--batch <n>', "sequences per training step (default: the experiment's train.batchSize)", int('--batch'))
    .option(
      '--lr <x>',
      "learning rate (default: the experiment's train.optimizer.lr, else 1e-3); with train.optimizer.lrSchedule, the rate before its first change",
      num('--lr'),
    )
    .option('--threads <n>', "threads each batch is split over (batch >= 32, wasm or cpu; default: the experiment's train.threads, else 1)", int('--threads'))
    .addOption(backendOption())
    .option('--out <dir>', 'results root', 'results')
    .option('--resume <run>', 'continue a run directory up to --steps')
    .option('--no-report', 'do not write plots at the end')
    .action(
      async (
        experiment: string | undefined,
        opts: {
          seed?: number;
          variant?: string;
          steps?: number;
          batch?: number;
          lr?: number;
          threads?: number;
          backend?: string;
          out: string;
          resume?: string;
          report: boolean;
        },
      ) => {
        const { dir, outcome, signal } = await train(experiment, {
          ...opts,
          afterRun: opts.report
            ? async (d) => {
                await report(d, { backend: opts.backend });
              }
            : undefined,
        });
        process.stdout.write(
          `${outcome.interrupted ? 'interrupted at' : 'finished'} step ${outcome.step}: cost ${outcome.finalCost.toFixed(4)} bits/sequence on fresh data\n`,
        );
        process.stdout.write(`run: ${dir}\n${opts.report ? `plots: ${dir}/plots/\n` : ''}summary: ${dir}/summary.md\n`);
        if (signal) {
          const { config } = readRun(dir);
          process.stdout.write(`continue with: engram train --resume ${dir} --steps ${config.spec.train.steps}\n`);
        }
        process.stdout.write(`${verdict(outcome)}\n`);
        // an interrupted run exits as the signal would have (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), after its checkpoint
        if (signal) exitCode = SIGNAL_EXIT_CODES[signal];
      },
    );

  p.command('eval')
    .description(
      "cost per sequence length on fresh sequences (generalisation), written to the run's eval.csv and eval.md (and plots/generalisation.svg for 2+ lengths)",
    )
    .argument('<run>', 'run directory (results/<experiment>/<run-id>)')
    .option('--lengths <list>', 'comma-separated lengths (copy: vectors; recall: items), e.g. 10,20,50,120', (v) => parseLengths(v))
    .option('--count <n>', 'fresh sequences per length', int('--count'), 640)
    .option('--seed <n>', "seed of the evaluation sequences (default: the run's seed)", int('--seed'))
    .option(
      '--set <option=value>',
      "a task option for the evaluation, over the run's (repeatable), e.g. --set minRepeats=20 --set maxRepeats=20",
      (v: string, all: string[] = []) => [...all, v],
    )
    .addOption(backendOption())
    .action(async (run: string, opts: { lengths?: number[]; count: number; seed?: number; backend?: string; set?: string[] }) => {
      const results = await evaluateRun(run, opts);
      process.stdout.write(`length  cost (bits/seq)\n${results.map((r) => `${String(r.length).padStart(6)}  ${r.cost.toFixed(3)}`).join('\n')}\n`);
    });

  p.command('compare')
    .description(
      'one table over variants and seeds: solved, sequences and time to solve, final and generalisation cost, ms/step, peak memory; trains missing runs of an experiment',
    )
    .argument('<targets...>', 'an experiment (file, name or task), or run directories')
    .option('--out <dir>', 'results root', 'results')
    .option('--jobs <n>', 'missing runs to train in parallel', int('--jobs'), 1)
    .option('--no-train', 'only compare finished runs; name the missing ones with the command that trains each')
    .option('--emit <jobs|slurm>', 'train nothing: print the commands of the runs not finished under --out (jobs: one per line; slurm: an sbatch array script)')
    .option('--engram <command>', 'with --emit: how each command starts (default: node <this bin/engram.js>)')
    .option('--max-parallel <n>', 'with --emit slurm: array tasks at once (default 8)', int('--max-parallel'))
    .option('--time-per-task <minutes>', 'with --emit slurm: time limit per task (default: from finished runs)', int('--time-per-task'))
    .option('--mem-per-task <MB>', 'with --emit slurm: memory per task (default: from finished runs)', int('--mem-per-task'))
    .addOption(backendOption())
    .action(
      async (
        targets: string[],
        opts: {
          out: string;
          jobs: number;
          train: boolean;
          backend?: string;
          emit?: string;
          engram?: string;
          maxParallel?: number;
          timePerTask?: number;
          memPerTask?: number;
        },
      ) => {
        const { markdown, written } = await compare(targets, {
          out: opts.out,
          jobs: opts.jobs,
          noTrain: !opts.train,
          backend: opts.backend,
          ...(opts.emit !== undefined ? { emit: opts.emit } : {}),
          ...(opts.maxParallel !== undefined ? { maxParallel: opts.maxParallel } : {}),
          ...(opts.engram !== undefined ? { engram: opts.engram } : {}),
          ...(opts.timePerTask !== undefined ? { timePerTask: opts.timePerTask } : {}),
          ...(opts.memPerTask !== undefined ? { memPerTask: opts.memPerTask } : {}),
        });
        process.stdout.write(opts.emit !== undefined ? markdown : `${markdown}\n${written ? `\nwritten: ${written}\n` : ''}`);
      },
    );

  p.command('report')
    .description('write SVG plots of a run (learning curve, read/write weightings over time for one example), or that example as data')
    .argument('<run>', 'run directory')
    .option(
      '--format <svg|json|csv>',
      'svg: plots; json or csv: the traced example (inputs, targets, outputs, weightings, reads) as plots/example.json or .csv',
      'svg',
    )
    .addOption(backendOption())
    .action(async (run: string, opts: { backend?: string; format: string }) => {
      const files = await report(run, opts);
      process.stdout.write(`${files.join('\n')}\n`);
    });

  p.command('export')
    .description("write a run's trained weights (no optimizer state) as tfjs artifacts: <run>/model/model.json + weights.bin")
    .argument('<run>', 'run directory')
    .option('--out <dir>', 'where to write them (default <run>/model)')
    .addOption(backendOption())
    .action(async (run: string, opts: { out?: string; backend?: string }) => {
      process.stdout.write(`${await exportRun(run, opts)}\n`);
    });

  p.command('list')
    .description('tasks, experiments and runs')
    .option('--out <dir>', 'results root', 'results')
    .action((opts: { out: string }) => {
      process.stdout.write(`${list(opts.out)}\n`);
    });

  return p;
}

/**
 * Operating-system errors a user can cause or fix, each as one line: the path, what is wrong
 * with it, the fix, and the exit code (2: bad input such as a path under a file; 1: the
 * machine, such as a full disk).
 */
const OS_ERRORS: Record<string, { what: string; fix: string; code: number }> = {
  ENOTDIR: { what: 'a part of this path is a file, not a directory', fix: 'choose a path whose parents are directories', code: 2 },
  EISDIR: { what: 'is a directory where a file was expected', fix: 'pass a file, or remove the directory', code: 2 },
  EEXIST: { what: 'already exists and is in the way', fix: 'remove it or choose another path', code: 2 },
  ENOENT: { what: 'does not exist', fix: 'check the path', code: 2 },
  ELOOP: { what: 'is a loop of symbolic links', fix: 'fix or remove the links', code: 2 },
  ENAMETOOLONG: { what: 'is too long a name', fix: 'choose a shorter path', code: 2 },
  EACCES: { what: 'cannot be written or read with your permissions', fix: 'choose a directory you can write to, or fix its permissions', code: 2 },
  EPERM: { what: 'cannot be written or read with your permissions', fix: 'choose a directory you can write to, or fix its permissions', code: 2 },
  EROFS: { what: 'is on a read-only file system', fix: 'choose a writable directory, e.g. --out ./results', code: 2 },
  ENOSPC: { what: 'cannot be written: the disk is full', fix: 'free some space and run again (a run resumes from its last checkpoint with --resume)', code: 1 },
  EDQUOT: { what: 'cannot be written: the disk quota is exhausted', fix: 'free some space and run again', code: 1 },
};

/** One line for an operating-system error (with its path), or undefined for anything else. */
export function osErrorLine(e: unknown): { line: string; code: number } | undefined {
  const err = e as NodeJS.ErrnoException;
  const known = err && typeof err.code === 'string' ? OS_ERRORS[err.code] : undefined;
  if (!known) return undefined;
  const path = err.path ?? (err as { dest?: string }).dest ?? '(a file)';
  return { line: `engram: ${path}: ${known.what} (${err.code}); ${known.fix}`, code: known.code };
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
    const debug = argv.includes('--debug') || process.env['ENGRAM_DEBUG'] === '1';
    if (e instanceof EngramError) {
      process.stderr.write(`engram: ${e.message}\n`);
      return 2;
    }
    const os = osErrorLine(e);
    if (os) {
      process.stderr.write(`${os.line}\n${debug && e instanceof Error ? `${e.stack}\n` : ''}`);
      return os.code;
    }
    // an internal failure: one line, the stack only when asked for
    const first = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    process.stderr.write(`engram: unexpected error: ${first}${debug ? `\n${e instanceof Error ? e.stack : ''}` : ' (run with --debug for the stack)'}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
