import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { engramInProcess, filesUnder, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

/**
 * The bad-input contract over flags and damaged run directories, as properties (issue 15): for
 * any generated command line, and for any run directory damaged at random (files removed,
 * truncated, overwritten with junk), `engram` exits 0, or exits 2 with exactly one line on
 * stderr, and when it fails nothing that was already written has changed.
 */
const dir = tempDir('engram-props-cli-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in this process ({@link engramInProcess}): its exit code and stderr. */
async function engramIn(argv: string[]): Promise<{ code: number; stderr: string }> {
  const r = await engramInProcess(argv);
  return { code: r.status, stderr: r.stderr };
}

/** Every file under a directory with its content hash, to show what a failed command left alone. */
function snapshot(root: string): Record<string, string> {
  if (!existsSync(root)) return {};
  return Object.fromEntries(filesUnder(root).map((f) => [f, createHash('sha1').update(readFileSync(f)).digest('hex')]));
}

/** The lines a failure may print besides its one error line: the backend announcement. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l && !l.startsWith('engram: backend '));

const exp = writeExperiment(
  dir,
  'props',
  tinyCopyExperiment({ name: 'props', train: { steps: 2, batchSize: 2, evalEvery: 2, evalSequences: 4, checkpointEvery: 1 } }),
);
let pristine = '';

beforeAll(async () => {
  const r = await engramIn(['train', exp, '--out', join(dir, 'base'), '--backend', 'cpu', '--no-report']);
  expect(r.code).toBe(0);
  pristine = join(dir, 'base', 'props', readdirSync(join(dir, 'base', 'props'))[0] as string);
}, 60_000);

const flagValue = fc.oneof(
  fc.constantFrom('1', '2', '0', '-1', '1e9', '2.5', 'abc', '', 'NaN', '0x10', 'cpu', 'wasm', 'node', 'gpu', 'default', 'nope'),
  fc.integer({ min: -3, max: 5 }).map(String),
  fc.string({ maxLength: 6 }),
);
const FLAGS = ['--steps', '--batch', '--lr', '--seed', '--variant', '--backend', '--out', '--resume', '--bogus'];

describe('bad-input contract over flags and damaged runs, as properties', () => {
  it('any engram train command line: exit 0, or exit 2 with one line and nothing written', { timeout: 240_000 }, async () => {
    let n = 0;
    let ok = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...FLAGS), flagValue), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (flags, withExperiment) => {
          const out = join(dir, `flags-${n++}`);
          const argv = ['train', ...(withExperiment ? [exp] : []), '--no-report', ...flags.flatMap(([f, v]) => (f === '--out' ? ['--out', out] : [f, v]))];
          if (!argv.includes('--out')) argv.push('--out', out);
          if (!argv.includes('--backend')) argv.push('--backend', 'cpu');
          const before = snapshot(pristine);
          const r = await engramIn(argv);
          if (r.code === 0) ok++;
          else {
            expect(r.code, `${argv.join(' ')}\n${r.stderr}`).toBe(2);
            expect(errorLines(r.stderr), argv.join(' ')).toHaveLength(1);
            expect(existsSync(out) ? filesUnder(out) : [], argv.join(' ')).toEqual([]);
          }
          expect(snapshot(pristine)).toEqual(before); // --resume of junk never touches the finished run
        },
      ),
      { numRuns: 40, seed: 20261202 },
    );
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(n);
  });

  it('any damaged run directory: eval, report, resume and list exit 0 or 2 with one line, and a failure changes nothing', { timeout: 240_000 }, async () => {
    const codes: number[] = [];
    const files = filesUnder(pristine).map((f) => f.slice(pristine.length + 1));
    const damage = fc.record({
      file: fc.constantFrom(...files),
      how: fc.constantFrom('delete', 'truncate', 'junk', 'json'),
      at: fc.nat({ max: 400 }),
      junk: fc.string({ maxLength: 20 }),
      command: fc.constantFrom('eval', 'report', 'resume', 'list', 'export'),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 2 }), async (damages) => {
        const run = join(dir, 'damaged', String(n), 'props', 'run');
        cpSync(pristine, run, { recursive: true });
        for (const d of damages) {
          const f = join(run, d.file);
          if (!existsSync(f)) continue;
          if (d.how === 'delete') unlinkSync(f);
          else if (d.how === 'truncate') truncateSync(f, Math.min(d.at, statSync(f).size));
          else if (d.how === 'junk') writeFileSync(f, d.junk);
          else writeFileSync(f, JSON.stringify({ junk: d.junk, step: d.at }));
        }
        const c = damages[0]?.command as string;
        const argv =
          c === 'resume'
            ? ['train', '--resume', run, '--steps', '3', '--no-report']
            : c === 'list'
              ? ['list', '--out', join(dir, 'damaged', String(n))]
              : c === 'eval'
                ? ['eval', run, '--lengths', '2', '--count', '4']
                : c === 'export'
                  ? ['export', run, '--out', join(dir, 'damaged', String(n), 'exported')]
                  : ['report', run, '--format', 'json'];
        n++;
        const before = snapshot(run);
        const r = await engramIn([...argv, ...(c === 'list' ? [] : ['--backend', 'cpu'])]);
        const label = `${JSON.stringify(damages)} ${argv.join(' ')}\n${r.stderr}`;
        codes.push(r.code);
        expect([0, 2], label).toContain(r.code);
        if (r.code === 2) {
          expect(errorLines(r.stderr), label).toHaveLength(1);
          expect(snapshot(run), label).toEqual(before);
        }
      }),
      { numRuns: 40, seed: 20261202 },
    );
    // both outcomes occur: some damage is harmless to a command, some is refused
    expect(codes).toContain(0);
    expect(codes).toContain(2);
  });
});
