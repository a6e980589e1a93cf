import * as tf from '@tensorflow/tfjs';
import { shapes, tidy } from '@engram/tensor';
import type { ScoreTerms } from '@engram/memory';
import type { ModelStepOptions, SequenceModel } from './model.ts';

/** Per-step traces stacked over time (present when `unroll` was asked for them). */
export interface UnrollTrace {
  /** `[T, B, R, N]` */
  readonly readWeights: tf.Tensor4D;
  /** `[T, B, W, N]` */
  readonly writeWeights: tf.Tensor4D;
  /** `[T, B, R, M]` */
  readonly readVectors: tf.Tensor4D;
  /** `[T, B, N, M]`, only when `traceMemory` (it is T*B*N*M floats). */
  readonly memory?: tf.Tensor4D;
  /** The memory's own traced tensors (StepTrace.extras), each `[T, B, ...]`: the DNC's usage, read modes and link. */
  readonly extras?: Readonly<Record<string, tf.Tensor>>;
}

export interface UnrollOptions extends ModelStepOptions {
  /** Also return the read/write weights and read vectors of every step. */
  readonly trace?: boolean;
  /** With `trace`, also the memory after every step. */
  readonly traceMemory?: boolean;
}

/** Every tensor in a state record (nested records and arrays), into `out`. */
function collectTensors(x: unknown, out: Set<tf.Tensor>): Set<tf.Tensor> {
  if (x instanceof tf.Tensor) out.add(x);
  else if (Array.isArray(x)) for (const y of x) collectTensors(y, out);
  else if (x !== null && typeof x === 'object') for (const y of Object.values(x)) collectTensors(y, out);
  return out;
}

/**
 * Disposes the tensors of a state the loop has moved past (those neither in the next state nor
 * in `held`: the initial state and the outputs so far, which may be state tensors too). A gradient that needs one holds its own reference (tfjs keeps a clone of
 * every tensor a gradient saves), so this frees only what no gradient saved: the memories of a
 * sparse memory (SAM), whose kernels save k rows each instead. Without it the enclosing tidy
 * would keep all T memories alive until the sequence ends.
 */
function release(previous: unknown, next: unknown, held: ReadonlySet<tf.Tensor>): void {
  const keep = collectTensors(next, new Set(held));
  for (const t of collectTensors(previous, new Set())) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

/**
 * Runs a model over a sequence from its initial state.
 * @param inputs `[T, B, X]`
 * @returns logits `[T, B, Y]`, the trace if asked (memory-less models have none), and for
 *   REINFORCE heads the summed score terms of the sampled slots.
 */
export function unroll<S>(
  model: SequenceModel<S>,
  inputs: tf.Tensor3D,
  options: UnrollOptions = {},
): { outputs: tf.Tensor3D; trace?: UnrollTrace; score?: ScoreTerms } {
  shapes('unroll').check('inputs', inputs, ['T', 'B', model.inputSize]);
  return tidy(() => {
    // one kernel for the whole sequence where the model has one (traces need every step's state)
    const whole = options.trace ? undefined : model.wholeSequence?.(inputs, options);
    if (whole) return { outputs: whole };
    const [steps, batch] = inputs.shape;
    let state = model.initialState(batch);
    const held = collectTensors(state, new Set());
    const outputs: tf.Tensor2D[] = [];
    const traces: { r: tf.Tensor[]; w: tf.Tensor[]; v: tf.Tensor[]; m: tf.Tensor[]; extras: Record<string, tf.Tensor[]> } = {
      r: [],
      w: [],
      v: [],
      m: [],
      extras: {},
    };
    const xs = tf.unstack(inputs) as tf.Tensor2D[];
    // Models that split their step hand back features; the readout then runs once over all steps.
    const split = model.features && model.readout ? { features: model.features.bind(model), readout: model.readout.bind(model) } : undefined;
    for (let t = 0; t < steps; t++) {
      const [y, next] = split ? split.features(xs[t] as tf.Tensor2D, state, options) : model.step(xs[t] as tf.Tensor2D, state, options);
      outputs.push(y);
      held.add(y);
      // traces hold the states' weights until they are stacked
      if (!options.trace) release(state, next, held);
      state = next;
      if (options.trace && model.trace) {
        const tr = model.trace(state);
        traces.r.push(tr.readWeights);
        traces.w.push(tr.writeWeights);
        traces.v.push(tr.readVectors);
        if (options.traceMemory) traces.m.push(tr.memory);
        for (const [name, t] of Object.entries(tr.extras ?? {})) {
          traces.extras[name] ??= [];
          traces.extras[name].push(t);
        }
      }
    }
    const logits = split
      ? (tf.reshape(split.readout(tf.concat(outputs, 0) as tf.Tensor2D), [steps, batch, model.outputSize]) as tf.Tensor3D)
      : (tf.stack(outputs) as tf.Tensor3D);
    const result: { outputs: tf.Tensor3D; trace?: UnrollTrace; score?: ScoreTerms } = { outputs: logits };
    const score = model.scoreTerms?.(state);
    if (score) result.score = score;
    if (options.trace && model.trace) {
      result.trace = {
        readWeights: tf.stack(traces.r) as tf.Tensor4D,
        writeWeights: tf.stack(traces.w) as tf.Tensor4D,
        readVectors: tf.stack(traces.v) as tf.Tensor4D,
        ...(options.traceMemory ? { memory: tf.stack(traces.m) as tf.Tensor4D } : {}),
        ...(Object.keys(traces.extras).length ? { extras: Object.fromEntries(Object.entries(traces.extras).map(([name, ts]) => [name, tf.stack(ts)])) } : {}),
      };
    }
    return result;
  });
}
