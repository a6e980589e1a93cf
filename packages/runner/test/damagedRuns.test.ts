import { beforeEach, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engram, letRpcThrough, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

/**
 * One bad file never breaks unrelated commands (issue 15, item 5): a diverged run (finalCost
 * null), a garbled outcome.json and a damaged config.json under the results root are named and
 * skipped by `engram list` and `engram compare`.
 */
describe('damaged runs are skipped and named', () => {
  beforeEach(letRpcThrough);
  const dir = tempDir();
  const out = join(dir, 'results');

  it('list and compare work around a diverged run, a garbled outcome.json and a damaged config.json', () => {
    const exp = writeExperiment(
      dir,
      'tiny',
      tinyCopyExperiment({ train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 }, eval: undefined }),
    );
    const first = engram(['compare', exp, '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    const runs = join(out, 'tiny-copy');
    const good = readdirSync(runs).find((d) => d.includes('-seed1-')) as string;
    // three damaged copies of the good run, under other experiments' folders
    const copy = (name: string) => {
      const to = join(out, 'other', name);
      mkdirSync(join(out, 'other'), { recursive: true });
      cpSync(join(runs, good), to, { recursive: true });
      return to;
    };
    const diverged = copy('default-seed7-diverged');
    const outcome = JSON.parse(readFileSync(join(diverged, 'outcome.json'), 'utf8'));
    writeFileSync(join(diverged, 'outcome.json'), JSON.stringify({ ...outcome, finalCost: null, diverged: { step: 2, message: 'loss is NaN' } }));
    writeFileSync(join(copy('default-seed8-garbled'), 'outcome.json'), '{"step": 2, "fin');
    writeFileSync(join(copy('default-seed9-config'), 'config.json'), '{ not json');

    const l = engram(['list', '--out', out]);
    expect(l.status, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/other\/default-seed7-diverged\s+\S+\s+step 2, diverged/);
    expect(l.stdout).toMatch(/other\/default-seed8-garbled\s+DAMAGED, skipped: outcome\.json is not valid JSON/);
    expect(l.stdout).toMatch(/other\/default-seed9-config\s+DAMAGED, skipped: config\.json is not valid JSON/);
    expect(l.stdout).toMatch(/tiny-copy\/default-seed1-\S+\s+\S+\s+step 2, cost \d/);

    const c = engram(['compare', exp, '--out', out]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stderr).not.toContain('missing run');
    expect(c.stderr).toContain('engram: skipping other/default-seed8-garbled: outcome.json is not valid JSON');
    expect(c.stderr).toContain('engram: skipping other/default-seed9-config: config.json is not valid JSON');
    expect(c.stdout).toMatch(/^\| default \| \d\/1 \|/m);
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
