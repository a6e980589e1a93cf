#!/usr/bin/env node
// Runs the TypeScript CLI from source in this same process (tsx's loader, no build step), so
// signals such as Ctrl-C reach the training loop directly and it can checkpoint before exiting.
import { register } from 'tsx/esm/api';

// The parent this process started under: training stops if it goes (see commands/train.ts).
process.env.ENGRAM_PARENT_PID = String(process.ppid);

register();
const { main } = await import('../src/cli.ts');
process.exit(await main(process.argv.slice(2)));
