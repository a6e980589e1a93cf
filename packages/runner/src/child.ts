import { fileURLToPath } from 'node:url';

/** Node arguments that run a TypeScript entry point through tsx from any working directory. */
export function tsxArgs(entry: URL | string): string[] {
  const file = typeof entry === 'string' ? entry : fileURLToPath(entry);
  return ['--import', import.meta.resolve('tsx'), file];
}
