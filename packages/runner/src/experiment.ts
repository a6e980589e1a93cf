import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngramError } from '@engram/tensor';
import { schemaError } from './errors.ts';
import { experimentSchema, runSpecSchema, TASK_NAMES, VARIANT_BLOCKS, type Experiment, type RunSpec } from './schema.ts';

/** The runner package's own directory (this file is in its src/ or, installed, its dist/). */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Where the shipped experiment definitions live: the repository's experiments/ when running from
 * the workspace (the package has its src/), the copy packed into the package (`experiments/`,
 * made by its prepack script and removed by postpack) when installed from npm. The workspace
 * never reads a packed copy: it would go stale with the next edit of an experiment.
 */
export const EXPERIMENTS_DIR = existsSync(join(PACKAGE_DIR, 'src')) ? join(PACKAGE_DIR, '..', '..', 'experiments') : join(PACKAGE_DIR, 'experiments');

/** A loaded, validated experiment and the file it came from. */
export interface LoadedExperiment {
  readonly experiment: Experiment;
  readonly path: string;
}

/** Names of the shipped experiments (file names without .json). */
export function listExperiments(): string[] {
  if (!existsSync(EXPERIMENTS_DIR)) return [];
  return readdirSync(EXPERIMENTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Resolves `<experiment.json|name|task>`: a path to a JSON file; the name of a file in
 * experiments/; or a task name, meaning that task's default experiment (experiments/<task>.json).
 */
export function loadExperiment(target: string): LoadedExperiment {
  let path: string | undefined;
  if (target.endsWith('.json') || target.includes('/')) {
    path = resolve(target);
    if (!existsSync(path)) throw new EngramError('experiment', `file ${target} does not exist`, 'check the path');
  } else if (existsSync(join(EXPERIMENTS_DIR, `${target}.json`))) {
    path = join(EXPERIMENTS_DIR, `${target}.json`);
  } else {
    const known = [...new Set([...TASK_NAMES, ...listExperiments()])].join(', ');
    throw new EngramError('experiment', `no experiment or task named '${target}'`, `use a .json path or one of: ${known}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EngramError(basename(path), `is not valid JSON (${(e as Error).message.split('\n')[0]})`, 'fix the JSON syntax');
  }
  let parsed: ReturnType<typeof experimentSchema.safeParse>;
  try {
    parsed = experimentSchema.safeParse(raw);
  } catch (e) {
    // a file nested thousands of levels deep exhausts the validator's stack
    if (e instanceof RangeError)
      throw new EngramError(basename(path), 'is nested too deeply to be an experiment', 'an experiment is a few levels deep: see experiments/copy.json');
    throw e;
  }
  if (!parsed.success) throw schemaError(basename(path, '.json'), parsed.error, raw);
  // A task module's path is relative to the experiment file; runs record it absolute.
  const from = dirname(path);
  const absolute = <T extends { task?: { module?: string | undefined } | undefined }>(part: T): T =>
    part.task?.module === undefined ? part : { ...part, task: { ...part.task, module: resolve(from, part.task.module) } };
  parsed.data = { ...absolute(parsed.data), ...(parsed.data.variants ? { variants: parsed.data.variants.map(absolute) } : {}) };
  // Validate every variant now, so a bad variant fails before anything runs.
  for (const v of parsed.data.variants ?? []) runSpecFor(parsed.data, v.name);
  checkFigures(parsed.data);
  return { experiment: parsed.data, path };
}

/** Every variant a figure names is one of the experiment's. */
function checkFigures(e: Experiment): void {
  const known = variantNames(e);
  for (const f of e.figures ?? []) {
    const unknown = f.variants.find((v) => !known.includes(v));
    if (unknown !== undefined)
      throw new EngramError(
        `${e.name}.figures.${f.name}.variants`,
        `names no variant '${unknown}'`,
        `use the names of the experiment's variants: ${known.join(', ')}`,
      );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Recursively merges `over` into `base`: objects merge (unless `over` names another `kind`), everything
 * else replaces, and a `null` removes the key, so a variant can drop a setting it would otherwise
 * inherit (`"clip": { "globalNorm": null, "value": 10 }` clips by value only).
 */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  // A different `kind` (task, controller, optimizer...) replaces the whole object: its options do not carry over.
  if ('kind' in over && over['kind'] !== base['kind']) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? deepMerge(out[k], v) : v;
  }
  return out as T;
}

/** The variant names of an experiment (`default` when it has none). */
export function variantNames(e: Experiment): string[] {
  return e.variants?.map((v) => v.name) ?? ['default'];
}

/**
 * The unvalidated settings of one variant: the base, or what it `extends`, with the variant's own
 * overrides merged on top. `extends` names a variant to start from, or maps blocks to variants
 * (`{ "model": "dnc", "train": "ntm-rmsprop" }`: those blocks come from those variants, the rest
 * from the base), so one model can be put on another's recipe without writing either twice.
 * `chain` holds the variants already on the way here, so a loop is reported instead of recursing
 * forever.
 */
function mergedVariant(e: Experiment, base: RunSpec, variant: string, chain: readonly string[]): RunSpec {
  const v = e.variants?.find((x) => x.name === variant);
  if (!v) throw new EngramError('--variant', `experiment ${e.name} has no variant '${variant}'`, `use one of: ${variantNames(e).join(', ')}`);
  const field = `${e.name}.variants.${variant}.extends`;
  const path = [...chain, variant];
  const parent = (name: string, at: string): RunSpec => {
    if (!variantNames(e).includes(name))
      throw new EngramError(at, `names no variant of this experiment ('${name}')`, `use one of: ${variantNames(e).join(', ')}`);
    if (path.includes(name))
      throw new EngramError(at, `makes a loop (${[...path, name].join(' -> ')})`, 'let one variant of the loop start from the base: remove its "extends"');
    return mergedVariant(e, base, name, path);
  };
  let from = base;
  if (typeof v.extends === 'string') from = parent(v.extends, field);
  else if (v.extends !== undefined) {
    const taken: Record<string, unknown> = { ...base };
    for (const block of VARIANT_BLOCKS) {
      const name = v.extends[block];
      if (name === undefined) continue;
      const part = parent(name, `${field}.${block}`)[block];
      if (part === undefined) delete taken[block];
      else taken[block] = part;
    }
    from = taken as RunSpec;
  }
  return deepMerge(from, { task: v.task, model: v.model, train: v.train, curriculum: v.curriculum, eval: v.eval });
}

/** The full configuration of one variant, validated. */
export function runSpecFor(e: Experiment, variant: string): RunSpec {
  const base: RunSpec = {
    task: e.task,
    model: e.model,
    train: e.train,
    ...(e.curriculum ? { curriculum: e.curriculum } : {}),
    ...(e.eval ? { eval: e.eval } : {}),
  };
  if (variant === 'default' && !e.variants) return base;
  const merged = mergedVariant(e, base, variant, []);
  const parsed = runSpecSchema.safeParse(merged);
  if (!parsed.success) throw schemaError(`${e.name}.variants.${variant}`, parsed.error, merged);
  return parsed.data;
}
