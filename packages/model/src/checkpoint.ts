import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngramError } from '@engram/tensor';
import { fileHandler, fsyncDir, writeFileAtomic } from './fileHandler.ts';

/** Format tag written into every engram checkpoint's model.json. */
export const CHECKPOINT_FORMAT = 'engram-checkpoint-v1';
/** How many checkpoints a directory keeps (the newest and the one before it). */
export const CHECKPOINTS_KEPT = 2;

/**
 * Everything a checkpoint holds. On disk (one checkpoint root per run):
 * ```
 * checkpoint/
 *   latest                 the name of the newest complete checkpoint, e.g. step-00000200
 *   step-00000100/         the previous one, kept as a fallback
 *   step-00000200/
 *     model.json           tfjs artifacts: modelTopology = { engram: <model config> },
 *                          weightsManifest, userDefinedMetadata = <meta> + weightsSha256
 *     weights.bin          float32 weights: model weights by path, then `optimizer/...` state
 * ```
 * A checkpoint is written into a temporary directory, fsynced, renamed into place, and only
 * then named in `latest` (also replaced atomically), so a crash never leaves a half-written
 * checkpoint as the newest.
 */
export interface Checkpoint {
  /** The model config (JSON) the weights belong to. */
  readonly modelConfig: unknown;
  /** Model weights by path. */
  readonly weights: Readonly<Record<string, tf.Tensor>>;
  /** Optimizer state by name. */
  readonly optimizer: Readonly<Record<string, tf.Tensor>>;
  /** Plain JSON: step, sequences, random generator states, training config... */
  readonly meta: Readonly<Record<string, unknown>>;
}

const OPT = 'optimizer/';

function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Lists complete checkpoints under `root`, oldest first. */
export function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => /^step-\d{8}$/.test(n)).sort();
}

/** Writes a checkpoint atomically under `root`; returns its directory. */
export async function saveCheckpoint(root: string, step: number, ckpt: Checkpoint): Promise<string> {
  mkdirSync(root, { recursive: true });
  removeStaleTemporaries(root);
  const name = stepDirName(step);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    return await writeInto(root, tmp, name, ckpt);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true }); // a failed write (a full disk) leaves nothing behind
    throw e;
  }
}

/** True while process `pid` exists (EPERM: it exists but is another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.tmp-*-<pid>` leftovers of processes that are gone (a crash mid-write), so they never block a later write. */
function removeStaleTemporaries(root: string): void {
  for (const n of readdirSync(root)) {
    const m = /^\.tmp-.*-(\d+)$/.exec(n) ?? /\.tmp-(\d+)$/.exec(n);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(root, n), { recursive: true, force: true });
  }
}

async function writeInto(root: string, tmp: string, name: string, ckpt: Checkpoint): Promise<string> {
  const named = [
    ...Object.entries(ckpt.weights).map(([n, t]) => ({ name: n, tensor: t })),
    ...Object.entries(ckpt.optimizer).map(([n, t]) => ({ name: OPT + n, tensor: t })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  await fileHandler(tmp).save({
    format: CHECKPOINT_FORMAT,
    generatedBy: 'engram',
    convertedBy: null as unknown as string,
    modelTopology: { engram: ckpt.modelConfig } as unknown as tf.io.ModelJSON['modelTopology'],
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: ckpt.meta as Record<string, object>,
  });
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(root);
  writeFileAtomic(join(root, 'latest'), `${name}\n`);
  fsyncDir(root);
  const all = listCheckpoints(root);
  for (const old of all.slice(0, Math.max(0, all.length - CHECKPOINTS_KEPT))) rmSync(join(root, old), { recursive: true, force: true });
  return final;
}

/**
 * Loads a checkpoint. `which`: 'latest' (default), 'previous' (the one before the newest), or
 * a step number. A missing, truncated or corrupted checkpoint is an EngramError that says so.
 */
export async function loadCheckpoint(root: string, which: 'latest' | 'previous' | number = 'latest'): Promise<Checkpoint & { dir: string }> {
  const all = listCheckpoints(root);
  let name: string | undefined;
  if (which === 'latest') {
    const pointer = join(root, 'latest');
    name = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : all[all.length - 1];
  } else if (which === 'previous') {
    name = all[all.length - 2];
  } else {
    name = stepDirName(which);
  }
  if (name !== undefined && !/^step-\d{8}$/.test(name)) {
    throw new EngramError('checkpoint', `${join(root, 'latest')} names '${name.slice(0, 60)}', not a checkpoint directory of this run (step-NNNNNNNN)`, 'the pointer is damaged: delete it to resume from the newest step directory');
  }
  if (!name || !existsSync(join(root, name))) {
    throw new EngramError('checkpoint', `no ${typeof which === 'number' ? `step ${which} ` : `${which} `}checkpoint under ${root} (have: ${all.join(', ') || 'none'})`, 'check the run directory, or train first');
  }
  const dir = join(root, name);
  const artifacts = await fileHandler(dir).load();
  if (artifacts.format !== CHECKPOINT_FORMAT) {
    throw new EngramError('checkpoint', `${dir} has format '${artifacts.format}', not ${CHECKPOINT_FORMAT}`, 'load a checkpoint written by this version of engram');
  }
  const tensors = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
  const weights: Record<string, tf.Tensor> = {};
  const optimizer: Record<string, tf.Tensor> = {};
  for (const [n, t] of Object.entries(tensors)) {
    if (n.startsWith(OPT)) optimizer[n.slice(OPT.length)] = t;
    else weights[n] = t;
  }
  const meta = { ...(artifacts.userDefinedMetadata ?? {}) } as Record<string, unknown>;
  delete meta['weightsSha256'];
  const modelConfig = (artifacts.modelTopology as { engram?: unknown } | undefined)?.engram;
  return { dir, modelConfig, weights, optimizer, meta };
}

/**
 * The first field where two JSON configs differ, as a dotted path, or undefined when equal.
 */
export function firstDifference(a: unknown, b: unknown, path = 'model'): { path: string; a: unknown; b: unknown } | undefined {
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? undefined : { path, a, b };
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/**
 * Assigns checkpoint weights to a model's variables after checking the configs agree and every
 * weight is present with the right shape; errors name the mismatching field or weight.
 */
export function assignWeights(variables: Readonly<Record<string, tf.Variable>>, modelConfig: unknown, ckpt: Checkpoint): void {
  const diff = firstDifference(ckpt.modelConfig, modelConfig);
  if (diff) {
    throw new EngramError('checkpoint', `${diff.path} is ${JSON.stringify(diff.a)} in the checkpoint but ${JSON.stringify(diff.b)} in this model`, 'build the model with the checkpoint\'s config, or start a new run');
  }
  for (const [name, v] of Object.entries(variables)) {
    const w = ckpt.weights[name];
    if (!w) throw new EngramError('checkpoint', `weight ${name} is missing`, 'the checkpoint belongs to another model: start a new run');
    if (w.shape.join() !== v.shape.join()) {
      throw new EngramError('checkpoint', `weight ${name} has shape [${w.shape}] but the model needs [${v.shape}]`, 'the checkpoint belongs to another model: start a new run');
    }
  }
  for (const [name, v] of Object.entries(variables)) v.assign(ckpt.weights[name] as tf.Tensor);
}
