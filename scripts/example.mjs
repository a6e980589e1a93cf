#!/usr/bin/env node
// Runs one of examples/ from the workspace sources (through tsx, no build):
//   npx -y pnpm@10 example own-loop | layers-cell | custom-task
// custom-task trains examples/custom-task/reverse.json with the engram CLI (extra flags pass on).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const [name, ...rest] = process.argv.slice(2);
const names = ['own-loop', 'layers-cell', 'custom-task'];
if (!name || !names.includes(name)) {
  process.stderr.write(`example: ${name ? `no example named '${name}'` : 'missing name'}; use one of ${names.join(', ')}\n`);
  process.exit(2);
}
const args =
  name === 'custom-task'
    ? [join(root, 'packages/runner/bin/engram.js'), 'train', join(root, 'examples/custom-task/reverse.json'), ...rest]
    : ['--import', 'tsx', join(root, 'examples', `${name}.mjs`), ...rest];
if (!existsSync(args[args[0] === '--import' ? 2 : 0])) throw new Error(`example file missing: ${args[0]}`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: process.cwd() });
process.exit(r.status ?? 1);
