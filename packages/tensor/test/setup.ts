import { beforeAll } from 'vitest';
import { initBackend } from '../src/index.ts';

// Every test file runs on the backend ENGRAM_BACKEND names, else the automatic choice.
beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
});
