import { beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { engram, engramInProcess, filesUnder, letRpcThrough, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

/**
 * Every bad input: one line on stderr naming the field, exit code 2, nothing written under --out.
 * Each case is [description, args (with OUT and EXP placeholders), expected message pattern].
 */
describe('engram: bad input is a one-line error, exit 2, nothing written', () => {
  beforeEach(letRpcThrough);
  const dir = tempDir();
  const out = join(dir, 'results');
  const base = tinyCopyExperiment();
  const exp = (name: string, body: unknown) => writeExperiment(dir, name, body);
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['fly'], /^engram: unknown command 'fly'/],
    ['unknown flag', ['train', 'copy', '--sped', '3'], /^engram: unknown option '--sped' \(Did you mean --seed\?\)$/],
    ['unknown task or experiment', ['train', 'juggling'], /^engram: experiment: no experiment or task named 'juggling'; use a \.json path or one of: copy,/],
    ['missing experiment file', ['train', join(dir, 'nope.json')], /^engram: experiment: file .*nope\.json does not exist/],
    ['malformed JSON', ['train', exp('broken', '{"name": "x",')], /^engram: broken\.json: is not valid JSON/],
    [
      'N < 1',
      ['train', exp('n0', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 0, width: 4 } } })],
      /^engram: n0\.model\.memory\.slots: got 0; Too small: expected number to be >=1/,
    ],
    [
      'shift range >= N',
      ['train', exp('shift', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 4, width: 4, shiftRange: 2 } } })],
      /^engram: model\.memory\.shiftRange: S=2 needs 2S\+1 <= N=4/,
    ],
    [
      'k > N',
      [
        'train',
        exp('k', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 4, width: 4, readMode: { kind: 'topk', k: 9 } } } }),
      ],
      /^engram: model\.memory\.readMode\[0\]\.k: k=9 is not an integer in 1\.\.N \(N=4\)/,
    ],
    [
      'negative lr in the file',
      ['train', exp('lr', { ...base, train: { ...(base['train'] as object), optimizer: { kind: 'adam', lr: -0.1 } } })],
      /^engram: lr\.train\.optimizer\.lr: got -0\.1; Too small/,
    ],
    [
      'a learning-rate schedule out of order',
      [
        'train',
        exp('sched', {
          ...base,
          train: {
            ...(base['train'] as object),
            optimizer: {
              kind: 'rmsprop',
              lrSchedule: [
                { afterStep: 8, lr: 1e-4 },
                { afterStep: 4, lr: 3e-5 },
              ],
            },
          },
        }),
      ],
      /^engram: sched\.train\.optimizer\.lrSchedule: got .*; list the changes by strictly increasing afterStep/,
    ],
    ['negative --lr', ['train', exp('ok', base), '--lr', '-1'], /^engram: --lr: -1 is not valid; use a positive learning rate/],
    [
      'non-integer --steps',
      ['train', exp('ok2', base), '--steps', '1.5'],
      /^engram: option '--steps <n>' argument '1\.5' is invalid\. --steps must be an integer/,
    ],
    ['unknown field', ['train', exp('extra', { ...base, modle: {} })], /^engram: extra\.modle: unknown field 'modle'; remove it/],
    [
      'a figure naming no variant of the experiment',
      ['compare', exp('fig', { ...base, variants: [{ name: 'a' }, { name: 'b' }], figures: [{ name: 'ab', variants: ['a', 'c'] }] }), '--out', out],
      /^engram: tiny-copy\.figures\.ab\.variants: names no variant 'c'; use the names of the experiment's variants: a, b$/,
    ],
    [
      'two figures of one name',
      [
        'compare',
        exp('fig2', {
          ...base,
          variants: [{ name: 'a' }],
          figures: [
            { name: 'x', variants: ['a'] },
            { name: 'x', variants: ['a'] },
          ],
        }),
        '--out',
        out,
      ],
      /^engram: fig2\.figures\.1\.name: .*figure name 'x' is used twice/,
    ],
    [
      'unknown variant',
      ['train', exp('ok3', base), '--variant', 'nope'],
      /^engram: --variant: experiment tiny-copy has no variant 'nope'; use one of: default/,
    ],
    ['unknown backend', ['train', exp('ok4', base), '--backend', 'gpu'], /^engram: --backend: unknown backend 'gpu'; use one of auto, node, wasm, webgl, cpu/],
    ['unknown run for eval', ['eval', join(dir, 'no-run')], /^engram: <run>: .*no-run is not a run directory \(no config\.json\)/],
    ['unknown run for report', ['report', join(dir, 'no-run')], /^engram: <run>: .*no-run is not a run directory/],
    [
      'bad --lengths',
      ['eval', join(dir, 'no-run'), '--lengths', '10,x'],
      /^engram: --lengths: '10,x' is not a comma-separated list of positive integers; e\.g\. --lengths 10,20,50,120$/,
    ],
    ['resume of a non-run', ['train', '--resume', join(dir, 'no-run'), '--steps', '5'], /^engram: --resume: .*no-run is not a run directory/],
    [
      'unknown task in a file',
      ['train', exp('task', { ...base, task: { kind: 'juggle' } })],
      /^engram: task\.task\.kind: got "juggle"; Invalid option: expected one of "copy"\|"repeat-copy"/,
    ],
    [
      'bad train.lengths',
      ['train', exp('lengths', { ...base, train: { ...(base.train as object), lengths: 'per-step' } })],
      /^engram: lengths\.train\.lengths: got "per-step"; .*"per-sequence"\|"per-batch"/,
    ],
    [
      'train.stopWhen.cost 0',
      ['train', exp('stop0', { ...base, train: { ...(base.train as object), stopWhen: { cost: 0 } } })],
      /^engram: stop0\.train\.stopWhen\.cost: got 0; use a positive cost in bits per sequence, e\.g\. \{ "cost": 0\.1 \}$/,
    ],
    [
      'negative train.stopWhen.cost',
      ['train', exp('stopneg', { ...base, train: { ...(base.train as object), stopWhen: { cost: -0.5 } } })],
      /^engram: stopneg\.train\.stopWhen\.cost: got -0\.5; use a positive cost in bits per sequence/,
    ],
    [
      'train.stopWhen.cost a string',
      ['train', exp('stopstr', { ...base, train: { ...(base.train as object), stopWhen: { cost: '0.1' } } })],
      /^engram: stopstr\.train\.stopWhen\.cost: got "0\.1"; use a positive cost in bits per sequence/,
    ],
    [
      'unknown field in train.stopWhen',
      ['train', exp('stopkey', { ...base, train: { ...(base.train as object), stopWhen: { cost: 0.1, loss: 0.01 } } })],
      /^engram: stopkey\.train\.stopWhen\.loss: unknown field 'loss'; remove it/,
    ],
    [
      'SAM memory with k above its slots',
      ['train', exp('samk', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { kind: 'sam', slots: 8, width: 4, k: 9 } } })],
      /^engram: samk\.model\.memory\.k: got 9; k must be at most slots/,
    ],
    [
      'SAM memory with two write heads',
      [
        'train',
        exp('samw', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { kind: 'sam', slots: 8, width: 4, writeHeads: 2 } } }),
      ],
      /^engram: samw\.model\.memory\.writeHeads: /,
    ],
    [
      'unknown memory kind',
      ['train', exp('memkind', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { kind: 'ram', slots: 8, width: 4 } } })],
      /^engram: memkind\.model\.memory\.kind: got "ram"; use one of ntm, dnc, sam \(default ntm\)$/,
    ],
    [
      'an NTM field on a DNC memory',
      [
        'train',
        exp('dncshift', {
          ...base,
          model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { kind: 'dnc', slots: 8, width: 4, shiftRange: 1 } },
        }),
      ],
      /^engram: dncshift\.model\.memory\.shiftRange: unknown field 'shiftRange'; remove it/,
    ],
    [
      'a row-norm floor above 1',
      ['train', exp('floor', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4, rowNormFloor: 3 } } })],
      /^engram: floor\.model\.memory\.rowNormFloor: got 3; Too big: expected number to be <=1/,
    ],
    [
      'a row-norm floor with the dot similarity',
      [
        'train',
        exp('floordot', {
          ...base,
          model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4, similarity: 'dot', rowNormFloor: 0.1 } },
        }),
      ],
      /^engram: model\.memory\.rowNormFloor: only the cosine similarity has a row-norm floor, not 'dot'; drop rowNormFloor or use similarity cosine$/,
    ],
    [
      'a DNC option on an NTM memory',
      ['train', exp('ntmmask', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4, masking: true } } })],
      /^engram: ntmmask\.model\.memory\.masking: unknown field 'masking'; remove it/,
    ],
    [
      'a DNC option that is not a boolean',
      [
        'train',
        exp('dncmask', {
          ...base,
          model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { kind: 'dnc', slots: 8, width: 4, sharpness: 'yes' } },
        }),
      ],
      /^engram: dncmask\.model\.memory\.sharpness: got "yes"; .*boolean/,
    ],
    [
      'train.gumbelTau rising (checked by the Trainer, before the run directory exists)',
      ['train', exp('tau', { ...base, train: { ...(base.train as object), gumbelTau: { start: 0.1, end: 1, steps: 10 } } })],
      /^engram: train\.gumbelTau: start 0\.1, end 1 is not a decreasing pair of positive temperatures/,
    ],
    [
      'two variants of one name',
      ['train', exp('dupvar', { ...base, variants: [{ name: 'a' }, { name: 'a' }] })],
      /^engram: dupvar\.variants\.1\.name: got "a"; variant name 'a' is used twice; give each variant its own name$/,
    ],
    [
      'a variant extending one that does not exist',
      ['train', exp('badext', { ...base, variants: [{ name: 'a' }, { name: 'b', extends: 'c' }] })],
      /^engram: [\w-]+\.variants\.b\.extends: names no variant of this experiment \('c'\); use one of: a, b$/,
    ],
    [
      'a variant taking a block that is not one of task, model, train, curriculum, eval',
      ['train', exp('badblock', { ...base, variants: [{ name: 'a' }, { name: 'b', extends: { optimizer: 'a' } }] })],
      /^engram: badblock\.variants\.1\.extends\.optimizer: unknown field 'optimizer'; an "extends" object maps blocks to variants: use task, model, train, curriculum or eval$/,
    ],
    ['a seed listed twice', ['train', exp('dupseed', { ...base, seeds: [1, 2, 1] })], /^engram: dupseed\.seeds: got \[1,2,1\]; list each seed once$/],
    [
      'a memory that cannot fit (1e7 slots)',
      ['train', exp('huge-n', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 1e7, width: 4 } } })],
      /^engram: model\.memory\.slots: this configuration needs about [\d.]+ GB to train .* but the \w+ backend can hold [\d.]+ GB on this machine \([\d.]+ GB of memory\); make it smaller/,
    ],
    [
      'a batch that cannot fit (1e6)',
      ['train', exp('huge-b', { ...base, train: { ...(base.train as object), batchSize: 1e6 } })],
      /^engram: train\.batchSize: this configuration needs about [\d.]+ GB/,
    ],
    [
      'a controller that cannot fit (1e6 units)',
      ['train', exp('huge-u', { ...base, model: { kind: 'ntm', controller: { kind: 'lstm', units: 1e6 }, memory: { slots: 8, width: 4 } } })],
      /^engram: model\.controller\.units: this configuration needs about [\d.]+ GB/,
    ],
    [
      'sequences that cannot fit (maxLength 1e7)',
      ['train', exp('huge-l', { ...base, task: { kind: 'copy', options: { bits: 3, minLength: 1, maxLength: 1e7 } } })],
      /^engram: task\.options \(the longest sequence: 20000001 time steps\): this configuration needs about/,
    ],
    [
      'inputs that cannot fit (bits 1e9)',
      ['train', exp('huge-x', { ...base, task: { kind: 'copy', options: { bits: 1e9, minLength: 1, maxLength: 3 } } })],
      /^engram: task\.options\.bits: this configuration needs about [\d.]+ GB/,
    ],
    [
      'bad task option',
      ['train', exp('topt', { ...base, task: { kind: 'copy', options: { maxLength: 0 } } })],
      /^engram: task\.options\.maxLength: 0 is not an integer >= 1; set maxLength to an integer >= 1$/,
    ],
  ];
  // every case through main() in this process; the first three also through the real binary,
  // whose exit code is main()'s handed to process.exit
  const throughBinary = new Set(['unknown flag', 'malformed JSON', 'a memory that cannot fit (1e7 slots)']);
  const runs = cases.flatMap(([what, args, pattern]) => [
    [what, args, pattern, engramInProcess] as const,
    ...(throughBinary.has(what) ? [[`${what} (the binary)`, args, pattern, async (a: string[]) => engram(a)] as const] : []),
  ]);
  for (const [what, args, pattern, run] of runs) {
    it(what, async () => {
      const r = await run([...args, ...(args[0] === 'train' || args[0] === 'compare' ? ['--out', out] : [])]);
      expect(r.status).toBe(2);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('engram: backend '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(filesUnder(dir).filter((f) => f.startsWith(out))).toEqual([]);
    });
  }
  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
