/**
 * The median of the finite values of `xs` (the mean of the two middle ones for an even count),
 * or undefined when there are none. The one median of the runner and the benchmarks.
 */
export function median(xs: readonly number[]): number | undefined {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
