import * as tf from '@tensorflow/tfjs';

interface EngineState {
  gradientDepth: number;
}

/**
 * Returns a copy of `x` that the gradient tape does not connect to `x`: gradients stop here,
 * and ops on the copy (argmax, top-k, comparisons, which have no gradients in tfjs) never
 * enter back-propagation. tfjs has no public stop-gradient op; this runs the copy with
 * recording paused, which is what tfjs does for ops executed inside a kernel.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return untaped(() => tf.clone(x));
}

/**
 * Runs `fn` with the gradient tape paused: nothing it computes has a gradient, and none of its
 * ops saves a tensor for one (a recorded reshape, say, would keep its input alive until the
 * backward pass ends). For values that are only looked at: traces, plots, discrete choices.
 */
export function untaped<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.gradientDepth = depth;
  }
}

/**
 * `tf.tidy` for functions that return records of tensors (state records, control groups):
 * tfjs keeps every tensor reachable from the result and disposes the rest; only its types are
 * narrower than its behaviour.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}

/**
 * A trainable variable holding `init`'s values. The initial tensor is disposed, so creating
 * a variable leaves exactly one tensor behind (tf.variable alone keeps both alive).
 */
export function variableFrom(init: tf.Tensor, name?: string): tf.Variable {
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}

/**
 * Creates a component's trainable weights. Components take one so that a host can own the
 * variables: the default makes plain tf.Variables, the tf.layers adapter makes layer weights.
 * @param name the weight's path inside the component, e.g. `memory/projection`.
 * @param init produces the initial value (called once; the factory disposes it).
 */
export type VariableFactory = (name: string, init: () => tf.Tensor) => tf.Variable;

let variableCount = 0;

/**
 * The default {@link VariableFactory}: a plain tf.Variable per weight, named by its path and a
 * process-wide count (`memory/projection_3`): tfjs needs variable names unique in the process,
 * and a model's own map (namedVariables) keeps the plain paths.
 */
export const plainVariables: VariableFactory = (name, init) => variableFrom(init(), `${name}_${++variableCount}`);
