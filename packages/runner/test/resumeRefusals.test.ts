import { beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engram, engramInProcess, filesUnder, letRpcThrough, SLOW_TRAIN, startEngram, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

const runDirOf = (stdout: string) => (/^run: (.+)$/m.exec(stdout)?.[1] ?? '').trim();

/** Every file under `dir` with its bytes, to show a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).map((f) => [f, readFileSync(f).toString('base64')]));
}

/**
 * A refused resume validates everything before it writes (issue 15, item 1): the run directory
 * is byte for byte as it was, so compare still sees the finished run as finished.
 */
describe('a refused --resume changes nothing', () => {
  beforeEach(letRpcThrough);
  const dir = tempDir();
  const out = join(dir, 'results');
  let run = '';

  it('trains a tiny run to resume', () => {
    const r = engram(['train', writeExperiment(dir, 'tiny', tinyCopyExperiment()), '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    run = runDirOf(r.stdout);
  });

  const refusals: [string, () => string[], RegExp][] = [
    ["--steps at the run's step", () => ['train', '--resume', run, '--steps', '12', '--backend', 'cpu'], /^engram: --steps: the run is already at step 12/],
    ['--steps below it', () => ['train', '--resume', run, '--steps', '6'], /^engram: --steps: the run is already at step 12/],
    ['a changed --seed', () => ['train', '--resume', run, '--steps', '20', '--seed', '3'], /^engram: --seed: cannot change when resuming/],
  ];
  for (const [what, args, pattern] of refusals) {
    it(`${what}: exit 2, one line, every file as it was`, async () => {
      const before = snapshot(run);
      const r = await engramInProcess(args());
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('engram: backend '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(snapshot(run)).toEqual(before);
    });
  }

  it('a corrupt checkpoint: exit 2 naming it, config.json and metrics.csv as they were', async () => {
    const ckpt = join(run, 'checkpoint');
    const latest = readdirSync(ckpt).find((f) => f === 'latest');
    expect(latest).toBeDefined();
    writeFileSync(join(ckpt, 'latest'), 'step-999999');
    const before = snapshot(run);
    const r = await engramInProcess(['train', '--resume', run, '--steps', '20', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(2);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('engram: backend ')),
    ).toHaveLength(1);
    expect(snapshot(run)).toEqual(before);
  });

  it('a metrics.csv cut off in the middle of a row: report and resume work, and the partial row is gone', () => {
    const r = engram(['train', writeExperiment(dir, 'tiny2', tinyCopyExperiment({ name: 'tiny-two' })), '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    const second = runDirOf(r.stdout);
    appendFileSync(join(second, 'metrics.csv'), '18,72,0.61');
    const rep = engram(['report', second]);
    expect(rep.status, rep.stderr).toBe(0);
    const resumed = engram(['train', '--resume', second, '--steps', '18', '--no-report']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const lines = readFileSync(join(second, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(',')[0])).toEqual(['step', '6', '12', '18']);
    expect(lines.every((l) => l.split(',').length === 10)).toBe(true);
  });

  it('a run is trained by one process at a time: a second resume is refused while the first runs; a stale lock is taken over', async () => {
    const slow = writeExperiment(
      dir,
      'slow',
      tinyCopyExperiment({ name: 'tiny-slow', train: { steps: 6, batchSize: 4, evalEvery: 6, evalSequences: 8, checkpointEvery: 6 } }),
    );
    const r = engram(['train', slow, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    const run3 = runDirOf(r.stdout);
    const first = startEngram(['train', '--resume', run3, '--steps', String(SLOW_TRAIN.steps), '--no-report']);
    await first.stderrMatches(/engram: training/);
    const second = engram(['train', '--resume', run3, '--steps', String(SLOW_TRAIN.steps), '--no-report']);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`is being trained by process ${first.child.pid}`);
    first.child.kill('SIGINT');
    await first.exited;
    writeFileSync(join(run3, '.lock'), '999999\n'); // a lock left by a process that is gone
    // two steps past where the interrupted run stopped
    const stopped = (JSON.parse(readFileSync(join(run3, 'outcome.json'), 'utf8')) as { step: number }).step;
    const third = engram(['train', '--resume', run3, '--steps', String(stopped + 2), '--no-report']);
    expect(third.status, third.stderr).toBe(0);
    expect(existsSync(join(run3, '.lock'))).toBe(false);
  }, 120_000);

  it('a config.json that does not match its schema is refused by resume, eval and report with one line, nothing changed', async () => {
    const r = engram(['train', writeExperiment(dir, 'tiny3', tinyCopyExperiment({ name: 'tiny-three' })), '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    const broken = runDirOf(r.stdout);
    const config = JSON.parse(readFileSync(join(broken, 'config.json'), 'utf8'));
    writeFileSync(join(broken, 'config.json'), JSON.stringify({ ...config, spec: { ...config.spec, train: { ...config.spec.train, batchSize: -4 } } }));
    const before = snapshot(broken);
    for (const args of [
      ['train', '--resume', broken, '--steps', '20'],
      ['eval', broken, '--lengths', '2'],
      ['report', broken],
    ]) {
      const e = await engramInProcess(args);
      expect(e.status, e.stderr).toBe(2);
      const lines = e.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('engram: backend '));
      expect(lines).toEqual([expect.stringMatching(/config\.json: spec\.train\.batchSize: .*; the run directory is damaged or was edited/)]);
      expect(snapshot(broken)).toEqual(before);
    }
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
