import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { engram, engramInProcess, filesUnder, letRpcThrough, SLOW_TRAIN, startEngram, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

type Row = Record<string, number>;
const metrics = (dir: string) => parse(readFileSync(join(dir, 'metrics.csv'), 'utf8'), { columns: true, cast: true }) as Row[];
const runDirOf = (stdout: string) => (/^run: (.+)$/m.exec(stdout)?.[1] ?? '').trim();
const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);
const outcomeOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8'));

/** The real `engram` binary on tiny configurations, end to end. */
describe('engram CLI', () => {
  beforeEach(letRpcThrough);
  const dir = tempDir();
  const out = join(dir, 'results');
  const exp = writeExperiment(dir, 'tiny', tinyCopyExperiment());

  it('help lists every subcommand and each subcommand its flags', async () => {
    const top = engram(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['train', 'eval', 'compare', 'report', 'list']) expect(top.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    const v = engram(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^engram \d+\.\d+\.\d+ \(TensorFlow\.js 4\.\d+\.\d+, Node v\d+/);
    // the subcommands' help in this process (the binary's start is covered above)
    const train = await engramInProcess(['train', '--help']);
    expect(train.status).toBe(0);
    expect(train.stdout).toMatch(/--batch <n>\s+sequences per training step \(default: the experiment's\s+train\.batchSize\)/);
    for (const f of ['--seed', '--steps', '--batch', '--lr', '--backend', '--out', '--resume']) expect(train.stdout).toContain(f);
    expect((await engramInProcess(['eval', '--help'])).stdout).toContain('--lengths');
  });

  it('a DNC experiment (memory.kind dnc) trains, and report draws its usage, read modes and links', () => {
    const dnc = writeExperiment(
      dir,
      'tiny-dnc',
      tinyCopyExperiment({
        name: 'tiny-dnc',
        model: { kind: 'ntm', controller: { kind: 'lstm', units: 16 }, memory: { kind: 'dnc', slots: 8, width: 4, readHeads: 2, sharpness: true } },
      }),
    );
    const r = engram(['train', dnc, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const run = runDirOf(r.stdout);
    for (const f of ['plots/weightings-head0.svg', 'plots/weightings-head1.svg', 'plots/dnc-state.svg']) expect(existsSync(join(run, f)), f).toBe(true);
    const svg = readFileSync(join(run, 'plots/dnc-state.svg'), 'utf8');
    for (const label of ['usage', 'link at the last step', 'read head 1 modes']) expect(svg).toContain(label);
    expect(readFileSync(join(run, 'summary.md'), 'utf8')).toContain('DNC memory 8 x 4, 2 read / 1 write heads, DNC-MD: sharpness');
  });

  let first = '';
  it('train writes config, metrics, checkpoint, plots and summary; eval, report and list read the run', () => {
    const r = engram(['train', exp, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^finished step 12: cost \d+\.\d+ bits\/sequence on fresh data/m);
    expect(lastLine(r.stdout)).toMatch(/^(solved at \d+ sequences, \d+ s|not solved within the cap \(12 steps, 48 sequences\))$/);
    first = runDirOf(r.stdout);
    expect(first.startsWith(join(out, 'tiny-copy'))).toBe(true);
    const config = JSON.parse(readFileSync(join(first, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ experiment: 'tiny-copy', variant: 'default', seed: 1, backend: expect.any(String) });
    expect(config.versions.tfjs).toMatch(/^4\./);
    const header = readFileSync(join(first, 'metrics.csv'), 'utf8').split('\n')[0];
    expect(header?.startsWith('step,sequences,loss,cost')).toBe(true);
    expect(metrics(first).map((m) => m.step)).toEqual([6, 12]);
    expect(existsSync(join(first, 'checkpoint'))).toBe(true);
    for (const f of ['summary.md', 'plots/learning-curve.svg', 'plots/weightings-head0.svg', 'plots/example.txt'])
      expect(existsSync(join(first, f)), f).toBe(true);
    expect(readFileSync(join(first, 'plots/weightings-head0.svg'), 'utf8')).toMatch(/^<svg/);

    const e = engram(['eval', first, '--lengths', '2,5', '--count', '8']);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^\s+2\s+\d+\.\d{3}$/m);
    expect(e.stdout).toMatch(/^\s+5\s+\d+\.\d{3}$/m);
    expect(readFileSync(join(first, 'eval.csv'), 'utf8').split('\n')[0]).toBe('length,cost,loss,sequences,step');
    // two lengths: the cost-per-length curve, with the training maximum (3) marked
    const curve = readFileSync(join(first, 'plots', 'generalisation.svg'), 'utf8');
    expect(curve).toMatch(/^<svg/);
    expect(curve).toContain('trained up to 3');
    // --set: an option the task lacks, or a value its validation refuses, is a one-line error (exit 2) and eval.csv stays
    const before = readFileSync(join(first, 'eval.csv'), 'utf8');
    const unknown = engram(['eval', first, '--lengths', '2', '--count', '8', '--set', 'maxRepeats=20']);
    expect([unknown.status, unknown.stderr.trim()]).toEqual([
      2,
      expect.stringMatching(/^engram: --set: 'maxRepeats' is not an option of this task.*use one of bits/),
    ]);
    const refused = engram(['eval', first, '--lengths', '2', '--count', '8', '--set', 'bits=0']);
    expect([refused.status, refused.stderr.trim()]).toEqual([2, expect.stringMatching(/task\.options\.bits/)]);
    expect(readFileSync(join(first, 'eval.csv'), 'utf8')).toBe(before);

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
    const slow = writeExperiment(dir, 'slow', tinyCopyExperiment({ train: SLOW_TRAIN }));
    const running = startEngram(['train', slow, '--out', out, '--no-report']);
    await running.stderrMatches(/engram: training/);
    await new Promise((r) => setTimeout(r, 1500));
    // The bin wrapper forwards nothing itself: signal the whole process group like a terminal does.
    running.child.kill('SIGINT');
    const { code } = await running.exited;
    const stdout = running.stdout();
    expect(code, running.stderr()).toBe(130);
    expect(stdout).toMatch(/^interrupted at step (\d+)/m);
    expect(stdout).toMatch(/^continue with: engram train --resume .+ --steps 1000000$/m);
    expect(lastLine(stdout)).toMatch(/^(solved at \d+ sequences, \d+ s|not solved yet: interrupted at step \d+ \(\d+ sequences\); continue with --resume)$/);
    const step = Number(/^interrupted at step (\d+)/m.exec(stdout)?.[1]);
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(1_000_000);
    const run = runDirOf(stdout);
    expect(readdirSync(join(run, 'checkpoint')).some((f) => f.includes(String(step)))).toBe(true);
    const resumed = engram(['train', '--resume', run, '--steps', String(step + 2), '--no-report']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^finished step ${step + 2}:`, 'm'));
  });

  it("Ctrl-C between evaluations, then --resume: metrics.csv equals an uninterrupted run's, row for row", async () => {
    const body = tinyCopyExperiment({
      name: 'tiny-window',
      model: { kind: 'ntm', controller: { kind: 'lstm', units: 64 }, memory: { slots: 32, width: 8 } },
      train: { steps: 300, batchSize: 8, evalEvery: 100, evalSequences: 8, checkpointEvery: 100 },
    });
    const windowed = writeExperiment(dir, 'window', body);
    const through = engram(['train', windowed, '--out', out, '--no-report']);
    expect(through.status, through.stderr).toBe(0);
    const interrupted = startEngram(['train', windowed, '--out', out, '--no-report']);
    // interrupt after the first evaluation (step 100), before the second
    await interrupted.stderrMatches(/step 100: eval/);
    await new Promise((r) => setTimeout(r, 100));
    interrupted.child.kill('SIGINT');
    expect((await interrupted.exited).code, interrupted.stderr()).toBe(130);
    const stdout = interrupted.stdout();
    const step = Number(/^interrupted at step (\d+)/m.exec(stdout)?.[1]);
    expect(step).toBeGreaterThan(100);
    expect(step).toBeLessThan(200);
    const run = runDirOf(stdout);
    const resumed = engram(['train', '--resume', run, '--steps', '300', '--no-report']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const cols = (rows: Row[]) => rows.map((m) => [m.step, m.sequences, m.loss, m.cost, m.train_loss, m.train_cost]);
    expect(cols(metrics(run))).toEqual(cols(metrics(runDirOf(through.stdout))));
  }, 180_000);

  for (const [signal, exitCode] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} stops like Ctrl-C: checkpoint at the current step, outcome and summary written, exit ${exitCode}`, async () => {
      const slow = writeExperiment(dir, `slow-${signal}`, tinyCopyExperiment({ train: SLOW_TRAIN }));
      const running = startEngram(['train', slow, '--out', out, '--no-report']);
      await running.stderrMatches(/engram: training/);
      await new Promise((r) => setTimeout(r, 1500));
      running.child.kill(signal);
      const { code } = await running.exited;
      const stdout = running.stdout();
      expect(code, running.stderr()).toBe(exitCode);
      expect(running.stderr()).toContain(`engram: got ${signal}; finishing the step and saving a checkpoint`);
      const step = Number(/^interrupted at step (\d+)/m.exec(stdout)?.[1]);
      expect(step).toBeGreaterThan(0);
      const run = runDirOf(stdout);
      expect(readdirSync(join(run, 'checkpoint')).some((f) => f.includes(String(step)))).toBe(true);
      expect(outcomeOf(run)).toMatchObject({ step, interrupted: true });
      expect(existsSync(join(run, 'summary.md'))).toBe(true);
    });
  }

  it('a second Ctrl-C ends the process at once, even inside the final evaluation', async () => {
    // a huge evaluation: the first Ctrl-C stops training, the final evaluation then takes long
    const slowEval = writeExperiment(dir, 'slow-eval', tinyCopyExperiment({ train: { ...SLOW_TRAIN, evalSequences: 200000 } }));
    const running = startEngram(['train', slowEval, '--out', out, '--no-report']);
    await running.stderrMatches(/engram: training/);
    await new Promise((r) => setTimeout(r, 1000));
    running.child.kill('SIGINT');
    await running.stderrMatches(/saving a checkpoint/);
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    running.child.kill('SIGINT');
    const { code, signal: sig } = await running.exited;
    expect(Date.now() - sent).toBeLessThan(3000);
    expect(code === 130 || sig === 'SIGINT', `code ${code}, signal ${sig}`).toBe(true);
  });

  it('train.stopWhen ends the run at the first evaluation below it; resuming the solved run is refused', () => {
    // Every evaluation is below 1000 bits per sequence: the run stops at the first one (step 3).
    const stop = writeExperiment(
      dir,
      'stop',
      tinyCopyExperiment({
        name: 'tiny-stop',
        eval: undefined,
        train: { steps: 12, batchSize: 4, evalEvery: 3, evalSequences: 8, checkpointEvery: 100, stopWhen: { cost: 1000 } },
      }),
    );
    const r = engram(['train', stop, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^finished step 3: cost /m);
    expect(lastLine(r.stdout)).toMatch(/^solved at 12 sequences, \d+ s$/);
    const run = runDirOf(r.stdout);
    expect(metrics(run).map((m) => m.step)).toEqual([3]);
    expect(readdirSync(join(run, 'checkpoint')).some((f) => f.includes('3'))).toBe(true);
    const o = outcomeOf(run);
    expect(o).toMatchObject({
      step: 3,
      sequences: 12,
      interrupted: false,
      stopWhen: { cost: 1000 },
      solvedAt: { step: 3, sequences: 12, seconds: expect.any(Number) },
      solved: { sequences: 12 },
    });
    const summary = readFileSync(join(run, 'summary.md'), 'utf8');
    expect(summary).toContain('- training: 3 of 12 steps (stopped when solved: train.stopWhen),');
    expect(summary).toMatch(/^\| solved \(< 1000 bits\/sequence, train\.stopWhen\) \| solved at 12 sequences, \d+ s \|$/m);

    const before = filesUnder(run).map((f) => [f, statSync(f).mtimeMs, readFileSync(f, 'utf8').length]);
    const again = engram(['train', '--resume', run, '--steps', '20', '--no-report']);
    expect(again.status).toBe(2);
    const lines = again.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('engram: backend '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^engram: --resume: the run already stopped solved at step 3 \(12 sequences, cost \d+\.\d{4} < train\.stopWhen\.cost 1000\); it is finished; to train past the threshold, start a new run/,
    );
    expect(filesUnder(run).map((f) => [f, statSync(f).mtimeMs, readFileSync(f, 'utf8').length])).toEqual(before);
  });

  it('train.stopWhen that no evaluation meets: the run goes to the cap and says it is not solved', () => {
    const never = writeExperiment(
      dir,
      'never',
      tinyCopyExperiment({
        name: 'tiny-never',
        eval: undefined,
        train: { steps: 4, batchSize: 4, evalEvery: 2, evalSequences: 16, checkpointEvery: 100, stopWhen: { cost: 1e-9 } },
      }),
    );
    const r = engram(['train', never, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe('not solved within the cap (4 steps, 16 sequences)');
    const run = runDirOf(r.stdout);
    expect(metrics(run).map((m) => m.step)).toEqual([2, 4]);
    expect(outcomeOf(run)).toMatchObject({ step: 4, sequences: 16, interrupted: false, stopWhen: { cost: 1e-9 }, solvedAt: null });
    expect(outcomeOf(run)).not.toHaveProperty('solved');
    const summary = readFileSync(join(run, 'summary.md'), 'utf8');
    expect(summary).toContain('- training: 4 of 4 steps, 16 sequences');
    expect(summary).toContain('| solved (< 1e-9 bits/sequence, train.stopWhen) | not solved within the cap (4 steps, 16 sequences) |');
  });

  it('a curriculum grows the maximum length as the training cost falls', () => {
    const cur = writeExperiment(
      dir,
      'cur',
      tinyCopyExperiment({
        task: { kind: 'copy', options: { bits: 3, minLength: 1, maxLength: 4 } },
        train: { steps: 8, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 8 },
        curriculum: { start: 1, step: 1, threshold: 1000 },
      }),
    );
    const r = engram(['train', cur, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(metrics(runDirOf(r.stdout)).map((m) => m.max_length)).toEqual([1, 2, 3, 4]);
    expect(r.stderr).toContain('curriculum: training cost');
  });

  it('ngrams runs record the optimal estimator beside the model cost', () => {
    const ng = writeExperiment(
      dir,
      'ng',
      tinyCopyExperiment({
        name: 'tiny-ngrams',
        task: { kind: 'ngrams', options: { order: 3, length: 20 } },
        eval: undefined,
        train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 8, checkpointEvery: 2 },
      }),
    );
    const r = engram(['train', ng, '--out', out, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    const [m] = metrics(runDirOf(r.stdout));
    expect(m?.optimal_cost).toBeGreaterThan(0);
    expect(m?.cost).toBeGreaterThan(0);
    expect(readFileSync(join(runDirOf(r.stdout), 'summary.md'), 'utf8')).toContain('optimal Bayesian estimator');
  });

  it('compare trains what is missing, reuses finished runs, and tabulates variants and seeds', async () => {
    // hard trains on shorter sequences: the generalisation plot marks each variant's longest
    const variants = [{ name: 'soft' }, { name: 'hard', task: { options: { maxLength: 2 } }, model: { memory: { readMode: 'hard', writeMode: 'hard' } } }];
    const body = tinyCopyExperiment({
      name: 'tiny-two',
      seeds: [1, 2],
      train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 },
      eval: { lengths: [2, 3, 4], count: 4 },
      variants,
      figures: [{ name: 'hard-alone', variants: ['hard'] }],
    });
    const two = writeExperiment(dir, 'two', body);
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
    // rows per step from one traced example per run, kept in touched.json: hard heads address 1 row of 8
    expect(table[0]).toMatch(/,read_rows_per_step,write_rows_per_step,slots$/);
    expect(table[2]).toMatch(/,1,1,8$/);
    expect(Number(table[1]?.split(',').at(-3))).toBeGreaterThan(1);
    const hardRun = readdirSync(join(out, 'tiny-two')).find((d) => d.startsWith('hard-seed1'));
    expect(JSON.parse(readFileSync(join(out, 'tiny-two', hardRun as string, 'touched.json'), 'utf8'))).toMatchObject({ read: 1, write: 1, slots: 8 });
    const summary = readFileSync(join(out, 'tiny-two', 'summary.md'), 'utf8');
    expect(summary).toContain('Regenerate: `engram compare');
    expect(summary).toMatch(/Budget: 4 training sequences per run \(2 steps of 2/);
    expect(summary).toMatch(/weightings-(soft|hard)-(solved|failed)\.svg/);
    expect(summary).toMatch(/^\| hard \| `hard` \| \d\/2 \| 0 \| .* \| 1\.0 \/ 1\.0 of 8 \|/m);
    // three evaluated lengths: per length each variant's median (min-max) of its runs' eval.csv costs, and the curve
    const generalisation = readFileSync(join(out, 'tiny-two', 'plots', 'generalisation-copy.svg'), 'utf8');
    expect(generalisation).toContain('trained up to 2 (hard)');
    expect(generalisation).toContain('trained up to 3 (soft)');
    expect(summary).toContain('Trained up to 2 (hard), 3 (soft);');
    expect(summary).toContain('| length | soft (2 seeds) | hard (2 seeds) |');
    const perRun = parse(readFileSync(join(out, 'tiny-two', 'runs.csv'), 'utf8'), { columns: true }) as { variant: string; generalisation: string }[];
    const cell = (variant: string, l: string) => {
      const [a, b] = perRun.filter((x) => x.variant === variant).map((x) => (JSON.parse(x.generalisation) as Record<string, number>)[l] as number) as [
        number,
        number,
      ];
      return `${((a + b) / 2).toFixed(3)}${a.toFixed(3) === b.toFixed(3) ? '' : ` (${Math.min(a, b).toFixed(3)}-${Math.max(a, b).toFixed(3)})`}`;
    };
    for (const l of ['2', '3', '4']) expect(summary).toContain(`| ${l} | ${cell('soft', l)} | ${cell('hard', l)} |`);
    expect(summary).toContain('![generalisation](plots/generalisation-copy.svg)');
    // a figure draws the variants it names and no other
    expect(summary).toContain('## Figures');
    expect(summary).toContain('![hard-alone](plots/figure-hard-alone.svg)');
    const figure = readFileSync(join(out, 'tiny-two', 'plots', 'figure-hard-alone.svg'), 'utf8');
    expect(figure).toMatch(/>hard</);
    expect(figure).not.toMatch(/>soft</);
    expect(readFileSync(join(out, 'tiny-two', 'plots', 'curves-copy.svg'), 'utf8')).toMatch(/>soft</);
    const again = engram(['compare', two, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('missing run');
    const runs = readdirSync(join(out, 'tiny-two')).filter((d) => d.includes('-seed'));
    expect(runs).toHaveLength(4);
    // a later sitting on a fresh clone has no checkpoints (git-ignored): the study keeps the
    // weighting plots and the rows touched that the first sitting drew and cached
    for (const d of runs) rmSync(join(out, 'tiny-two', d, 'checkpoint'), { recursive: true, force: true });
    const later = await engramInProcess(['compare', two, '--out', out, '--no-train']);
    expect(later.status, later.stderr).toBe(0);
    const laterSummary = readFileSync(join(out, 'tiny-two', 'summary.md'), 'utf8');
    const links = (md: string) => md.match(/weightings-(soft|hard)-(solved|failed)\.svg/g)?.sort();
    expect(links(laterSummary)).toEqual(links(summary));
    expect(laterSummary).toContain(`| 4 | ${cell('soft', '4')} | ${cell('hard', '4')} |`);
    expect(readFileSync(join(out, 'tiny-two', 'table.csv'), 'utf8').split('\n')[2]).toMatch(/,1,1,8$/);
    // a figure naming a variant with no finished run yet draws the others and says which one is missing
    const withThird = writeExperiment(dir, 'two', {
      ...body,
      variants: [...variants, { name: 'third', model: { memory: { slots: 6 } } }],
      figures: [{ name: 'with-third', variants: ['hard', 'third'] }],
    });
    const pending = await engramInProcess(['compare', withThird, '--out', out, '--no-train']);
    expect(pending.status, pending.stderr).toBe(0);
    expect(readFileSync(join(out, 'tiny-two', 'summary.md'), 'utf8')).toContain('No finished runs yet of third.');
    expect(readFileSync(join(out, 'tiny-two', 'plots', 'figure-with-third.svg'), 'utf8')).toMatch(/>hard</);
  });

  it('compare of run directories from two experiments keeps them apart: one row per experiment and variant', () => {
    const one = engram([
      'train',
      writeExperiment(
        dir,
        'exp-a',
        tinyCopyExperiment({ name: 'exp-a', train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 } }),
      ),
      '--out',
      out,
      '--no-report',
    ]);
    const two = engram([
      'train',
      writeExperiment(
        dir,
        'exp-b',
        tinyCopyExperiment({ name: 'exp-b', train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 } }),
      ),
      '--out',
      out,
      '--no-report',
    ]);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    const r = engram(['compare', runDirOf(one.stdout), runDirOf(two.stdout)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| exp-a\/default \| \d\/1 \|/m);
    expect(r.stdout).toMatch(/^\| exp-b\/default \| \d\/1 \|/m);
  });

  it('compare counts a run that stopped solved as finished and solves by the train.stopWhen threshold', () => {
    const early = writeExperiment(
      dir,
      'early',
      tinyCopyExperiment({
        name: 'tiny-early',
        eval: undefined,
        train: { steps: 6, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 100, stopWhen: { cost: 1000 } },
      }),
    );
    const r = engram(['compare', early, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('training 1 missing run(s)');
    // Solved by 1000 bits per sequence (at the default 0.1 it would not be), at the first evaluation.
    expect(r.stdout).toMatch(/^\| default \| 1\/1 \| 4 \|/m);
    const summary = readFileSync(join(out, 'tiny-early', 'summary.md'), 'utf8');
    expect(summary).toContain('"Solved": below 1000 bits per sequence on 4 fresh sequences at an evaluation (train.stopWhen.cost; training ends there).');
    expect(summary).toContain('a run stops early when solved (train.stopWhen) or diverged');
    const again = engram(['compare', early, '--out', out]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('missing run');
    expect(again.stderr).not.toContain('did not finish');
    expect(readdirSync(join(out, 'tiny-early')).filter((d) => d.includes('-seed'))).toHaveLength(1);
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
