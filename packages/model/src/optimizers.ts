import * as tf from '@tensorflow/tfjs';
import { EngramError, fusedBackend } from '@engram/tensor';
import { adamUpdate, rmspropUpdate } from './optimizerKernels.ts';

/**
 * A change of learning rate: every update after the first `afterStep` ones uses `lr` (until the
 * next change). A list of them is a piecewise-constant schedule; before the first change the
 * optimizer's own `lr` applies.
 */
export interface LearningRateChange {
  readonly afterStep: number;
  readonly lr: number;
}

/** Optimizer settings as they appear in a config. */
export type OptimizerConfig =
  | { kind: 'adam'; lr?: number; beta1?: number; beta2?: number; epsilon?: number; lrSchedule?: readonly LearningRateChange[] }
  | { kind: 'rmsprop'; lr?: number; decay?: number; momentum?: number; epsilon?: number; lrSchedule?: readonly LearningRateChange[] };

/**
 * A first-order optimizer whose whole state is named tensors, so a checkpoint restores it
 * exactly (bit for bit) and a resumed run continues identically.
 */
export interface Optimizer {
  readonly config: Required<OptimizerConfig>;
  /**
   * Applies one update: variables and gradients are matched by name. `lr` replaces the
   * configured rate for this update (the trainer passes {@link learningRateAt}'s).
   */
  apply(variables: Readonly<Record<string, tf.Variable>>, grads: Readonly<Record<string, tf.Tensor>>, lr?: number): void;
  /** The state as named tensors (copies owned by the caller). */
  getState(): Record<string, tf.Tensor>;
  /** Replaces the state (takes copies). */
  setState(state: Readonly<Record<string, tf.Tensor>>): void;
  dispose(): void;
}

function positive(v: number, field: string): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new EngramError(field, `${v} is not a positive number`, 'use a value > 0, e.g. 1e-3');
  return v;
}

/** Checks a schedule: positive rates at strictly increasing positive whole steps. */
function checkedSchedule(schedule: readonly LearningRateChange[] | undefined): readonly LearningRateChange[] {
  const changes = schedule ?? [];
  changes.forEach((c, i) => {
    const field = `optimizer.lrSchedule[${i}]`;
    const previous = i > 0 ? (changes[i - 1] as LearningRateChange).afterStep : 0;
    if (!Number.isInteger(c.afterStep) || c.afterStep <= previous) {
      throw new EngramError(
        `${field}.afterStep`,
        `${c.afterStep} is not a whole step after ${previous}`,
        'list the changes by increasing afterStep, each >= 1',
      );
    }
    positive(c.lr, `${field}.lr`);
  });
  return changes;
}

/**
 * The learning rate of the update that follows `stepsDone` updates: the rate of the last
 * schedule change with `afterStep <= stepsDone`, else the configured `lr`. A function of the step
 * count alone, so a run resumed from a checkpoint continues on the same schedule.
 */
export function learningRateAt(config: Required<OptimizerConfig>, stepsDone: number): number {
  let lr = config.lr;
  for (const change of config.lrSchedule) if (change.afterStep <= stepsDone) lr = change.lr;
  return lr;
}

/** Slots: one state tensor per (slot name, variable name), created as zeros on first use. */
class SlotStore {
  readonly tensors = new Map<string, tf.Variable>();
  get(slot: string, name: string, like: tf.Tensor): tf.Variable {
    const key = `${slot}/${name}`;
    let t = this.tensors.get(key);
    if (!t) {
      t = tf.variable(tf.zerosLike(like), false);
      this.tensors.set(key, t);
    }
    return t;
  }
  entries(): Record<string, tf.Tensor> {
    return Object.fromEntries([...this.tensors].map(([k, v]) => [k, tf.clone(v)]));
  }
  set(state: Readonly<Record<string, tf.Tensor>>, prefixes: string[]): void {
    this.dispose();
    for (const [k, v] of Object.entries(state)) {
      if (prefixes.some((p) => k.startsWith(`${p}/`))) this.tensors.set(k, tf.variable(tf.clone(v), false));
    }
  }
  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

/**
 * Adam (Kingma & Ba) with bias correction computed from the step count in float64. On the cpu
 * and wasm backends each variable's update is one kernel (optimizerKernels.ts).
 */
export function adam(c: Extract<OptimizerConfig, { kind: 'adam' }>): Optimizer {
  const config = {
    kind: 'adam' as const,
    lr: positive(c.lr ?? 1e-3, 'optimizer.lr'),
    beta1: c.beta1 ?? 0.9,
    beta2: c.beta2 ?? 0.999,
    epsilon: c.epsilon ?? 1e-8,
    lrSchedule: checkedSchedule(c.lrSchedule),
  };
  const slots = new SlotStore();
  let t = 0;
  return {
    config,
    apply(variables, grads, lr = config.lr) {
      t += 1;
      const lrT = (lr * Math.sqrt(1 - config.beta2 ** t)) / (1 - config.beta1 ** t);
      tf.tidy(() => {
        for (const [name, g] of Object.entries(grads)) {
          const v = variables[name];
          if (!v) continue;
          const m = slots.get('m', name, v);
          const s = slots.get('v', name, v);
          if (fusedBackend(tf.getBackend())) {
            const [w1, m1, s1] = adamUpdate(v, m, s, g, { lrT, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon });
            m.assign(m1);
            s.assign(s1);
            v.assign(w1);
            continue;
          }
          m.assign(tf.add(tf.mul(m, config.beta1), tf.mul(g, 1 - config.beta1)));
          s.assign(tf.add(tf.mul(s, config.beta2), tf.mul(tf.square(g), 1 - config.beta2)));
          v.assign(tf.sub(v, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(s), config.epsilon))));
        }
      });
    },
    getState() {
      return { ...slots.entries(), step: tf.scalar(t, 'int32') };
    },
    setState(state) {
      slots.set(state, ['m', 'v']);
      t = state['step'] ? (state['step'].dataSync()[0] as number) : 0;
    },
    dispose: () => slots.dispose(),
  };
}

/**
 * RMSProp as in Graves (2013) and pytorch-ntm: centred second moment, momentum (one kernel a
 * variable on the cpu and wasm backends).
 * n = d n + (1-d) g^2; a = d a + (1-d) g; delta = momentum * delta - lr g / sqrt(n - a^2 + eps).
 */
export function rmsprop(c: Extract<OptimizerConfig, { kind: 'rmsprop' }>): Optimizer {
  const config = {
    kind: 'rmsprop' as const,
    lr: positive(c.lr ?? 1e-4, 'optimizer.lr'),
    decay: c.decay ?? 0.95,
    momentum: c.momentum ?? 0.9,
    epsilon: c.epsilon ?? 1e-10,
    lrSchedule: checkedSchedule(c.lrSchedule),
  };
  const slots = new SlotStore();
  return {
    config,
    apply(variables, grads, lr = config.lr) {
      const attrs = { lr, decay: config.decay, momentum: config.momentum, epsilon: config.epsilon };
      tf.tidy(() => {
        for (const [name, g] of Object.entries(grads)) {
          const v = variables[name];
          if (!v) continue;
          const n = slots.get('n', name, v);
          const a = slots.get('a', name, v);
          const d = slots.get('delta', name, v);
          if (fusedBackend(tf.getBackend())) {
            const [w1, n1, a1, d1] = rmspropUpdate(v, n, a, d, g, attrs);
            n.assign(n1);
            a.assign(a1);
            d.assign(d1);
            v.assign(w1);
            continue;
          }
          n.assign(tf.add(tf.mul(n, config.decay), tf.mul(tf.square(g), 1 - config.decay)));
          a.assign(tf.add(tf.mul(a, config.decay), tf.mul(g, 1 - config.decay)));
          const denom = tf.sqrt(tf.add(tf.sub(n, tf.square(a)), config.epsilon));
          d.assign(tf.sub(tf.mul(d, config.momentum), tf.div(tf.mul(g, lr), denom)));
          v.assign(tf.add(v, d));
        }
      });
    },
    getState: () => slots.entries(),
    setState: (state) => slots.set(state, ['n', 'a', 'delta']),
    dispose: () => slots.dispose(),
  };
}

export function makeOptimizer(config: OptimizerConfig): Optimizer {
  switch (config.kind) {
    case 'adam':
      return adam(config);
    case 'rmsprop':
      return rmsprop(config);
    default:
      throw new EngramError('optimizer.kind', `unknown optimizer '${String((config as { kind: unknown }).kind)}'`, 'use adam or rmsprop');
  }
}
