import * as tf from '@tensorflow/tfjs';
import { EngramError, stopGradient, tidy, type Rng } from '@engram/tensor';
import { LOG_EPSILON, RENORM_FLOOR } from '../constants.ts';
import { hardmax, straightThrough } from '../normalize.ts';
import { sparseToDense, strideOffsets, type SparseWeights } from '../readWrite.ts';
import { sampleSlots } from './sampling.ts';

/**
 * How one head turns its soft NTM weights into the weights it reads or writes with.
 * - `soft`: the NTM weights as they are.
 * - `sparsemax`: content weights normalised by sparsemax instead of softmax (exact zeros).
 * - `hard`: one-hot at the argmax forward; straight-through (soft) gradient backward.
 * - `gumbel`: softmax((log w + g) / tau) with seeded Gumbel noise g; `hard: true` makes the
 *   forward one-hot with a straight-through gradient.
 * - `topk`: keep the k largest weights and renormalise; reads and writes touch only k rows.
 * - `reinforce`: sample one slot from the soft weights and read/write it one-hot; the
 *   addressing learns from the score-function (REINFORCE) gradient that the training loop
 *   adds (D-NTM, Gulcehre et al. 2016), with an entropy bonus of weight `entropy`. With
 *   `softMix` = p0 > 0, each step uses the soft weights instead with probability
 *   p0 / sqrt(1 + t) at training step t (D-NTM's curriculum).
 */
export type AddressingMode =
  | { readonly kind: 'soft' }
  | { readonly kind: 'sparsemax' }
  | { readonly kind: 'hard' }
  | { readonly kind: 'gumbel'; readonly tau: number; readonly hard: boolean }
  | { readonly kind: 'topk'; readonly k: number }
  | { readonly kind: 'reinforce'; readonly entropy: number; readonly softMix: number };

/** A mode as written in a config: a bare name, or an object with its parameters. */
export type AddressingModeSpec =
  | AddressingMode['kind']
  | {
      kind: AddressingMode['kind'];
      tau?: number;
      hard?: boolean;
      k?: number;
      entropy?: number;
      softMix?: number;
    };

export const MODE_KINDS = ['soft', 'sparsemax', 'hard', 'gumbel', 'topk', 'reinforce'] as const;

/** Validates a mode spec against the number of slots and fills in defaults (tau 1, hard false, k 8, entropy 0.001, softMix 0). */
export function parseMode(spec: AddressingModeSpec, slots: number, field: string): AddressingMode {
  const kind = typeof spec === 'string' ? spec : spec?.kind;
  const opts: { tau?: number; hard?: boolean; k?: number; entropy?: number; softMix?: number } = typeof spec === 'string' ? {} : spec;
  switch (kind) {
    case 'soft':
    case 'sparsemax':
    case 'hard':
      return { kind };
    case 'gumbel': {
      const tau = opts.tau ?? 1;
      if (!(tau > 0)) throw new EngramError(`${field}.tau`, `temperature ${tau} is not positive`, 'use tau > 0, e.g. 1');
      return { kind, tau, hard: opts.hard ?? false };
    }
    case 'topk': {
      const k = opts.k ?? Math.min(8, slots);
      if (!Number.isInteger(k) || k < 1 || k > slots) {
        throw new EngramError(`${field}.k`, `k=${k} is not an integer in 1..N (N=${slots})`, `use 1 <= k <= ${slots}`);
      }
      return { kind, k };
    }
    case 'reinforce': {
      const entropy = opts.entropy ?? 1e-3;
      const softMix = opts.softMix ?? 0;
      if (!(entropy >= 0) || !Number.isFinite(entropy))
        throw new EngramError(`${field}.entropy`, `${entropy} is not a non-negative number`, 'use an entropy bonus weight >= 0, e.g. 0.001');
      if (!(softMix >= 0 && softMix <= 1))
        throw new EngramError(`${field}.softMix`, `${softMix} is not a probability`, 'use 0 <= softMix <= 1 (0 turns the soft mixing off)');
      return { kind, entropy, softMix };
    }
    default:
      throw new EngramError(field, `unknown addressing mode '${String(kind)}'`, `use one of ${MODE_KINDS.join(', ')}`);
  }
}

/** True for the modes that address one row at evaluation time. */
export function isDiscrete(mode: AddressingMode): boolean {
  return mode.kind === 'hard' || mode.kind === 'gumbel' || mode.kind === 'topk' || mode.kind === 'reinforce';
}

/** The weights a group of heads reads or writes with: always dense, plus the sparse form when only k rows are touched. */
export interface HeadWeights {
  /** `[B, H, N]` */
  readonly dense: tf.Tensor3D;
  /** Present when every head of the group touches only k rows. */
  readonly sparse?: SparseWeights;
  /** REINFORCE heads: what the training loop needs for the score-function gradient. */
  readonly score?: ScoreTerms;
}

/** Per-sequence terms of sampled (REINFORCE) addressing, summed over heads. */
export interface ScoreTerms {
  /** `[B]` log-probability of the sampled slots (differentiable in the soft weights). */
  readonly logProb: tf.Tensor1D;
  /** `[B]` entropy of the soft weights times the mode's `entropy` weight (differentiable). */
  readonly entropyBonus: tf.Tensor1D;
}

/**
 * Keeps the k largest weights per head and renormalises them to sum to 1.
 * Gradients flow to the kept weights; the choice of rows has none.
 * @param weights `[B, H, N]`
 */
export function topkWeights(weights: tf.Tensor3D, k: number): SparseWeights {
  return tidy(() => {
    const [b, h, n] = weights.shape;
    const { indices } = tf.topk(stopGradient(weights), k);
    const offsets = strideOffsets(b * h, n, [b, h, 1]);
    const picked = tf.reshape(tf.gather(tf.reshape(weights, [b * h * n]), tf.reshape(tf.add(indices, offsets), [b * h * k])), [b, h, k]);
    const values = tf.div(picked, tf.maximum(tf.sum(picked, -1, true), RENORM_FLOOR));
    return { indices: indices as tf.Tensor3D, values: values as tf.Tensor3D };
  });
}

/** Options that change how modes act at one step. */
export interface ModeContext {
  /** Evaluation: every discrete mode reads and writes one-hot at the argmax. */
  readonly training: boolean;
  /** Source of Gumbel noise (required by `gumbel` in training). */
  readonly rng?: Rng;
  /** Overrides the Gumbel temperature (for annealing schedules). */
  readonly tau?: number;
  /** The 0-based training step (REINFORCE's soft-mixing schedule). Default 0. */
  readonly trainingStep?: number;
}

/**
 * Applies one addressing mode to soft weights of a group of heads.
 * @param soft `[B, H, N]` the NTM weights (for `sparsemax` already built on sparsemax content weights).
 */
export function applyMode(mode: AddressingMode, soft: tf.Tensor3D, ctx: ModeContext): HeadWeights {
  if (!ctx.training && isDiscrete(mode)) return sparseAndDense(soft, 1);
  switch (mode.kind) {
    case 'soft':
    case 'sparsemax':
      return { dense: soft };
    case 'hard':
      return { dense: tf.tidy(() => straightThrough(soft, hardmax(stopGradient(soft))) as tf.Tensor3D) };
    case 'gumbel': {
      if (!ctx.rng) throw new EngramError('step(options.rng)', 'gumbel addressing needs a random generator in training', 'pass { rng } to step');
      const tau = ctx.tau ?? mode.tau;
      const noise = ctx.rng.gumbelTensor(soft.shape);
      const dense = tf.tidy(() => {
        const y = tf.softmax(tf.div(tf.add(tf.log(tf.add(soft, LOG_EPSILON)), noise), tau), -1) as tf.Tensor3D;
        return mode.hard ? (straightThrough(y, hardmax(stopGradient(y))) as tf.Tensor3D) : y;
      });
      noise.dispose();
      return { dense };
    }
    case 'topk':
      return sparseAndDense(soft, mode.k);
    case 'reinforce': {
      if (!ctx.rng) throw new EngramError('step(options.rng)', 'reinforce addressing samples slots in training', 'pass { rng } to step');
      // D-NTM's curriculum: use the soft weights at this step with probability p0 / sqrt(1 + t).
      if (mode.softMix > 0 && ctx.rng.next() < mode.softMix / Math.sqrt(1 + (ctx.trainingStep ?? 0))) return { dense: soft };
      const rng = ctx.rng;
      return tidy(() => {
        const sample = sampleSlots(soft, rng);
        return {
          dense: sample.oneHot,
          score: { logProb: sample.logProb, entropyBonus: tf.mul(sample.entropy, mode.entropy) as tf.Tensor1D },
        };
      });
    }
  }
}

function sparseAndDense(soft: tf.Tensor3D, k: number): HeadWeights {
  const sparse = topkWeights(soft, k);
  return { sparse, dense: sparseToDense(sparse, soft.shape[2]) };
}
