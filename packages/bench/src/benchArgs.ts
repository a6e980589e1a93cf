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
