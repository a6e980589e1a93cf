import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { train } from '../src/commands/train.ts';
import { report } from '../src/commands/report.ts';
import { evaluateRun } from '../src/commands/eval.ts';
import { loadExperiment } from '../src/experiment.ts';
import { exportRun } from '../src/commands/export.ts';
import { filesUnder, tempDir, tinyCopyExperiment, writeExperiment } from './cliHelpers.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

describe('engram report --format json|csv: the traced example as data', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes every series with the model's shapes, and csv holds the same numbers as json", { timeout: 60_000 }, async () => {
    const exp = writeExperiment(
      dir,
      'data',
      tinyCopyExperiment({ name: 'data', model: { kind: 'ntm', controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4, readHeads: 2 } } }),
    );
    const { dir: run } = await train(exp, { out: join(dir, 'results'), backend: 'cpu' });
    const [jsonPath] = await report(run, { format: 'json' });
    const [csvPath] = await report(run, { format: 'csv' });
    const data = JSON.parse(readFileSync(jsonPath as string, 'utf8'));
    const t = data.inputs.length;
    expect(data).toMatchObject({ experiment: 'data', variant: 'default', seed: 1 });
    expect(data.readWeights).toHaveLength(2); // [R][T][N]
    expect(data.readWeights[1]).toHaveLength(t);
    expect(data.readWeights[1][0]).toHaveLength(8);
    expect(data.readVectors[0][0]).toHaveLength(4); // [R][T][M]
    expect(data.writeWeights[0][t - 1].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
    expect(data.outputs[0].every((p: number) => p > 0 && p < 1)).toBe(true);
    const rows = parse(readFileSync(csvPath as string, 'utf8'), { columns: true }) as {
      series: string;
      head: string;
      t: string;
      index: string;
      value: string;
    }[];
    const read = rows.find((r) => r.series === 'read' && r.head === '1' && r.t === '2' && r.index === '5');
    expect(Number(read?.value)).toBeCloseTo(data.readWeights[1][2][5], 6);
    expect(rows.filter((r) => r.series === 'input')).toHaveLength(t * data.inputs[0].length);
  });

  it('an unknown format is a one-line error naming --format, before anything is written', async () => {
    const before = filesUnder(dir).length;
    await expect(report(join(dir, 'nowhere'), { format: 'pdf' })).rejects.toThrow(/^--format: unknown format 'pdf'; use one of svg, json, csv$/);
    expect(filesUnder(dir).length).toBe(before);
  });
});

describe('a task of your own: task.kind "module"', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("trains, evaluates and reports examples/custom-task/reverse.mjs; the run records the module's absolute path", { timeout: 60_000 }, async () => {
    // in place: the module imports @engram/tensor, which resolves inside the workspace
    const { dir: run, outcome } = await train(join(EXAMPLES, 'custom-task', 'reverse.json'), { out: join(dir, 'results'), backend: 'cpu', steps: 3 });
    expect(outcome.step).toBe(3);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.spec.task.module).toBe(join(EXAMPLES, 'custom-task', 'reverse.mjs'));
    const [r6] = await evaluateRun(run, { lengths: [6], count: 8 });
    expect(r6?.cost).toBeGreaterThan(0);
    const files = await report(run, {});
    expect(files.some((f) => f.endsWith('example.txt'))).toBe(true);
  });

  it('a missing module field, a module with a stray kind, a missing file and a bad export are one-line errors', async () => {
    const bad = (task: unknown, name: string) => {
      const p = join(dir, `${name}.json`);
      writeFileSync(p, JSON.stringify({ ...tinyCopyExperiment({ name }), task }));
      return p;
    };
    expect(() => loadExperiment(bad({ kind: 'module' }, 'm1'))).toThrow(/^m1\.task\.module: missing; is required with kind "module"/);
    expect(() => loadExperiment(bad({ kind: 'copy', module: './x.mjs' }, 'm2'))).toThrow(/^m2\.task\.module: .*is only read with kind "module"/);
    await expect(train(bad({ kind: 'module', module: './nope.mjs' }, 'm3'), { out: join(dir, 'bad'), backend: 'cpu' })).rejects.toThrow(
      /^task\.module: .*nope\.mjs does not exist; give the path/,
    );
    writeFileSync(join(dir, 'notask.mjs'), 'export default { name: "x" };\n');
    await expect(train(bad({ kind: 'module', module: './notask.mjs' }, 'm4'), { out: join(dir, 'bad'), backend: 'cpu' })).rejects.toThrow(
      /^task\.module: .*notask\.mjs's default export is not a task definition \(missing defaults, make/,
    );
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});

describe("engram export: a run's trained model without its checkpoint", () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes model.json + weights.bin without optimizer state; eval and report of a run holding only model/ give the same numbers', {
    timeout: 60_000,
  }, async () => {
    const exp = writeExperiment(dir, 'exp', tinyCopyExperiment({ name: 'exp' }));
    const { dir: run } = await train(exp, { out: join(dir, 'results'), backend: 'cpu' });
    const before = await evaluateRun(run, { lengths: [3], count: 16 });
    const out = await exportRun(run, { backend: 'cpu' });
    expect(out).toBe(join(run, 'model'));
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(json.format).toBe('engram-checkpoint-v1');
    expect(json.modelTopology.engram.memory).toEqual({ slots: 8, width: 4 });
    const names = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    expect(names.some((n: string) => n.startsWith('optimizer/'))).toBe(false);
    expect(json.userDefinedMetadata).toMatchObject({ experiment: 'exp', seed: 1, step: 12 });
    renameSync(join(run, 'checkpoint'), join(dir, 'moved-checkpoint')); // as a committed reference result ships
    const after = await evaluateRun(run, { lengths: [3], count: 16 });
    expect(after).toEqual(before);
    expect((await report(run, { format: 'json' })).length).toBe(1);
    await expect(exportRun(run)).rejects.toThrow(/^<run>: .* has no checkpoint to export; its trained model is already in/);
  });
});
