import { fileURLToPath } from 'node:url';

/**
 * Node arguments that run an entry point of this package from any working directory: a `.ts`
 * file (the workspace runs from source) through tsx's loader, a built `.js` file as it is.
 */
export function nodeArgs(entry: URL | string): string[] {
  const file = typeof entry === 'string' ? entry : fileURLToPath(entry);
  return file.endsWith('.ts') ? ['--import', import.meta.resolve('tsx'), file] : [file];
}

/** The CLI's entry point beside this module: `cli.ts` from source, `cli.js` when built. */
export const CLI_ENTRY = fileURLToPath(new URL(`./cli${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
