import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@engram/tensor';
import { engram, startEngram, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

// Fault injection: training is killed with SIGKILL at random moments (so also in the middle of
// checkpoint writes, one every step here) and resumed each time; the run that finally ends must
// match an uninterrupted run number for number: metrics.csv (all but the wall-clock columns),
// the final weights, the outcome. ENGRAM_SOAK_KILLS sets how many kills (default 4; the soak,
// `npx -y pnpm@10 bench soak [--kills 100] [--backends cpu]`, runs 100 on cpu).
const KILLS = Number(process.env['ENGRAM_SOAK_KILLS'] ?? 4);
const BACKEND = process.env['ENGRAM_SOAK_BACKEND'] ?? 'cpu';
const dir = tempDir('engram-kills-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exp = writeExperiment(
  dir,
  'kills',
  tinyCopyExperiment({
    name: 'kills',
    train: { steps: 120, batchSize: 4, optimizer: { kind: 'adam', lr: 0.01 }, evalEvery: 5, evalSequences: 16, checkpointEvery: 1 },
  }),
);

/** metrics.csv without the columns that measure wall-clock time. */
function metrics(run: string): string[] {
  const [head, ...rows] = readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = (head as string).split(',');
  const keep = cols.map((c, i) => (['seconds', 'seq_per_s'].includes(c) ? -1 : i)).filter((i) => i >= 0);
  return [head as string, ...rows].map((r) => keep.map((i) => r.split(',')[i]).join(','));
}

/** The newest checkpoint's weights, hashed. */
function weights(run: string): string {
  const latest = readFileSync(join(run, 'checkpoint', 'latest'), 'utf8').trim();
  return createHash('sha256')
    .update(readFileSync(join(run, 'checkpoint', latest, 'weights.bin')))
    .digest('hex');
}

function runOnce(args: string[], killAfterMs: number | undefined): Promise<{ code: number | null; signal: string | null }> {
  const run = startEngram(args, { ENGRAM_BACKEND: BACKEND });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => run.child.kill('SIGKILL'), killAfterMs);
  return run.exited.finally(() => clearTimeout(timer));
}

describe(`training killed with SIGKILL at ${KILLS} random moments`, () => {
  it("always resumes from its last good checkpoint, and ends with the uninterrupted run's numbers", { timeout: 120_000 + KILLS * 20_000 }, async () => {
    const whole = join(dir, 'whole');
    const t0 = performance.now();
    expect(engram(['train', exp, '--out', whole, '--no-report', '--backend', BACKEND]).status).toBe(0);
    const wholeMs = performance.now() - t0; // start-up included: kills land anywhere from loading to the last step
    const [reference] = readdirSync(join(whole, 'kills')).map((n) => join(whole, 'kills', n));

    const rng = new Rng('engram-random-kills');
    const finished = (run: string | undefined) =>
      !!run && existsSync(join(run, 'outcome.json')) && JSON.parse(readFileSync(join(run, 'outcome.json'), 'utf8')).step === 120;
    // episodes: a run is killed and resumed until it ends, then checked; a new one starts until KILLS kills are spent
    let kills = 0;
    let episodes = 0;
    while (kills < KILLS) {
      const out = join(dir, `killed-${episodes}`);
      let run: string | undefined;
      for (let attempt = 0; !finished(run) && attempt < 200; attempt++) {
        const args = run ? ['train', '--resume', run, '--no-report'] : ['train', exp, '--out', out, '--no-report'];
        const r = await runOnce(args, kills < KILLS ? Math.floor((0.25 + 0.6 * rng.next()) * wholeMs) : undefined);
        if (r.signal === 'SIGKILL') kills += 1;
        const made = existsSync(join(out, 'kills')) ? readdirSync(join(out, 'kills')) : [];
        if (!run && made.length) {
          run = join(out, 'kills', made[0] as string);
          if (!existsSync(join(run, 'checkpoint', 'latest'))) {
            // killed before its first checkpoint: nothing to resume, start the episode over
            rmSync(out, { recursive: true, force: true });
            run = undefined;
          }
        }
      }
      expect(finished(run), `episode ${episodes} did not finish`).toBe(true);
      expect(metrics(run as string)).toEqual(metrics(reference as string));
      expect(weights(run as string)).toBe(weights(reference as string));
      const o = JSON.parse(readFileSync(join(run as string, 'outcome.json'), 'utf8'));
      const p = JSON.parse(readFileSync(join(reference as string, 'outcome.json'), 'utf8'));
      expect({ step: o.step, sequences: o.sequences, finalCost: o.finalCost, finalLoss: o.finalLoss }).toEqual({
        step: p.step,
        sequences: p.sequences,
        finalCost: p.finalCost,
        finalLoss: p.finalLoss,
      });
      rmSync(out, { recursive: true, force: true });
      episodes += 1;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
  });
});
