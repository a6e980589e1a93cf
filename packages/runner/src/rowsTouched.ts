import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { traceExample } from './trace.ts';

/** How many memory rows a run's heads address per time step (weight exactly above 0), on one traced example. */
export interface RowsTouched {
  /** Mean over read heads and time steps. */
  readonly read: number;
  /** Mean over write heads and time steps. */
  readonly write: number;
  /** N */
  readonly slots: number;
  /** The checkpoint step the example was traced at. */
  readonly step: number;
}

/**
 * Mean count of rows with a weight above 0 per head and time step.
 * @param weights `[head][T][N]`
 */
export function meanRowsAddressed(weights: readonly (readonly (readonly number[])[])[]): number {
  let rows = 0;
  let steps = 0;
  for (const head of weights) {
    for (const w of head) {
      for (const x of w) if (x > 0) rows++;
      steps++;
    }
  }
  return steps ? rows / steps : Number.NaN;
}

const FILE = 'touched.json';

/**
 * The rows a run touches per step: read from `<run>/touched.json` when it is there, else traced
 * from the run's checkpoint (evaluation mode, as the study's weighting plots) and written there,
 * so the figure survives when checkpoints are not kept (results/ commits run directories
 * without them). Undefined for runs with no memory or no checkpoint and no touched.json.
 */
export async function rowsTouched(dir: string): Promise<RowsTouched | undefined> {
  const file = join(dir, FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RowsTouched;
  if (!existsSync(join(dir, 'checkpoint'))) return undefined;
  const ex = await traceExample(dir);
  const slots = ex?.writeWeights[0]?.[0]?.length;
  if (!ex || slots === undefined) return undefined;
  const touched: RowsTouched = { read: meanRowsAddressed(ex.readWeights), write: meanRowsAddressed(ex.writeWeights), slots, step: ex.step };
  writeFileSync(file, `${JSON.stringify(touched, null, 2)}\n`);
  return touched;
}
