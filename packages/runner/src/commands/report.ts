import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngramError, initBackend } from '@engram/tensor';
import { exampleCsv, exampleJson, REPORT_FORMATS, type ReportFormat } from '../exampleData.ts';
import { readMetrics, readRun } from '../runs.ts';
import { dncStateSvg, learningCurveSvg, weightingsSvg } from '../plots/index.ts';
import { traceExample } from '../trace.ts';

export { traceExample, type TracedExample } from '../trace.ts';

/**
 * `engram report <run>`: writes plots/learning-curve.svg (loss and cost against sequences,
 * evaluation and training), plots/weightings-head<h>.svg (write and read weightings over time
 * for one example, with its inputs, targets and outputs, as in the NTM paper's figures), for a
 * DNC plots/dnc-state.svg (usage over time, read modes per read head, the link matrix at the
 * last step) and plots/example.txt. With `format` json or csv it writes the traced example as
 * data instead (plots/example.json, plots/example.csv: see exampleData.ts). Returns the files written.
 */
export async function report(runDir: string, o: { backend?: string; format?: string } = {}): Promise<string[]> {
  const format = (o.format ?? 'svg') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new EngramError('--format', `unknown format '${o.format}'`, `use one of ${REPORT_FORMATS.join(', ')}`);
  const { dir, config } = readRun(runDir);
  await initBackend(o.backend);
  if (format !== 'svg') {
    const example = await traceExample(dir);
    if (!example) return [];
    mkdirSync(join(dir, 'plots'), { recursive: true });
    const path = join(dir, 'plots', `example.${format}`);
    const source = { experiment: config.experiment, variant: config.variant, seed: config.seed };
    writeFileSync(path, format === 'json' ? exampleJson(example, source) : exampleCsv(example));
    return [path];
  }
  const plots = join(dir, 'plots');
  mkdirSync(plots, { recursive: true });
  const files: string[] = [];
  const rows = readMetrics(dir).flatMap((r) => [
    { step: r.step, sequences: r.sequences, loss: r.loss, cost: r.cost, kind: 'eval' as const },
    ...(Number.isFinite(r.train_loss) ? [{ step: r.step, sequences: r.sequences, loss: r.train_loss, cost: r.train_cost, kind: 'train' as const }] : []),
  ]);
  if (rows.length) {
    const path = join(plots, 'learning-curve.svg');
    writeFileSync(path, await learningCurveSvg(rows, { title: `${config.experiment} / ${config.variant} / seed ${config.seed}` }));
    files.push(path);
  }
  const example = await traceExample(dir);
  if (example) {
    const heads = Math.max(example.writeWeights.length, example.readWeights.length);
    for (let h = 0; h < heads; h++) {
      const path = join(plots, `weightings-head${h}.svg`);
      writeFileSync(
        path,
        await weightingsSvg({
          inputs: example.inputs,
          targets: example.targets,
          outputs: example.outputs,
          writeWeights: example.writeWeights[Math.min(h, example.writeWeights.length - 1)] as number[][],
          readWeights: example.readWeights[Math.min(h, example.readWeights.length - 1)] as number[][],
          title: `${config.experiment} / ${config.variant}: write head ${Math.min(h, example.writeWeights.length - 1)}, read head ${Math.min(h, example.readWeights.length - 1)}`,
        }),
      );
      files.push(path);
    }
    if (example.dnc) {
      const path = join(plots, 'dnc-state.svg');
      writeFileSync(path, await dncStateSvg({ ...example.dnc, title: `${config.experiment} / ${config.variant}: DNC usage, read modes and links` }));
      files.push(path);
    }
    const text = join(plots, 'example.txt');
    writeFileSync(text, `${example.text}\n`);
    files.push(text);
  }
  return files;
}
