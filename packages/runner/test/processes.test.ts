import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, SLOW_TRAIN, startEngram, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

/** The pids of `pid`'s children (pgrep -P), or none. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const waitFor = async (f: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return f();
};

/** Training children end with their parent (issue 15, item 3). */
describe('no training process outlives its parent', () => {
  const dir = tempDir();
  const out = join(dir, 'results');
  const env = { ...process.env, ENGRAM_BACKEND: process.env['ENGRAM_BACKEND'] ?? 'wasm' };
  const slow = (name: string) => writeExperiment(dir, name, tinyCopyExperiment({ name, seeds: [1, 2], train: SLOW_TRAIN }));

  it('compare --jobs 2: when one child is killed, the other is stopped and compare names the signal', { timeout: 150_000 }, async () => {
    const compare = startEngram(['compare', slow('two-slow'), '--out', out, '--jobs', '2']);
    const pid = compare.child.pid as number;
    expect(
      await waitFor(() => childrenOf(pid).length === 2 && (compare.stderr().match(/engram: training two-slow/g) ?? []).length === 2, 90_000),
      compare.stderr(),
    ).toBe(true);
    const [victim, other] = childrenOf(pid) as [number, number];
    process.kill(victim, 'SIGKILL');
    expect((await compare.exited).code).toBe(2);
    expect(compare.stderr()).toMatch(/engram: compare: engram train .* was killed by SIGKILL/);
    expect(await waitFor(() => !alive(other), 20_000), 'the other child still runs').toBe(true);
  });

  it('train: losing the parent (a wrapper killed without passing the signal on) stops training like SIGHUP', { timeout: 90_000 }, async () => {
    // a shell that starts engram in the background and exits: engram's parent is gone
    const exp = slow('orphan');
    const shell = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" train "${exp}" --out "${out}" --no-report & echo $!; sleep 3`], { env });
    let pid = 0;
    shell.stdout.on('data', (d) => {
      pid ||= Number(String(d).trim());
    });
    await new Promise((ok) => shell.on('exit', ok));
    expect(pid).toBeGreaterThan(0);
    expect(await waitFor(() => !alive(pid), 30_000), 'the orphaned training still runs').toBe(true);
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
