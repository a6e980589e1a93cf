import { beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { engram, filesUnder, letRpcThrough, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

/**
 * Operating-system errors reaching the CLI are one line naming the path and the fix, never a
 * stack trace (issue 15, item 7): exit 2 for a bad path, the stack only under --debug.
 */
describe('engram: operating-system errors are one line', () => {
  beforeEach(letRpcThrough);
  const dir = tempDir();
  const exp = writeExperiment(dir, 'tiny', tinyCopyExperiment({ train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 2 } }));
  const oneLine = (stderr: string) =>
    stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('engram: backend '));

  it('--out that is a file, or under a file: ENOTDIR / EEXIST, exit 2, one line with the path', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const out of [file, join(file, 'below')]) {
      const r = engram(['train', exp, '--out', out, '--no-report']);
      expect(r.status, r.stderr).toBe(2);
      const lines = oneLine(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^engram: .*a-file.*: .*\((ENOTDIR|EEXIST)\); /);
    }
  });

  it('--out through a symlink loop: ELOOP, exit 2', () => {
    const loop = join(dir, 'loop');
    symlinkSync(loop, loop);
    const r = engram(['train', exp, '--out', join(loop, 'x'), '--no-report']);
    expect(r.status, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^engram: .*loop.*: is a loop of symbolic links \(ELOOP\); fix or remove the links$/)]);
  });

  it('--out in a read-only directory: EACCES, exit 2 (skipped as root, who may write anywhere)', () => {
    if (process.getuid?.() === 0) return;
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = engram(['train', exp, '--out', join(ro, 'results'), '--no-report']);
    chmodSync(ro, 0o700);
    expect(r.status, r.stderr).toBe(2);
    expect(oneLine(r.stderr)[0]).toMatch(/\(EACCES\); choose a directory you can write to/);
  });

  it('an experiment nested thousands of levels deep, at the top or inside task options: one line, exit 2, nothing written', () => {
    const nested = `${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`;
    const base = JSON.stringify(tinyCopyExperiment({ name: 'deep' }));
    for (const [name, text] of [
      ['deep-top', nested],
      ['deep-options', base.replace('"options":{', `"options":{"deep":${nested},`)],
    ] as [string, string][]) {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, text);
      const out = join(dir, `results-${name}`);
      const r = engram(['train', path, '--out', out, '--no-report']);
      expect(r.status, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(oneLine(r.stderr)[0]).toMatch(/^engram: \S+: /);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a full disk: one line naming the file it could not write, exit 1, no temporary files left (needs root for a 24 kB tmpfs; skipped otherwise)', () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', full], { stdio: 'ignore' });
    } catch {
      return; // no permission to mount here
    }
    try {
      const r = engram(['train', exp, '--out', join(full, 'results'), '--steps', '4', '--no-report']);
      expect(r.status, r.stderr).toBe(1);
      const lines = oneLine(r.stderr).filter((l) => !l.startsWith('engram: training') && !l.startsWith('step '));
      expect(lines).toEqual([expect.stringMatching(/^engram: \/.*: cannot be written: the disk is full \(ENOSPC\); free some space/)]);
      expect(filesUnder(full).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      execFileSync('umount', [full]);
    }
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
