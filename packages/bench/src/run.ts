/**
 * Benchmark runner: `pnpm bench <name> [options]`. Each benchmark runs the backends in separate
 * processes (a process keeps one backend), then writes a CSV and a markdown summary under
 * results/bench/.
 *
 *   pnpm bench step [--backends cpu,wasm] [--repeats 30]        MemoryAccess.step timing
 *   pnpm bench train-step [--backends cpu,wasm] [--repeats 5]   NTM training step at copy settings
 *   pnpm bench throughput [--backends cpu,wasm] [--batches 1,32] [--kernels fused,reference]
 *                                                  training sequences/s, copy lengths 1-20, fused vs reference
 *                       [--threads 2]              one thread against the batch split over 2 (or, with --peer, engram on 2)
 *   pnpm bench profile [--backends cpu,wasm] [--batches 1,32] [--kernels fused] [--top 12]
 *                                                  top tfjs kernels by total time in one training step
 *   pnpm bench converge [--backends wasm] [--experiments copy,associative-recall] [--seeds 1,2,3,4,5]
 *                       [--max-minutes 10[,5]] [--batch B] [--lr X] [--jobs 2] [--tag name]
 *                                                  wall time and sequences until solved, per seed;
 *                                                  --jobs J splits the seeds over J processes (one per core)
 *   pnpm bench scale [--backends wasm] [--slots 128,1024,8192,65536] [--modes soft,topk,sam] [--k 8] [--batch 1] [--length 20]
 *                                                  step time, peak memory, read+write time vs N, soft vs top-k
 *
 * --tag name writes results/bench/<bench>-<name>.{csv,md} instead (tuning runs beside the reference one).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { stringify } from 'csv-stringify/sync';
import { median } from './benchArgs.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const outDir = join(root, 'results', 'bench');

type Row = Record<string, unknown>;

/** fused/reference throughput ratio per backend and batch. */
function throughputRatios(rows: Row[]): string[] {
  if (rows.some((r) => r['mode'] === 'side-by-side')) {
    return [
      '',
      '| backend | batch | engram threads | engram seq/s | pytorch-ntm seq/s | engram / pytorch-ntm |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${String(r['backend'])} | ${String(r['batch'])} | ${String(r['engramThreads'] ?? 1)} | ${Number(r['engramSequencesPerS']).toFixed(1)} | ${Number(r['pytorchNtmSequencesPerS']).toFixed(1)} | ${Number(r['ratio']).toFixed(2)}x |`,
      ),
    ];
  }
  if (rows.some((r) => r['mode'] === 'threads-ab')) {
    return [
      '',
      '| backend | batch | threads | one thread seq/s | threads seq/s | threads / one |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${String(r['backend'])} | ${String(r['batch'])} | ${String(r['threads'])} | ${Number(r['oneThreadSequencesPerS']).toFixed(1)} | ${Number(r['threadsSequencesPerS']).toFixed(1)} | ${Number(r['ratio']).toFixed(2)}x |`,
      ),
    ];
  }
  const lines = ['', '| backend | memory | batch | fused seq/s | reference seq/s | fused / reference |', '| --- | --- | --- | --- | --- | --- |'];
  const memoryOf = (x: Row) => String(x['memory'] ?? 'ntm');
  for (const r of rows.filter((x) => x['kernels'] === 'fused')) {
    const ref = rows.find((x) => x['kernels'] === 'reference' && x['backend'] === r['backend'] && x['batch'] === r['batch'] && memoryOf(x) === memoryOf(r));
    if (!ref) continue;
    const f = r['sequencesPerS'] as number;
    const g = ref['sequencesPerS'] as number;
    lines.push(`| ${String(r['backend'])} | ${memoryOf(r)} | ${String(r['batch'])} | ${f.toFixed(2)} | ${g.toFixed(2)} | ${(f / g).toFixed(2)}x |`);
  }
  return lines.length > 3 ? lines : [];
}

/** Per experiment: seeds solved, median and worst time and sequences to solve. */
function convergeSummary(rows: Row[]): string[] {
  const lines = [
    '',
    '| backend | experiment | batch | lr | solved | median s to solve | max s (solved) | median sequences | max sequences | all seeds within |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const keys = [...new Set(rows.map((r) => `${String(r['backend'])}|${String(r['experiment'])}|${String(r['batch'])}|${String(r['lr'])}`))];
  for (const key of keys) {
    const [backend, experiment, batch, lr] = key.split('|');
    const rs = rows.filter((r) => `${String(r['backend'])}|${String(r['experiment'])}|${String(r['batch'])}|${String(r['lr'])}` === key);
    const ok = rs.filter((r) => r['solved'] === true);
    // an unsolved seed counts as "more than its budget" for the median
    const times = rs.map((r) => (r['solved'] ? (r['seconds'] as number) : Infinity));
    const seqs = rs.map((r) => (r['solved'] ? (r['sequences'] as number) : Infinity));
    const f = (v: number | undefined, d = 0) => (v === undefined ? '-' : Number.isFinite(v) ? v.toFixed(d) : 'unsolved');
    const maxOk = (xs: number[]) => (xs.length ? Math.max(...xs) : undefined);
    lines.push(
      `| ${backend} | ${experiment} | ${batch} | ${lr} | ${ok.length}/${rs.length} | ${f(median(times))} | ${f(maxOk(ok.map((r) => r['seconds'] as number)))} | ${f(median(seqs))} | ${f(maxOk(ok.map((r) => r['sequences'] as number)))} | ${ok.length === rs.length ? `${f(maxOk(times))} s` : 'no'} |`,
    );
  }
  return lines;
}

/** Per N: soft / top-k for the training step and for read + write. */
function scaleSummary(rows: Row[]): string[] {
  const lines = [
    '',
    '| backend | N | step soft ms | step top-k ms | soft / top-k (step) | read+write soft ms | read+write top-k ms | soft / top-k (read+write) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const soft of rows.filter((r) => r['mode'] === 'soft')) {
    // the NTM's top-k heads only: SAM has its own table below (and no read + write timing)
    const topk = rows.find((r) => String(r['mode']).startsWith('topk') && r['slots'] === soft['slots'] && r['backend'] === soft['backend']);
    if (!topk) continue;
    const n = (r: Row, c: string) => r[c] as number;
    lines.push(
      `| ${String(soft['backend'])} | ${String(soft['slots'])} | ${n(soft, 'stepMs').toFixed(0)} | ${n(topk, 'stepMs').toFixed(0)} | ${(n(soft, 'stepMs') / n(topk, 'stepMs')).toFixed(2)}x | ${n(soft, 'readWriteMs').toFixed(3)} | ${n(topk, 'readWriteMs').toFixed(3)} | ${(n(soft, 'readWriteMs') / n(topk, 'readWriteMs')).toFixed(1)}x |`,
    );
  }
  lines.push(
    '',
    '| backend | N | step soft ms | step SAM ms | soft / SAM (step) | peak MB soft | peak MB SAM | soft / SAM (peak) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const sam of rows.filter((r) => String(r['mode']).startsWith('sam'))) {
    const soft = rows.find((r) => r['mode'] === 'soft' && r['slots'] === sam['slots'] && r['backend'] === sam['backend']);
    const n = (r: Row | undefined, c: string) => (r ? (r[c] as number) : Number.NaN);
    const f = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    lines.push(
      `| ${String(sam['backend'])} | ${String(sam['slots'])} | ${f(n(soft, 'stepMs'), 0)} | ${f(n(sam, 'stepMs'), 0)} | ${f(n(soft, 'stepMs') / n(sam, 'stepMs'), 1)}x | ${f(n(soft, 'peakMB'), 1)} | ${f(n(sam, 'peakMB'), 1)} | ${f(n(soft, 'peakMB') / n(sam, 'peakMB'), 1)}x |`,
    );
  }
  return lines;
}

/** Per backend and batch: each memory's step time over the NTM's with as many read heads (the DNC's cost over the NTM's). */
function memoryRatios(rows: Row[]): string[] {
  const lines = ['', '| backend | batch | memory | median ms | / NTM with the same read heads |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const heads = String(r['memory']).endsWith('-r4') ? '-r4' : '';
    const ntm = rows.find((o) => o['backend'] === r['backend'] && o['batch'] === r['batch'] && o['memory'] === `ntm${heads}`);
    const ratio = ntm ? `${(Number(r['medianMs']) / Number(ntm['medianMs'])).toFixed(2)}x` : '';
    lines.push(`| ${String(r['backend'])} | ${String(r['batch'])} | ${String(r['memory'])} | ${Number(r['medianMs']).toFixed(0)} | ${ratio} |`);
  }
  return lines;
}

/** Per backend, batch and pass: the DNC's step time over the NTM's with the same heads. */
function stepRatios(rows: Row[]): string[] {
  const lines = ['| backend | batch | pass | NTM ms | DNC ms | DNC / NTM |', '| --- | --- | --- | --- | --- | --- |'];
  for (const d of rows.filter((r) => r['memory'] === 'dnc')) {
    const n = rows.find((o) => o['memory'] === 'ntm' && o['backend'] === d['backend'] && o['batch'] === d['batch'] && o['pass'] === d['pass']);
    if (!n) continue;
    lines.push(
      `| ${String(d['backend'])} | ${String(d['batch'])} | ${String(d['pass'])} | ${Number(n['medianMs']).toFixed(2)} | ${Number(d['medianMs']).toFixed(2)} | ${(Number(d['medianMs']) / Number(n['medianMs'])).toFixed(2)}x |`,
    );
  }
  return lines;
}

const BENCHES: Record<string, { script: string; describe: string; summarize?: (rows: Row[]) => string[] }> = {
  step: {
    script: 'stepTiming.ts',
    summarize: stepRatios,
    describe:
      'one memory step (N=128, M=20, 1 read + 1 write head, controller 100), forward and forward+backward, of the NTM (MemoryAccess) and the DNC (DncAccess) through the MemoryModule interface (--memories)',
  },
  'train-step': {
    script: 'trainStepTiming.ts',
    summarize: memoryRatios,
    describe:
      'one training step (LSTM 100, N=128, M=20, length-20 copy sequence = 41 time steps, Adam) of the NTM with 1 and 4 read heads and the DNC with 4 (--memories), alternating in one window',
  },
  throughput: {
    script: 'throughput.ts',
    summarize: throughputRatios,
    describe:
      'training sequences per second (sample + unroll + loss + gradients + clip 50 + Adam) of the NTM at the copy settings (LSTM 100, N=128, M=20, 1R+1W, shifts -1..1), copy lengths 1-20, memory kernels fused vs reference; median over timed blocks after warm-up',
  },
  converge: {
    script: 'converge.ts',
    summarize: convergeSummary,
    describe:
      "wall time and training sequences until the task is solved (< 0.1 bits/sequence on 640 fresh sequences, evaluation mode) with the experiment's own settings, one run per seed; the clock covers sampling, training and the solve checks (a full evaluation runs once the last 10 training batches average < 1 bit/sequence)",
  },
  scale: {
    script: 'scale.ts',
    summarize: scaleSummary,
    describe:
      'memory size scaling at the copy settings otherwise (LSTM 100, M=20, 1R+1W, batch 1, one length-20 copy sequence): training step time (upper median of the repeats), peak live-tensor memory during a step (tf.profile) and the backend heap, and one read + one write (forward + backward, given weights, no addressing) for soft and top-k (k=8) NTM heads; SAM (kind sam, top-8 content reads, one fused kernel per step) beside them; maxRssMB is the process peak so far (alone meaningful with one N and mode per run)',
  },
  profile: {
    script: 'profile.ts',
    describe:
      'top tfjs kernels by total time (calls, ms, share of the step) in one NTM training step on a length-20 copy sequence (41 time steps); "(outside kernels)" = engine, tape and JavaScript between kernels',
  },
  soak: {
    script: 'soak.ts',
    describe:
      "fault soak: training killed with SIGKILL at --kills random moments (default 100; also inside checkpoint writes, one every step) and resumed each time must end with the uninterrupted run's metrics, weights and outcome (packages/runner/test/randomKills.test.ts at scale)",
  },
};

function fail(message: string): never {
  process.stderr.write(`engram bench: ${message}\n`);
  process.exit(2);
}

const [name, ...rest] = process.argv.slice(2);
if (!name || !(name in BENCHES)) {
  fail(`unknown or missing benchmark '${name ?? ''}'; use one of: ${Object.keys(BENCHES).join(', ')}`);
}
const bench = BENCHES[name] as (typeof BENCHES)[string];
const flag = (n: string, fallback: string) => {
  const i = rest.indexOf(`--${n}`);
  return i >= 0 ? (rest[i + 1] ?? fail(`--${n} needs a value`)) : fallback;
};
const backends = flag('backends', name === 'converge' || name === 'scale' ? 'wasm' : name === 'soak' ? 'cpu' : 'cpu,wasm').split(',');
const tag = flag('tag', '');
const jobs = Number(flag('jobs', '1'));
if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs: ${flag('jobs', '1')} is not a positive integer; use e.g. --jobs 2`);
if (jobs > 1 && name !== 'converge') fail('--jobs: only converge runs in parallel (timings of the other benchmarks would disturb each other)');
const ours = new Set(['--backends', '--tag', '--jobs']);
// experiment paths are the user's: relative to where pnpm was started (INIT_CWD), not to the scripts' folder
const userCwd = process.env['INIT_CWD'] ?? process.cwd();
const passThrough = rest
  .filter((_, i) => !ours.has(rest[i] as string) && !ours.has(rest[i - 1] as string))
  .map((a, i, all) =>
    all[i - 1] === '--experiments'
      ? a
          .split(',')
          .map((e) => (e.endsWith('.json') || e.includes('/') ? resolve(userCwd, e) : e))
          .join(',')
      : a,
  );
const outName = tag ? `${name}-${tag}` : name;

/** Rows of every child so far, in the order they finished: written out after each one (a long run stopped midway keeps them). */
const finished: Row[] = [];

/** Runs the benchmark script in a child process and resolves to its JSON lines. */
function runChild(backend: string, args: readonly string[]): Promise<Row[]> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(here, bench.script), '--backend', backend, ...args], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const mine: Row[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const lines = (pending + d).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines.filter((x) => x.startsWith('{'))) {
        const row = JSON.parse(l) as Row;
        mine.push(row);
        finished.push(row);
        writeTables(finished, true);
      }
    });
    child.on('close', (code, signal) => {
      if (code !== 0) fail(`backend ${backend} failed (${signal ? `signal ${signal}` : `exit ${String(code)}`}; its error is printed above)`);
      if (pending.startsWith('{')) mine.push(JSON.parse(pending) as Row);
      done(mine);
    });
  });
}

/** The pass-through flags for job j of J: converge's --seeds dealt out round-robin. */
function jobArgs(j: number): string[] {
  if (jobs === 1) return passThrough;
  const seeds = flag('seeds', '1,2,3,4,5').split(',');
  const mine = seeds.filter((_, i) => i % jobs === j);
  const rest = passThrough.filter((a, i) => a !== '--seeds' && passThrough[i - 1] !== '--seeds');
  return mine.length ? [...rest, '--seeds', mine.join(',')] : [];
}

const rows: Row[] = [];
for (const backend of backends) {
  process.stderr.write(`bench ${name}: backend ${backend}${jobs > 1 ? `, ${jobs} processes` : ''}...\n`);
  const parts = await Promise.all(
    Array.from({ length: jobs }, (_, j) => jobArgs(j))
      .filter((a) => jobs === 1 || a.length)
      .map((args) => runChild(backend, args)),
  );
  // back in the order one process would have written them: experiments as listed, then seeds
  const order = flag('experiments', 'copy,associative-recall').split(',');
  const rank = (r: Row) => order.indexOf(String(r['experiment']));
  rows.push(...(jobs === 1 ? parts.flat() : parts.flat().sort((a, b) => rank(a) - rank(b) || (a['seed'] as number) - (b['seed'] as number))));
}

/** Writes <bench>[-tag].csv and .md; `partial` while runs are still going (the table says so). */
function writeTables(rows: readonly Row[], partial: boolean): string {
  mkdirSync(outDir, { recursive: true });
  const columns = Object.keys(rows[0] ?? {});
  writeFileSync(join(outDir, `${outName}.csv`), stringify(rows as Row[], { header: true, columns }));
  const fmt = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));
  const md = [
    `# bench: ${name}`,
    '',
    ...(partial ? [`**Partial**: the rows finished so far (${new Date().toISOString()}); the bench is still running or was stopped.`, ''] : []),
    `${bench.describe}${jobs > 1 ? `; ${jobs} processes side by side (one run per core)` : ''}. Command: \`pnpm bench ${[name, ...rest].join(' ')}\`.`,
    `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => fmt(r[c])).join(' | ')} |`),
    ...(bench.summarize?.([...rows]) ?? []),
    '',
  ].join('\n');
  writeFileSync(join(outDir, `${outName}.md`), md);
  return md;
}

process.stdout.write(writeTables(rows, false));
