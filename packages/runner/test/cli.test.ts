import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { engram, tempDir, tinyCopyExperiment, writeExperiment, BIN } from './cliHelpers.ts';

type Row = Record<string, number>;
const metrics = (dir: string) => parse(readFileSync(join(dir, 'metrics.csv'), 'utf8'), { columns: true, cast: true }) as Row[];
const runDirOf = (stdout: string) => (/^run: (.+)$/m.exec(stdout)?.[1] ?? '').trim();

/** The real `engram` binary on tiny configurations, end to end. */
describe('engram CLI', () => {
  const dir = tempDir();
  const out = join(dir, 'results');
  const exp = writeExperiment(dir, 'tiny', tinyCopyExperiment());

  it('help lists every subcommand and each subcommand its flags', () => {
    const top = engram(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['train', 'eval', 'compare', 'report', 'list']) expect(top.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    const train = engram(['train', '--help']);
    for (const f of ['--seed', '--steps', '--batch', '--lr', '--backend', '--out', '--resume']) expect(train.stdout).toContain(f);
    expect(engram(['eval', '--help']).stdout).toContain('--lengths');
  });

  let first = '';
  it('train writes config, metrics, checkpoint, plots and summary; eval, report and list read the run', () => {
    const r = engram(['train', exp, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^finished step 12: cost \d+\.\d+ bits\/sequence on fresh data/m);
    first = runDirOf(r.stdout);
    expect(first.startsWith(join(out, 'tiny-copy'))).toBe(true);
    const config = JSON.parse(readFileSync(join(first, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ experiment: 'tiny-copy', variant: 'default', seed: 1, backend: expect.any(String) });
    expect(config.versions.tfjs).toMatch(/^4\./);
    const header = readFileSync(join(first, 'metrics.csv'), 'utf8').split('\n')[0];
    expect(header?.startsWith('step,sequences,loss,cost')).toBe(true);
    expect(metrics(first).map((m) => m.step)).toEqual([6, 12]);
    expect(existsSync(join(first, 'checkpoint'))).toBe(true);
    for (const f of ['summary.md', 'plots/learning-curve.svg', 'plots/weightings-head0.svg', 'plots/example.txt']) expect(existsSync(join(first, f)), f).toBe(true);
    expect(readFileSync(join(first, 'plots/weightings-head0.svg'), 'utf8')).toMatch(/^<svg/);

    const e = engram(['eval', first, '--lengths', '2,5', '--count', '8']);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^\s+2\s+\d+\.\d{3}$/m);
    expect(e.stdout).toMatch(/^\s+5\s+\d+\.\d{3}$/m);
    expect(readFileSync(join(first, 'eval.csv'), 'utf8').split('\n')[0]).toBe('length,cost,loss,sequences,step');

    const rep = engram(['report', first]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stdout).toContain('learning-curve.svg');

    const l = engram(['list', '--out', out]);
    expect(l.stdout).toMatch(/^Tasks:\n\s+copy\n\s+repeat-copy/);
    expect(l.stdout).toContain('tiny-copy/default-seed1-');
    expect(l.stdout).toMatch(/copy\s+copy, 1 variant\(s\), seeds 1,2,3,4,5/);
  });

  it('an interrupted and resumed run gives the same metrics as one that ran through', () => {
    const half = engram(['train', exp, '--out', out, '--steps', '6', '--no-report']);
    expect(half.status, half.stderr).toBe(0);
    const run = runDirOf(half.stdout);
    const resumed = engram(['train', '--resume', run, '--steps', '12', '--no-report']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(runDirOf(resumed.stdout)).toBe(run);
    const cols = (rows: Row[]) => rows.map((m) => [m.step, m.sequences, m.loss, m.cost, m.train_loss, m.train_cost]);
    expect(cols(metrics(run))).toEqual(cols(metrics(first)));
  });

  it('Ctrl-C saves a checkpoint and --resume continues the run', async () => {
    const slow = writeExperiment(dir, 'slow', tinyCopyExperiment({ train: { steps: 400, batchSize: 4, evalEvery: 1000, evalSequences: 8, checkpointEvery: 1000 } }));
    const child = spawn(process.execPath, [BIN, 'train', slow, '--out', out, '--no-report'], { env: { ...process.env, ENGRAM_BACKEND: process.env['ENGRAM_BACKEND'] ?? 'wasm' } });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    await new Promise<void>((ok) => child.stderr.on('data', (d) => { stderr += d; if (stderr.includes('engram: training')) ok(); }));
    await new Promise((r) => setTimeout(r, 1500));
    // The bin wrapper forwards nothing itself: signal the whole process group like a terminal does.
    child.kill('SIGINT');
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^interrupted at step (\d+)/m);
    const step = Number(/^interrupted at step (\d+)/m.exec(stdout)?.[1]);
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(400);
    const run = runDirOf(stdout);
    expect(readdirSync(join(run, 'checkpoint')).some((f) => f.includes(String(step)))).toBe(true);
    const resumed = engram(['train', '--resume', run, '--steps', String(step + 2), '--no-report']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^finished step ${step + 2}:`, 'm'));
  });

  it('a curriculum grows the maximum length as the training cost falls', () => {
    const cur = writeExperiment(dir, 'cur', tinyCopyExperiment({
      task: { kind: 'copy', options: { bits: 3, minLength: 1, maxLength: 4 } },
      train: { steps: 8, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 8 },
      curriculum: { start: 1, step: 1, threshold: 1000 },
    }));
    const r = engram(['train', cur, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(metrics(runDirOf(r.stdout)).map((m) => m.max_length)).toEqual([1, 2, 3, 4]);
    expect(r.stderr).toContain('curriculum: training cost');
  });

  it('ngrams runs record the optimal estimator beside the model cost', () => {
    const ng = writeExperiment(dir, 'ng', tinyCopyExperiment({
      name: 'tiny-ngrams', task: { kind: 'ngrams', options: { order: 3, length: 20 } }, eval: undefined,
      train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 8, checkpointEvery: 2 },
    }));
    const r = engram(['train', ng, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    const [m] = metrics(runDirOf(r.stdout));
    expect(m?.optimal_cost).toBeGreaterThan(0);
    expect(m?.cost).toBeGreaterThan(0);
    expect(readFileSync(join(runDirOf(r.stdout), 'summary.md'), 'utf8')).toContain('optimal Bayesian estimator');
  });

  it('compare trains what is missing, reuses finished runs, and tabulates variants and seeds', () => {
    const two = writeExperiment(dir, 'two', tinyCopyExperiment({
      name: 'tiny-two', seeds: [1, 2],
      train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 },
      eval: { lengths: [3], count: 4 },
      variants: [{ name: 'soft' }, { name: 'hard', model: { memory: { readMode: 'hard', writeMode: 'hard' } } }],
    }));
    const r = engram(['compare', two, '--out', out, '--jobs', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('training 4 missing run(s), 2 at a time');
    expect(r.stdout).toMatch(/^\| soft \| \d\/2 \|/m);
    expect(r.stdout).toMatch(/^\| hard \| \d\/2 \|/m);
    expect(r.stdout).toContain('gen. cost @3');
    for (const f of ['compare.md', 'runs.csv', 'table.csv', 'summary.md', 'plots/curves-copy.svg']) expect(existsSync(join(out, 'tiny-two', f)), f).toBe(true);
    const table = readFileSync(join(out, 'tiny-two', 'table.csv'), 'utf8').split('\n');
    expect(table[0]).toMatch(/^task,variant,mode,seeds,solved,diverged,median_sequences_to_solve,median_final_cost,gen_length_1,gen_cost_1/);
    expect(table[2]).toMatch(/^copy,hard,hard,2,\d,\d,/);
    const summary = readFileSync(join(out, 'tiny-two', 'summary.md'), 'utf8');
    expect(summary).toContain('Regenerate: `engram compare');
    expect(summary).toMatch(/Budget: 4 training sequences per run \(2 steps of 2/);
    expect(summary).toMatch(/weightings-(soft|hard)-(solved|failed)\.svg/);
    const again = engram(['compare', two, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('missing run');
    expect(readdirSync(join(out, 'tiny-two')).filter((d) => d.includes('-seed'))).toHaveLength(4);
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
