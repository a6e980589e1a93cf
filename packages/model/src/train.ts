import * as tf from '@tensorflow/tfjs';
import { EngramError, Rng, type RngState, type SequenceBatch, type SequenceTask } from '@engram/tensor';
import { assignWeights, type CheckpointChoice, type CheckpointStore } from './checkpoint.ts';
import { clipGradients, type ClipConfig } from './clip.ts';
import { bitsPerSequence, maskedSigmoidCrossEntropy, sequenceLosses } from './loss.ts';
import { reinforceSurrogate } from '@engram/memory';
import { stopGradient } from '@engram/tensor';
import type { SequenceModel } from './model.ts';
import { learningRateAt, makeOptimizer, type Optimizer, type OptimizerConfig } from './optimizers.ts';
import { unroll } from './unroll.ts';
import { shardArrays, shardLoss, shardSizes, sliceBatch, unsplittable, type GradientShards } from './shards.ts';

/** How to train. Plain JSON; stored in checkpoints. */
export interface TrainConfig {
  /** Stop after this many optimizer steps. */
  readonly steps: number;
  readonly batchSize: number;
  /** Default Adam, lr 1e-3. */
  readonly optimizer?: OptimizerConfig;
  /** Default global-norm clipping at 50. */
  readonly clip?: ClipConfig;
  /** Evaluate every this many steps (and at the end). Default 100. */
  readonly evalEvery?: number;
  /** Fresh sequences per evaluation. Default 640. */
  readonly evalSequences?: number;
  /** Checkpoint every this many steps (and at the end) when a checkpoint directory is given. Default 500. */
  readonly checkpointEvery?: number;
  /** Seeds the data and noise streams. Default 0. */
  readonly seed?: number;
  /**
   * Anneals the temperature of gumbel heads during training: tau(t) = max(end, start *
   * (end / start)^(t / steps)) at training step t (exponential decay from `start` to `end`
   * over `steps` steps, then constant). Without it gumbel heads keep their own tau.
   */
  readonly gumbelTau?: GumbelSchedule;
  /**
   * Ends training at the first evaluation whose cost (bits per sequence, fresh sequences,
   * evaluation mode) is below `cost`; `steps` stays the cap. Without it training runs to `steps`.
   */
  readonly stopWhen?: StopWhen;
}

/** When a run counts as solved and stops: an evaluation cost below `cost` bits per sequence. */
export interface StopWhen {
  readonly cost: number;
  /**
   * Also check every this many steps between evaluations: a quick evaluation on the first 64
   * sequences of the evaluation stream, and only if that is below `cost` the full evaluation
   * (which alone decides, and is recorded like any other). A run that solves between two
   * evaluations then stops there, before training on can undo it (copy at Adam 1e-2 reached
   * 0.35 bits/sequence at step 250 and was back at chance by step 300).
   */
  readonly checkEvery?: number;
}

/** An exponential temperature schedule for Gumbel-softmax addressing. */
export interface GumbelSchedule {
  readonly start: number;
  readonly end: number;
  readonly steps: number;
}

/** The temperature of a {@link GumbelSchedule} at training step `step` (0-based). */
export function gumbelTauAt(s: GumbelSchedule, step: number): number {
  return Math.max(s.end, s.start * (s.end / s.start) ** Math.min(1, step / s.steps));
}

/** One training step's figures. `cost` is bits per sequence on the training batch. */
export interface StepRecord {
  readonly step: number;
  readonly sequences: number;
  readonly loss: number;
  readonly cost: number;
  readonly gradNorm: number;
  readonly ms: number;
}

/** One evaluation's figures, on fresh sequences in evaluation mode. */
export interface EvalRecord {
  readonly step: number;
  readonly sequences: number;
  readonly loss: number;
  readonly cost: number;
}

export interface TrainCallbacks {
  onStep?(record: StepRecord): void;
  onEval?(record: EvalRecord): void;
  onCheckpoint?(dir: string, step: number): void;
}

/** Positive integer check with an error naming the field. */
function need(v: number | undefined, field: string): void {
  if (v === undefined || !Number.isInteger(v) || v < 1) {
    throw new EngramError(field, `${JSON.stringify(v)} is not a positive integer`, `set ${field} to an integer >= 1`);
  }
}

/** An arc4 generator state as seedrandom saves it: i, j and the 256-entry S box. */
function isRngState(x: unknown): x is RngState {
  const s = x as { i?: unknown; j?: unknown; S?: unknown } | null;
  return !!s && Number.isInteger(s.i) && Number.isInteger(s.j) && Array.isArray(s.S) && s.S.length === 256;
}

/** The trainer's part of a checkpoint's metadata, checked: a field missing or of the wrong kind is an error naming it. */
function checkpointMeta(
  meta: Readonly<Record<string, unknown>>,
  dir: string,
): { step: number; sequences: number; dataRng: RngState; noiseRng: RngState; solvedAt?: EvalRecord } {
  const bad = (field: string) =>
    new EngramError(
      'checkpoint',
      `${dir} has no valid ${field} in its metadata`,
      "the checkpoint is damaged or was not written by engram's Trainer: resume from an earlier one or start a new run",
    );
  if (!Number.isInteger(meta['step']) || (meta['step'] as number) < 0) throw bad('step');
  if (!Number.isInteger(meta['sequences']) || (meta['sequences'] as number) < 0) throw bad('sequences');
  if (!isRngState(meta['dataRng'])) throw bad('dataRng (data generator state)');
  if (!isRngState(meta['noiseRng'])) throw bad('noiseRng (noise generator state)');
  return meta as unknown as ReturnType<typeof checkpointMeta>;
}

/** A training step's objective, gradients by weight path and logits; `mainLoss` is the cross-entropy alone when the objective adds REINFORCE's terms. */
interface StepGradients {
  readonly value: tf.Scalar;
  readonly byPath: Record<string, tf.Tensor>;
  readonly logits: tf.Tensor3D;
  readonly mainLoss?: tf.Scalar;
}

/** Sequences of the quick check between evaluations (`stopWhen.checkEvery`): the evaluation stream's first 64. */
export const QUICK_CHECK_SEQUENCES = 64;

/**
 * The training loop: sample a batch, unroll, masked sigmoid cross-entropy, clip, update.
 * A non-finite loss or gradient stops the step before any weight changes and raises an
 * EngramError naming the step; the last checkpoint stays as it was.
 */
export class Trainer {
  readonly config: Required<Omit<TrainConfig, 'clip' | 'gumbelTau' | 'stopWhen'>> & { clip: ClipConfig; gumbelTau?: GumbelSchedule; stopWhen?: StopWhen };
  private readonly optimizer: Optimizer;
  private dataRng: Rng;
  private noiseRng: Rng;
  private stepCount = 0;
  private sequenceCount = 0;
  private stopRequested = false;
  private solvedAt: EvalRecord | undefined;

  private currentTask: SequenceTask;
  /** The task evaluations use (the full distribution; training may follow a curriculum). */
  readonly evalTask: SequenceTask;

  /**
   * @param options.checkpoints where checkpoints go (none are written without it): in Node,
   *   `fileCheckpoints(dir)` from `@engram/model/node`.
   * @param options.extraMeta JSON stored in every checkpoint beside the trainer's own state
   *   (e.g. a curriculum's state); {@link resume} returns it.
   */
  constructor(
    readonly model: SequenceModel,
    task: SequenceTask,
    config: TrainConfig,
    readonly options: {
      checkpoints?: CheckpointStore;
      callbacks?: TrainCallbacks;
      extraMeta?: () => Record<string, unknown>;
      /** The task's own cost (bits per sequence); default {@link bitsPerSequence}. */
      cost?: (logits: tf.Tensor3D, batch: SequenceBatch) => number;
      /**
       * Threads that compute parts of each training batch's gradient (data-parallel training;
       * in Node `threadShards` from `@engram/model/node`). The trainer does not dispose them.
       */
      shards?: GradientShards;
    } = {},
  ) {
    this.currentTask = task;
    this.evalTask = task;
    const c = {
      steps: config.steps,
      batchSize: config.batchSize,
      optimizer: config.optimizer ?? { kind: 'adam' as const, lr: 1e-3 },
      clip: config.clip ?? { globalNorm: 50 },
      evalEvery: config.evalEvery ?? 100,
      evalSequences: config.evalSequences ?? 640,
      checkpointEvery: config.checkpointEvery ?? 500,
      seed: config.seed ?? 0,
      ...(config.gumbelTau ? { gumbelTau: config.gumbelTau } : {}),
      ...(config.stopWhen ? { stopWhen: config.stopWhen } : {}),
    };
    if (c.gumbelTau) {
      const g = c.gumbelTau;
      if (!(g.start > 0) || !(g.end > 0) || g.end > g.start) {
        throw new EngramError(
          'train.gumbelTau',
          `start ${g.start}, end ${g.end} is not a decreasing pair of positive temperatures`,
          'use 0 < end <= start, e.g. { start: 1, end: 0.1, steps: 2000 }',
        );
      }
      need(g.steps, 'train.gumbelTau.steps');
    }
    if (c.stopWhen && !(Number.isFinite(c.stopWhen.cost) && c.stopWhen.cost > 0)) {
      throw new EngramError(
        'train.stopWhen.cost',
        `${JSON.stringify(c.stopWhen.cost)} is not a positive number`,
        'use a positive cost in bits per sequence, e.g. { cost: 0.1 }',
      );
    }
    if (c.stopWhen?.checkEvery !== undefined) need(c.stopWhen.checkEvery, 'train.stopWhen.checkEvery');
    need(c.steps, 'train.steps');
    need(c.batchSize, 'train.batchSize');
    need(c.evalEvery, 'train.evalEvery');
    need(c.evalSequences, 'train.evalSequences');
    need(c.checkpointEvery, 'train.checkpointEvery');
    for (const [k, v] of Object.entries(c.clip)) {
      if (v !== undefined && !(v > 0)) throw new EngramError(`train.clip.${k}`, `${v} is not positive`, 'use a positive threshold or leave it out');
    }
    if (task.inputSize !== model.inputSize || task.outputSize !== model.outputSize) {
      throw new EngramError(
        'model.inputSize',
        `model is ${model.inputSize} -> ${model.outputSize} bits but task ${task.name} is ${task.inputSize} -> ${task.outputSize}`,
        "build the model with the task's sizes",
      );
    }
    if (options.shards) {
      // with no other shard, the sums below would hand back the own gradients that the step disposes
      if (!(options.shards.count >= 1))
        throw new EngramError('threads', `shards with ${options.shards.count} other threads`, 'leave shards out to train on one thread');
      const why = unsplittable(model.config);
      if (why) throw new EngramError('threads', `the batch cannot be split over threads: ${why}`, 'train on one thread (threads: 1)');
      shardSizes(c.batchSize, options.shards.count + 1);
    }
    this.config = c;
    this.optimizer = makeOptimizer(c.optimizer);
    this.dataRng = new Rng(`${c.seed}/data`);
    this.noiseRng = new Rng(`${c.seed}/noise`);
  }

  get step(): number {
    return this.stepCount;
  }
  /** The task training batches are drawn from. */
  get task(): SequenceTask {
    return this.currentTask;
  }
  /** Switches the training distribution (curriculum); sizes must stay the same. */
  setTask(task: SequenceTask): void {
    if (task.inputSize !== this.model.inputSize || task.outputSize !== this.model.outputSize) {
      throw new EngramError('task', `${task.name} changes the input or output size`, 'keep the sizes when changing the curriculum');
    }
    this.currentTask = task;
  }
  get sequences(): number {
    return this.sequenceCount;
  }
  /** The evaluation that met `stopWhen` (training ended there), if one did. */
  get solved(): EvalRecord | undefined {
    return this.solvedAt;
  }

  /** Asks `run` to stop after the current step (it then checkpoints); for Ctrl-C. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** One optimizer step on a fresh batch. */
  trainStep(): StepRecord {
    const t0 = performance.now();
    const batch = this.task.sample(this.config.batchSize, this.dataRng);
    const variables = this.model.namedVariables;
    const { value, byPath, logits, mainLoss }: StepGradients = this.options.shards ? this.shardedGradients(batch) : this.batchGradients(batch);
    const clipped = clipGradients(byPath, this.config.clip);
    const loss = (mainLoss ?? value).dataSync()[0] as number;
    mainLoss?.dispose();
    const gradNorm = clipped.norm.dataSync()[0] as number;
    const cost = this.costOf(logits, batch);
    tf.dispose([value, Object.values(byPath), logits, clipped.norm, batch.inputs, batch.targets, batch.mask].flat());
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      tf.dispose(clipped.grads);
      // says what is kept, not what is on disk: engram train checkpoints these weights next
      throw new EngramError(
        'training',
        `step ${this.stepCount + 1}: ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} is ${Number.isFinite(loss) ? gradNorm : loss}, weights left unchanged`,
        `lower the learning rate or clip harder (the weights after step ${this.stepCount} are kept)`,
      );
    }
    this.optimizer.apply(variables, clipped.grads, learningRateAt(this.optimizer.config, this.stepCount));
    tf.dispose(clipped.grads);
    this.stepCount += 1;
    this.sequenceCount += this.config.batchSize;
    const record = { step: this.stepCount, sequences: this.sequenceCount, loss, cost, gradNorm, ms: performance.now() - t0 };
    this.options.callbacks?.onStep?.(record);
    return record;
  }

  /** The whole batch's loss and gradients (by weight path) on this thread. */
  private batchGradients(batch: SequenceBatch): StepGradients {
    const variables = this.model.namedVariables;
    const names = Object.keys(variables);
    let logits: tf.Tensor3D | undefined;
    let mainLoss: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(
      () => {
        const tau = this.config.gumbelTau ? gumbelTauAt(this.config.gumbelTau, this.stepCount) : undefined;
        const { outputs, score } = unroll(this.model, batch.inputs, {
          training: true,
          rng: this.noiseRng,
          trainingStep: this.stepCount,
          ...(tau !== undefined ? { tau } : {}),
        });
        logits = tf.keep(outputs);
        const loss = maskedSigmoidCrossEntropy(outputs, batch.targets, batch.mask);
        if (!score) return loss;
        mainLoss = tf.keep(tf.clone(loss));
        return this.reinforceObjective(loss, outputs, batch, score);
      },
      names.map((n) => variables[n] as tf.Variable),
    );
    // variableGrads keys gradients by tf variable name: map them back to our paths.
    const byPath: Record<string, tf.Tensor> = {};
    for (const n of names) {
      const g = grads[(variables[n] as tf.Variable).name];
      if (g) byPath[n] = g;
    }
    return { value, byPath, logits: logits as tf.Tensor3D, ...(mainLoss ? { mainLoss } : {}) };
  }

  /**
   * The batch split over this thread and `options.shards`: the other shards start with the
   * current weights, this thread computes the first shard meanwhile, then the gradients and
   * loss parts are added in shard order (so the same thread count gives the same numbers) and
   * the logits joined for the task's cost.
   */
  private shardedGradients(batch: SequenceBatch): StepGradients {
    const shards = this.options.shards as GradientShards;
    const variables = this.model.namedVariables;
    const names = Object.keys(variables);
    const sizes = shardSizes(this.config.batchSize, shards.count + 1);
    const scoredBits = tf.tidy(() => tf.sum(batch.mask).dataSync()[0] as number) * batch.targets.shape[2];
    const weights = names.map((n) => (variables[n] as tf.Variable).dataSync() as Float32Array);
    const parts = sizes.map((size, i) =>
      sliceBatch(
        batch,
        sizes.slice(0, i).reduce((a, b) => a + b, 0),
        size,
      ),
    );
    for (let i = 1; i < parts.length; i++) shards.start(i - 1, { weights, scoredBits, ...shardArrays(parts[i] as SequenceBatch) });
    const own = shardLoss(
      this.model,
      parts[0] as SequenceBatch,
      scoredBits,
      names.map((n) => variables[n] as tf.Variable),
    );
    const { value, grads, logits: ownLogits } = own;
    const results = Array.from({ length: shards.count }, (_, i) => shards.finish(i));
    const [t, , y] = ownLogits.shape;
    const joined = tf.tidy(() => {
      const byPath: Record<string, tf.Tensor> = {};
      names.forEach((n, k) => {
        const v = variables[n] as tf.Variable;
        const mine = grads[v.name] ?? tf.zeros(v.shape);
        byPath[n] = results.reduce<tf.Tensor>((sum, r) => tf.add(sum, tf.tensor(r.grads[k] as Float32Array, v.shape)), mine);
      });
      const loss = results.reduce<tf.Tensor>((sum, r) => tf.add(sum, r.loss), value) as tf.Scalar;
      const logits = tf.concat([ownLogits, ...results.map((r, i) => tf.tensor3d(r.logits, [t, sizes[i + 1] as number, y]))], 1);
      return { byPath, loss, logits };
    });
    tf.dispose([value, grads, ownLogits, parts.flatMap((p) => [p.inputs, p.targets, p.mask])].flat());
    return { value: joined.loss, byPath: joined.byPath, logits: joined.logits };
  }

  /**
   * The objective of a model with REINFORCE heads: the loss (whose gradient trains everything
   * the sampled one-hot weights let through: controller, memory contents, erase and add) plus
   * the score-function surrogate with the learned baseline (which trains the addressing), the
   * baseline's squared error, and minus the entropy bonus.
   */
  private reinforceObjective(
    loss: tf.Scalar,
    logits: tf.Tensor3D,
    batch: SequenceBatch,
    score: { logProb: tf.Tensor1D; entropyBonus: tf.Tensor1D },
  ): tf.Scalar {
    const perSequence = stopGradient(sequenceLosses(logits, batch.targets, batch.mask));
    const baseline = this.model.reinforceBaseline?.(batch.mask) ?? tf.zerosLike(perSequence);
    const surrogate = reinforceSurrogate(score.logProb, perSequence, baseline);
    const baselineError = tf.mean(tf.square(tf.sub(perSequence, baseline)));
    return tf.sub(tf.add(loss, tf.add(surrogate, baselineError)), tf.mean(score.entropyBonus)) as tf.Scalar;
  }

  private costOf(logits: tf.Tensor3D, batch: SequenceBatch): number {
    return this.options.cost ? this.options.cost(logits, batch) : bitsPerSequence(logits, batch.targets, batch.mask);
  }

  /**
   * Loss and bits per sequence on `evalSequences` fresh sequences (a fixed evaluation stream),
   * evaluation mode. `count` evaluates the first `count` sequences of the same stream instead
   * (a cheap first check).
   */
  evaluate(count = this.config.evalSequences): EvalRecord {
    const record = this.measure(count);
    this.options.callbacks?.onEval?.(record);
    return record;
  }

  /** {@link evaluate} without the onEval callback (the quick checks of `stopWhen.checkEvery` are not recorded). */
  private measure(count: number): EvalRecord {
    need(count, 'evaluate count');
    const rng = new Rng(`${this.config.seed}/eval`);
    let remaining = count;
    let lossSum = 0;
    let costSum = 0;
    while (remaining > 0) {
      const b = Math.min(remaining, 64);
      const batch = this.evalTask.sample(b, rng);
      tf.tidy(() => {
        const { outputs } = unroll(this.model, batch.inputs, { training: false });
        lossSum += (maskedSigmoidCrossEntropy(outputs, batch.targets, batch.mask).dataSync()[0] as number) * b;
        costSum += this.costOf(outputs, batch) * b;
      });
      tf.dispose([batch.inputs, batch.targets, batch.mask]);
      remaining -= b;
    }
    const n = count;
    return { step: this.stepCount, sequences: this.sequenceCount, loss: lossSum / n, cost: costSum / n };
  }

  /**
   * Trains until `config.steps`, a stop request or the first evaluation below `stopWhen.cost`,
   * evaluating every `evalEvery` steps and at the end, checkpointing every `checkpointEvery`
   * steps and at the end. A trainer resumed from a solved checkpoint does not train further.
   * @returns `solved`: the evaluation that met `stopWhen`, if one did.
   */
  async run(): Promise<{ steps: StepRecord[]; evals: EvalRecord[]; stopped: boolean; solved?: EvalRecord }> {
    const steps: StepRecord[] = [];
    const evals: EvalRecord[] = [];
    this.stopRequested = false;
    while (this.stepCount < this.config.steps && !this.stopRequested && !this.solvedAt) {
      steps.push(this.trainStep());
      // Let signals (Ctrl-C) through before deciding whether this step is the last one, so an
      // interrupted run still evaluates and checkpoints the step it stopped at.
      await new Promise((r) => setImmediate(r));
      const last = this.stepCount === this.config.steps || this.stopRequested;
      const stop = this.config.stopWhen;
      const scheduled = this.stepCount % this.config.evalEvery === 0 || last;
      // between evaluations, stopWhen.checkEvery: a quick look first, the full evaluation only if it passes
      const check =
        !scheduled &&
        stop?.checkEvery !== undefined &&
        this.stepCount % stop.checkEvery === 0 &&
        this.measure(Math.min(QUICK_CHECK_SEQUENCES, this.config.evalSequences)).cost < stop.cost;
      if (scheduled || check) {
        const e = this.evaluate();
        evals.push(e);
        if (stop && e.cost < stop.cost) this.solvedAt = e;
      }
      if (this.options.checkpoints && (this.stepCount % this.config.checkpointEvery === 0 || last || this.solvedAt)) await this.save();
    }
    return { steps, evals, stopped: this.stopRequested, ...(this.solvedAt ? { solved: this.solvedAt } : {}) };
  }

  /** Writes a checkpoint of weights, optimizer state, counters and random generator states. */
  async save(): Promise<string> {
    const store = this.options.checkpoints;
    if (!store) throw new EngramError('checkpoints', 'no checkpoint store was given', 'pass { checkpoints: fileCheckpoints(dir) } to the Trainer');
    const optimizer = this.optimizer.getState();
    try {
      const dir = await store.save(this.stepCount, {
        modelConfig: this.model.config,
        weights: this.model.namedVariables,
        optimizer,
        meta: {
          step: this.stepCount,
          sequences: this.sequenceCount,
          dataRng: this.dataRng.state(),
          noiseRng: this.noiseRng.state(),
          train: this.config,
          ...(this.solvedAt ? { solvedAt: this.solvedAt } : {}),
          ...(this.options.extraMeta?.() ?? {}),
        },
      });
      this.options.callbacks?.onCheckpoint?.(dir, this.stepCount);
      return dir;
    } finally {
      tf.dispose(optimizer);
    }
  }

  /** Restores weights, optimizer state, counters and generators from the newest checkpoint (or `which`). */
  async resume(which: CheckpointChoice = 'latest'): Promise<Record<string, unknown>> {
    const store = this.options.checkpoints;
    if (!store) throw new EngramError('checkpoints', 'no checkpoint store was given', 'pass { checkpoints: fileCheckpoints(dir) } to the Trainer');
    const ckpt = await store.load(which);
    try {
      const meta = checkpointMeta(ckpt.meta, ckpt.dir);
      // Without the optimizer's moments a resumed run would silently differ from one that ran through.
      if (meta.step > 0 && Object.keys(ckpt.optimizer).length === 0) {
        throw new EngramError(
          'checkpoint',
          `${ckpt.dir} holds no optimizer state`,
          'it cannot resume bit-identically: resume from an earlier checkpoint or start a new run',
        );
      }
      assignWeights(this.model.namedVariables, this.model.config, ckpt);
      this.optimizer.setState(ckpt.optimizer);
      this.stepCount = meta.step;
      this.sequenceCount = meta.sequences;
      this.dataRng = new Rng({ state: meta.dataRng });
      this.noiseRng = new Rng({ state: meta.noiseRng });
      // Solved only under this trainer's own stopWhen: a stricter or absent threshold trains on.
      const stop = this.config.stopWhen;
      this.solvedAt = stop && meta.solvedAt && meta.solvedAt.cost < stop.cost ? meta.solvedAt : undefined;
      return ckpt.meta as Record<string, unknown>;
    } finally {
      tf.dispose([ckpt.weights, ckpt.optimizer] as unknown as tf.Tensor[]);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
