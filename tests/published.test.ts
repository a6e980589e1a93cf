import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packages as a user gets them: every publishable package built and packed (scripts/pack-all.mjs),
// the tarballs installed with plain npm into a new project outside the workspace, then used there
// with plain node and tsc. Needs the npm registry (for @tensorflow/tfjs and the other dependencies).
const ROOT = resolve(import.meta.dirname, '..');
const INSTALL_MS = 480_000;
let work: string;
let project: string;

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** tsc's errors by file: `file(line,col): error TSxxxx` lines. */
function tscErrors(tsconfig: string): string[] {
  const r = run('npx', ['tsc', '-p', tsconfig], project);
  return `${r.stdout}${r.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'engram-published-'));
  project = join(work, 'consumer');
  const tarballs = execFileSync('node', [join(ROOT, 'scripts/pack-all.mjs'), join(work, 'packs')], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .split('\n');
  expect(tarballs).toHaveLength(11);
  // the experiments packed into the CLI are removed again: the workspace reads the repository's own
  expect(existsSync(join(ROOT, 'packages', 'runner', 'experiments'))).toBe(false);
  cpSync(join(ROOT, 'tests/consumer'), project, { recursive: true });
  cpSync(join(ROOT, 'examples'), join(project, 'examples'), { recursive: true, filter: (p) => !p.includes('node_modules') && !p.endsWith('package.json') });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'engram-consumer', private: true, type: 'module' }));
  // tfjs-node (optional) would try to download libtensorflow from outside the registry: left out
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', ...tarballs, 'typescript@5.9'], {
    cwd: project,
    stdio: 'ignore',
    timeout: INSTALL_MS,
  });
}, INSTALL_MS + 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the published packages, installed with npm outside the workspace', () => {
  it('hold built JavaScript and declarations only: no TypeScript sources, tests or fixtures', () => {
    const files = execFileSync('tar', ['tzf', join(work, 'packs', 'engram-memory-0.1.0.tgz')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.some((f) => f.includes('/test/'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/@engram/memory/package.json'), 'utf8'));
    expect(pkg.exports['.'].import).toBe('./dist/index.js');
    expect(pkg.dependencies['@engram/tensor']).toBe('0.1.0'); // workspace:* became a real version
    expect(pkg.license).toBe('MIT');
  });

  it('(a) a plain .mjs script builds a MemoryAccess, steps it through time and trains it: the loss falls', () => {
    const r = run('node', ['examples/own-loop.mjs'], project);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    expect(r.status).toBe(0);
    expect(out.lastLoss).toBeLessThan(out.firstLoss * 0.8);
  });

  it('(b) a plain ESM script trains the tf.layers cell in tf.sequential, saves and reloads it', () => {
    const r = run('node', ['examples/layers-cell.mjs'], project);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    expect(r.status).toBe(0);
    expect(out.reloadedIdentical).toBe(true);
    expect(out.lastLoss).toBeLessThan(out.firstLoss);
  });

  it('(b) CommonJS: require() of the packages works (Node >= 20.19 loads ES modules synchronously)', () => {
    writeFileSync(
      join(project, 'plain.cjs'),
      [
        "const tf = require('@tensorflow/tfjs');",
        "const { MemoryAccess } = require('@engram/memory');",
        "const { engramCell } = require('@engram/model');",
        'const access = new MemoryAccess({ slots: 8, width: 4, controllerSize: 6 });',
        'const [reads] = access.step(tf.zeros([2, 6]), access.initialState(2));',
        'console.log(JSON.stringify({ reads: reads.shape, cell: typeof engramCell }));',
      ].join('\n'),
    );
    const r = run('node', ['--no-warnings', 'plain.cjs'], project);
    expect(r.stderr.split('\n').filter((l) => l && !/backend|tfjs-node|speed things up|github.com\/tensorflow|=====/.test(l))).toEqual([]);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) as string)).toEqual({ reads: [2, 1, 4], cell: 'function' });
  });

  it("(c) a TypeScript consumer type-checks with strict: no error in engram's declarations or in the consumer", () => {
    const mine = tscErrors('tsconfig.json');
    // @tensorflow/tfjs-layers 4.22's own .d.ts fail TS 5.9's strict lib check in any project that imports tfjs
    const tfjsAlone = tscErrors(writeBaseline());
    expect(mine.filter((l) => !l.startsWith('node_modules/@tensorflow/'))).toEqual([]);
    expect(mine).toEqual(tfjsAlone);
  });

  it('the engram CLI runs from the installed package: --version, list, a short training run, a task module', () => {
    expect(run('npx', ['engram', '--version'], project).stdout).toMatch(/^engram 0\.1\.0 \(TensorFlow\.js 4\.22\.0/);
    expect(run('npx', ['engram', 'list'], project).stdout).toContain('associative-recall');
    const copy = run('npx', ['engram', 'train', 'copy', '--steps', '2', '--out', 'results', '--no-report'], project);
    expect(copy.status).toBe(0);
    expect(copy.stdout).toContain('not solved within the cap (2 steps');
    const custom = run('npx', ['engram', 'train', 'examples/custom-task/reverse.json', '--steps', '2', '--out', 'results', '--no-report'], project);
    expect(custom.stderr).not.toContain('Error');
    expect(custom.status).toBe(0);
  });
});

/** Writes the tfjs-only project file and returns its name. */
function writeBaseline(): string {
  writeFileSync(join(project, 'tsconfig.tfjs.json'), JSON.stringify({ extends: './tsconfig.json', files: ['tfjs-only.ts'] }));
  return 'tsconfig.tfjs.json';
}
