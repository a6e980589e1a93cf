#!/usr/bin/env node
// Runs the CLI in this same process, so signals such as Ctrl-C reach the training loop directly
// and it can checkpoint before exiting. In the workspace it runs the TypeScript sources through
// tsx's loader (no build step); installed from npm, the package holds only the built dist/.
import { existsSync } from 'node:fs';

// The parent this process started under: training stops if it goes (see commands/train.ts).
process.env.ENGRAM_PARENT_PID = String(process.ppid);

const source = new URL('../src/cli.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/cli.js'));
}
process.exit(await main(process.argv.slice(2)));
