import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const fixture = join(import.meta.dirname, 'fixtures', 'chooseBackend.ts');

function choose(env: Record<string, string>, arg?: string) {
  const { ENGRAM_BACKEND: _drop, ...rest } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture, ...(arg ? [arg] : [])], {
    encoding: 'utf8',
    env: { ...rest, ...env },
    cwd: join(import.meta.dirname, '..'),
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe('backend choice in a fresh process', () => {
  it('ENGRAM_BACKEND picks the backend and the choice is printed exactly once', () => {
    const r = choose({ ENGRAM_BACKEND: 'cpu' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('cpu');
    expect(r.stderr.match(/engram: backend cpu \(requested by ENGRAM_BACKEND\)/g)).toHaveLength(1);
  });

  it('an explicit argument overrides the environment', () => {
    const r = choose({ ENGRAM_BACKEND: 'cpu' }, 'wasm');
    expect(r.stdout).toBe('wasm');
    expect(r.stderr).toContain('engram: backend wasm (requested by --backend)');
  });

  it('automatic choice falls back to the embedded default only when tfjs-node does not load, and says why', () => {
    const r = choose({});
    expect(r.status).toBe(0);
    if (r.stdout === 'tensorflow') {
      expect(r.stderr).toContain('tfjs-node loaded');
    } else {
      expect(r.stdout).toBe('wasm');
      expect(r.stderr).toMatch(/engram: backend wasm \(embedded default; tfjs-node not loadable: /);
    }
  });

  it('asking for a backend that cannot load is an error with the cause, not a fallback', () => {
    const auto = choose({});
    if (auto.stdout === 'tensorflow') return; // tfjs-node works on this machine: nothing to refuse
    const r = choose({ ENGRAM_BACKEND: 'node' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ENGRAM_BACKEND: backend 'node' cannot load \(.+\); install a working @tensorflow\/tfjs-node/);
  });
});
