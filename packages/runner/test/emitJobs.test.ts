import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { BIN, engram, letRpcThrough, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

// engram compare --emit: the commands a job system runs, and the merge of what they wrote.
// The GNU parallel test needs Debian's `parallel` (.ci/run installs it when missing).
const dir = tempDir('engram-emit-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(letRpcThrough);

const study = writeExperiment(
  dir,
  'study',
  tinyCopyExperiment({
    name: 'study',
    train: { steps: 60, batchSize: 4, optimizer: { kind: 'adam', lr: 0.01 }, evalEvery: 20, evalSequences: 16, checkpointEvery: 5 },
    variants: [{ name: 'a' }, { name: 'b', train: { optimizer: { kind: 'adam', lr: 0.003 } } }],
    seeds: [1, 2],
  }),
);

/** The columns of runs.csv that do not depend on timing, by variant and seed. */
function table(out: string): Record<string, unknown>[] {
  const rows = parse(readFileSync(join(out, 'study', 'runs.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  return rows
    .map((r) => ({
      variant: r['variant'],
      seed: r['seed'],
      solved: r['solved'],
      sequencesToSolve: r['sequencesToSolve'],
      finalCost: r['finalCost'],
      generalisation: r['generalisation'],
      steps: r['steps'],
    }))
    .sort((x, y) => `${x.variant}${x.seed}`.localeCompare(`${y.variant}${y.seed}`));
}

/** Run directories of one variant and seed under out/study. */
const runsOf = (out: string, variant: string, seed: number) =>
  (existsSync(join(out, 'study')) ? readdirSync(join(out, 'study')) : [])
    .filter((n) => n.startsWith(`${variant}-seed${seed}-`))
    .map((n) => join(out, 'study', n));

describe('engram compare --emit jobs|slurm', () => {
  it('jobs: one command per missing (variant, seed), absolute paths, nothing trained or written', () => {
    const out = join(dir, 'emit-only');
    const r = engram(['compare', study, '--emit', 'jobs', '--out', out, '--backend', 'cpu']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`node ${BIN} train ${study} --variant a --seed 1 --out ${out} --no-report --backend cpu`);
    expect(lines[3]).toContain('--variant b --seed 2');
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toContain('4 run(s) of study to do');
  });

  it('slurm without a finished run needs --time-per-task; with flags it is an array script with %L', () => {
    const out = join(dir, 'emit-slurm');
    const refused = engram(['compare', study, '--emit', 'slurm', '--out', out]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^engram: --time-per-task: no finished run of study to measure the time per task from; pass --time-per-task MINUTES/);
    expect(existsSync(out)).toBe(false);
    const r = engram(['compare', study, '--emit', 'slurm', '--out', out, '--time-per-task', '90', '--mem-per-task', '2048', '--max-parallel', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^#!\/bin\/bash\n#SBATCH --job-name=engram-study\n#SBATCH --array=0-3%3\n#SBATCH --time=01:30:00\n#SBATCH --mem=2048M\n/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the bash expansion the script must hold
    expect(r.stdout).toContain('eval "${commands[$SLURM_ARRAY_TASK_ID]}"');
    const bash = spawnSync('bash', ['-n'], { input: r.stdout, encoding: 'utf8' });
    expect(bash.status).toBe(0); // the script parses
    const bad = engram(['compare', study, '--emit', 'pbs', '--out', out]);
    expect(bad.stderr.trim()).toBe("engram: --emit: unknown kind 'pbs'; use one of jobs, slurm");
  });

  it('options one mode reads are refused in the others, not ignored', () => {
    const out = join(dir, 'refused');
    const cases: [string[], RegExp][] = [
      [['--emit', 'jobs', '--time-per-task', '10'], /^engram: --time-per-task: is only read with --emit slurm; add --emit slurm, or drop --time-per-task$/],
      [['--no-train', '--max-parallel', '3'], /^engram: --max-parallel: is only read with --emit slurm/],
      [['--emit', 'jobs', '--jobs', '2'], /^engram: --jobs: trains runs here, but --emit trains nothing/],
      [['--engram', 'engram'], /^engram: --engram: only shapes the commands --emit writes and --no-train prints/],
    ];
    for (const [flags, message] of cases) {
      const r = engram(['compare', study, '--out', out, ...flags]);
      expect(r.status, flags.join(' ')).toBe(2);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('engram: backend ')),
      ).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(message.source, 'm'));
    }
    expect(existsSync(out)).toBe(false);
  });

  it('through GNU parallel with one job killed midway: re-emitted as a resume, and the merged table equals compare --jobs 2', {
    timeout: 600_000,
  }, async () => {
    expect(spawnSync('parallel', ['--version'], { encoding: 'utf8' }).status, 'GNU parallel is not installed (apt-get install parallel)').toBe(0);
    const out = join(dir, 'cluster');
    const jobs = join(dir, 'jobs.txt');
    writeFileSync(jobs, engram(['compare', study, '--emit', 'jobs', '--out', out, '--backend', 'cpu']).stdout);
    const parallel = spawn('parallel', ['-j', '2', '--joblog', join(dir, 'joblog'), '::::', jobs], { stdio: 'ignore' });
    // kill variant b seed 2 (SIGKILL, as a scheduler's time limit would) once it has a checkpoint and before it ends
    let killed = false;
    while (parallel.exitCode === null && !killed) {
      const [run] = runsOf(out, 'b', 2);
      if (run && existsSync(join(run, 'checkpoint', 'latest')) && !existsSync(join(run, 'outcome.json'))) {
        killed = spawnSync('pkill', ['-KILL', '-f', `variant b --seed 2 --out ${out}`]).status === 0;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => (parallel.exitCode === null ? parallel.on('exit', r) : r(null)));
    expect(killed).toBe(true);
    const [killedRun] = runsOf(out, 'b', 2);
    expect(existsSync(join(killedRun as string, 'outcome.json'))).toBe(false);

    const merged = engram(['compare', study, '--no-train', '--out', out, '--backend', 'cpu']);
    expect(merged.status).toBe(0); // the three finished runs make a table; the missing one is named
    expect(merged.stderr).toContain(`unfinished (resumable): study/${killedRun?.split('/').at(-1)}: b seed 2; run: node ${BIN} train --resume ${killedRun}`);

    const again = engram(['compare', study, '--emit', 'jobs', '--out', out, '--backend', 'cpu']).stdout.trim().split('\n');
    expect(again).toEqual([`node ${BIN} train --resume ${killedRun} --no-report --backend cpu`]);
    expect(spawnSync('bash', ['-c', again[0] as string], { encoding: 'utf8' }).status).toBe(0);
    expect(engram(['compare', study, '--emit', 'jobs', '--out', out]).stdout).toBe('');
    expect(engram(['compare', study, '--no-train', '--out', out, '--backend', 'cpu']).status).toBe(0);

    const local = join(dir, 'local');
    expect(engram(['compare', study, '--jobs', '2', '--out', local, '--backend', 'cpu']).status).toBe(0);
    expect(table(out)).toEqual(table(local));
    expect(runsOf(out, 'b', 2)).toHaveLength(1); // resumed in place, not retrained beside it
  });
});
