/**
 * The fault soak: packages/runner/test/randomKills.test.ts with many more kills (--kills, default
 * 100): training killed with SIGKILL at random moments and resumed each time, until it ends with
 * the uninterrupted run's metrics, weights and outcome. One JSON line: kills asked, passed or not,
 * seconds.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { arg } from './benchArgs.ts';

const kills = Number(arg('kills', '100'));
if (!Number.isInteger(kills) || kills < 1) throw new Error(`--kills: ${kills} is not a positive integer`);
const root = join(import.meta.dirname, '..', '..', '..');
const t0 = performance.now();
const r = spawnSync('npx', ['vitest', 'run', 'packages/runner/test/randomKills.test.ts', '--reporter=dot'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, ENGRAM_SOAK_KILLS: String(kills), ENGRAM_SOAK_BACKEND: arg('backend', 'cpu') },
});
console.log(JSON.stringify({ backend: arg('backend', 'cpu'), kills, passed: r.status === 0, seconds: (performance.now() - t0) / 1000 }));
