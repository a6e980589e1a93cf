import { median as runnerMedian } from '@engram/runner';
/** What every benchmark script shares: its `--name value` flags and the median of its timings. */

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}

/** The runner's median over a list that must not be empty (every bench times at least one repeat). */
export function median(xs: readonly number[]): number {
  return runnerMedian(xs) ?? Number.NaN;
}

/** The process that started this benchmark (`pnpm bench`'s run.ts). */
const PARENT = process.ppid;

/**
 * Ends this process when the one that started it is gone (re-parented): a benchmark child whose
 * `pnpm bench` was killed would otherwise train on, unseen, and slow every later measurement on
 * the same cores. Call it in long synchronous loops, where timers never fire.
 */
export function exitIfOrphaned(): void {
  if (process.ppid !== PARENT) {
    process.stderr.write('engram bench: the parent process is gone; stopping\n');
    process.exit(143);
  }
}
