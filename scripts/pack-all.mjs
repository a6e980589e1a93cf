#!/usr/bin/env node
// Builds every publishable package (tsc -b: ESM JavaScript and .d.ts into each package's dist/)
// and packs each into a tarball with pnpm pack, which swaps `workspace:*` for real versions and
// applies each package's publishConfig (exports pointing at dist/). Usage:
//   node scripts/pack-all.mjs [destination]     (default: packs/, git-ignored)
// Prints the tarballs' paths, one per line, on stdout.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dest = resolve(process.argv[2] ?? join(root, 'packs'));
mkdirSync(dest, { recursive: true });

/** The packages tsconfig.build.json builds, in dependency order. */
const dirs = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')).references.map((r) => join(root, r.path, '..'));
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
execFileSync(npx, ['tsc', '-b', join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
for (const dir of dirs) {
  execFileSync(npx, ['-y', 'pnpm@10', 'pack', '--pack-destination', dest], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}
const names = new Set(
  dirs.map((d) =>
    JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'))
      .name.replace('@', '')
      .replace('/', '-'),
  ),
);
for (const f of readdirSync(dest).sort()) {
  if ([...names].some((n) => f.startsWith(`${n}-`) && f.endsWith('.tgz'))) console.log(join(dest, f));
}
