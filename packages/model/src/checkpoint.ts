import * as tf from '@tensorflow/tfjs';
import { EngramError } from '@engram/tensor';

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

/** Which checkpoint to load: the newest, the one before it, or a step number. */
export type CheckpointChoice = 'latest' | 'previous' | number;

/**
 * Where a {@link Trainer} keeps its checkpoints. The core package holds no storage of its own, so
 * it runs in a browser; Node's file store is `fileCheckpoints(dir)` from `@engram/model/node`.
 */
export interface CheckpointStore {
  /** Writes the checkpoint of `step` (atomically: a crash never leaves it as the newest); returns where it went. */
  save(step: number, ckpt: Checkpoint): Promise<string>;
  /** Loads one checkpoint, with where it came from; an EngramError when it is missing or damaged. */
  load(which?: CheckpointChoice): Promise<Checkpoint & { dir: string }>;
}

const OPT = 'optimizer/';

/** A checkpoint as tfjs model artifacts: weights then `optimizer/...` state in one buffer, the config as topology. */
export async function checkpointArtifacts(ckpt: Checkpoint): Promise<tf.io.ModelArtifacts> {
  const named = [
    ...Object.entries(ckpt.weights).map(([n, t]) => ({ name: n, tensor: t })),
    ...Object.entries(ckpt.optimizer).map(([n, t]) => ({ name: OPT + n, tensor: t })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  return {
    format: CHECKPOINT_FORMAT,
    generatedBy: 'engram',
    convertedBy: null as unknown as string,
    modelTopology: { engram: ckpt.modelConfig } as unknown as tf.io.ModelJSON['modelTopology'],
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: ckpt.meta as Record<string, object>,
  };
}

/** The inverse of {@link checkpointArtifacts}; `where` names the source in errors. */
export function checkpointFromArtifacts(artifacts: tf.io.ModelArtifacts, where: string): Checkpoint {
  if (artifacts.format !== CHECKPOINT_FORMAT) {
    throw new EngramError(
      'checkpoint',
      `${where} has format '${artifacts.format}', not ${CHECKPOINT_FORMAT}`,
      'load a checkpoint written by this version of engram',
    );
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
  return { modelConfig, weights, optimizer, meta };
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
    throw new EngramError(
      'checkpoint',
      `${diff.path} is ${JSON.stringify(diff.a)} in the checkpoint but ${JSON.stringify(diff.b)} in this model`,
      "build the model with the checkpoint's config, or start a new run",
    );
  }
  for (const [name, v] of Object.entries(variables)) {
    const w = ckpt.weights[name];
    if (!w) throw new EngramError('checkpoint', `weight ${name} is missing`, 'the checkpoint belongs to another model: start a new run');
    if (w.shape.join() !== v.shape.join()) {
      throw new EngramError(
        'checkpoint',
        `weight ${name} has shape [${w.shape}] but the model needs [${v.shape}]`,
        'the checkpoint belongs to another model: start a new run',
      );
    }
  }
  for (const [name, v] of Object.entries(variables)) v.assign(ckpt.weights[name] as tf.Tensor);
}
