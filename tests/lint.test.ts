import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Formatting and lint rules (biome.json) hold for every source file: `npx -y pnpm@10 lint`
// checks, `npx -y pnpm@10 format` rewrites.
describe('biome', () => {
  it('finds no formatting or lint problem (biome ci)', () => {
    const r = spawnSync('npx', ['biome', 'ci', '--max-diagnostics=20'], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });
});
