import { stringify } from 'csv-stringify/sync';
import type { TracedExample } from './trace.ts';

/** Formats `engram report` writes an example in: plots, or the traced numbers as data. */
export const REPORT_FORMATS = ['svg', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Who the example belongs to, written beside its numbers. */
export interface ExampleSource {
  readonly experiment: string;
  readonly variant: string;
  readonly seed: number;
}

/**
 * One traced example as a JSON document: every series as nested arrays, time first
 * (`inputs [T][X]`, `targets`/`outputs [T][Y]` with outputs as probabilities, `writeWeights
 * [W][T][N]`, `readWeights [R][T][N]`, `readVectors [R][T][M]`, a DNC's `dnc.usage [T][N]`,
 * `dnc.readModes [R][T][2W+1]`, `dnc.link [N][N]`).
 */
export function exampleJson(example: TracedExample, source: ExampleSource): string {
  const { text: _text, ...numbers } = example;
  return `${JSON.stringify({ ...source, ...numbers })}\n`;
}

/**
 * One traced example as a long ("tidy") CSV: one row per number, columns
 * `series,head,t,index,value`; series is input, target, output, write, read or readVector (head is
 * empty for the first three), or a DNC's usage, readMode (index = backward..content..forward) and
 * link (t = the last step, index = i * N + j).
 */
export function exampleCsv(example: TracedExample): string {
  const rows: (string | number)[][] = [];
  const series = (name: string, head: number | '', values: readonly (readonly number[])[]) => {
    values.forEach((row, t) => row.forEach((v, i) => rows.push([name, head, t, i, v])));
  };
  series('input', '', example.inputs);
  series('target', '', example.targets);
  series('output', '', example.outputs);
  example.writeWeights.forEach((w, h) => series('write', h, w));
  example.readWeights.forEach((w, h) => series('read', h, w));
  example.readVectors.forEach((r, h) => series('readVector', h, r));
  if (example.dnc) {
    series('usage', '', example.dnc.usage);
    example.dnc.readModes.forEach((m, h) => series('readMode', h, m));
    const last = example.inputs.length - 1;
    const n = example.dnc.link.length;
    example.dnc.link.forEach((row, i) => row.forEach((v, j) => rows.push(['link', 0, last, i * n + j, v])));
  }
  return stringify(rows, { header: true, columns: ['series', 'head', 't', 'index', 'value'] });
}
