import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', 'bin', 'engram.js');

/**
 * A hook for every test that calls {@link engram}: spawnSync blocks the vitest worker, and
 * back-to-back blocking tests answer none of its RPC for over 60 s on a loaded machine
 * ("Timeout calling onTaskUpdate"). A short timer lets the event loop poll between tests.
 */
export const letRpcThrough = () => new Promise((r) => setTimeout(r, 10));

/** Runs the real `engram` binary; returns exit status, stdout and stderr. */
export function engram(args: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeout ?? 240_000,
    env: { ...process.env, ENGRAM_BACKEND: process.env['ENGRAM_BACKEND'] ?? 'wasm', ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A running `engram` binary, for tests that signal it mid-run. */
export interface RunningEngram {
  readonly child: ChildProcess;
  /** Settles when the process ends; attached at spawn, so an early exit is never missed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches; rejects if the process ends first, naming its exit code. */
  stderrMatches(pattern: RegExp): Promise<void>;
}

/**
 * Training settings no tiny model finishes before a test has signalled it: a million steps, with
 * no evaluation or checkpoint in between (the whole-sequence kernel trains 400 tiny steps in ~1 s).
 */
export const SLOW_TRAIN = { steps: 1_000_000, batchSize: 4, evalEvery: 1_000_000, evalSequences: 8, checkpointEvery: 1_000_000 } as const;

/** Starts the real `engram` binary without waiting for it, collecting stdout and stderr; `env` adds to the environment. */
export function startEngram(args: string[], env: Record<string, string> = {}): RunningEngram {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ENGRAM_BACKEND: process.env['ENGRAM_BACKEND'] ?? 'wasm', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
  const stderrMatches = (pattern: RegExp) =>
    new Promise<void>((ok, fail) => {
      const check = () => {
        if (!pattern.test(stderr)) return;
        child.stderr.off('data', check);
        ok();
      };
      child.stderr.on('data', check);
      check();
      void exited.then(({ code, signal }) => fail(new Error(`engram ended (code ${code}, signal ${signal}) before stderr matched ${pattern}:\n${stderr}`)));
    });
  return { child, exited, stdout: () => stdout, stderr: () => stderr, stderrMatches };
}

/**
 * The CLI's `main` in this process, stdout and stderr captured. A spawned binary spends ~2 s
 * starting (tsx compiling the workspace, tfjs loading) before it reads its first flag; this
 * spends none, so a test can go through dozens of command lines. The status is what main
 * returns and bin/engram.js hands to process.exit; keep a few cases on {@link engram} to cover
 * that last step.
 */
export async function engramInProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { main } = await import('../src/cli.ts');
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array) => {
      into.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    const status = await main(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

export function tempDir(prefix = 'engram-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every file path under a directory (to show nothing was written). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Writes an experiment file into `dir` and returns its path. */
export function writeExperiment(dir: string, name: string, body: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return path;
}

/** A tiny copy experiment that trains in seconds. */
export function tinyCopyExperiment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny-copy',
    task: { kind: 'copy', options: { bits: 3, minLength: 1, maxLength: 3 } },
    model: { kind: 'ntm', controller: { kind: 'lstm', units: 16 }, memory: { slots: 8, width: 4 } },
    train: { steps: 12, batchSize: 4, optimizer: { kind: 'adam', lr: 0.01 }, evalEvery: 6, evalSequences: 16, checkpointEvery: 6 },
    eval: { lengths: [2, 5], count: 16 },
    seeds: [1],
    ...overrides,
  };
}
