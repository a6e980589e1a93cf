import * as tf from '@tensorflow/tfjs';
import { tidy } from '@engram/tensor';

/**
 * The interface vector (the projection of the controller output, before activation) is clipped
 * to ±INTERFACE_CLIP, as Collier & Beel (2018) do: it bounds beta (softplus(20) = 20) and gamma
 * (21), which are otherwise unbounded, and saturates nothing a head needs (tanh(20) = 1).
 */
export const INTERFACE_CLIP = 20;

/** Activation applied to one control, in exactly one place ({@link activateControls}). */
export type Activation = 'tanh' | 'softplus' | 'sigmoid' | 'softmax' | 'oneplus';

/** One named control of a head: its length in the interface vector and its activation. */
export interface ControlSpec {
  readonly name: ControlName;
  readonly length: number;
  readonly activation: Activation;
}

export type ControlName = 'key' | 'beta' | 'gate' | 'shift' | 'gamma' | 'erase' | 'add';

/**
 * The declared table of a head's controls, in the order they sit in the interface vector:
 * key (k, M, tanh), beta (β, 1, softplus), gate (g, 1, sigmoid), shift (s, 2S+1, softmax),
 * gamma (γ, 1, 1 + softplus); write heads then erase (e, M, sigmoid) and add (a, M, tanh).
 */
export function controlTable(width: number, shiftRange: number, isWrite: boolean): readonly ControlSpec[] {
  const table: ControlSpec[] = [
    { name: 'key', length: width, activation: 'tanh' },
    { name: 'beta', length: 1, activation: 'softplus' },
    { name: 'gate', length: 1, activation: 'sigmoid' },
    { name: 'shift', length: 2 * shiftRange + 1, activation: 'softmax' },
    { name: 'gamma', length: 1, activation: 'oneplus' },
  ];
  if (isWrite) {
    table.push({ name: 'erase', length: width, activation: 'sigmoid' }, { name: 'add', length: width, activation: 'tanh' });
  }
  return table;
}

/** Total length of one head's segment of the interface vector. */
export function headLength(table: readonly ControlSpec[]): number {
  return table.reduce((sum, c) => sum + c.length, 0);
}

/**
 * One group of heads' activated controls. Vector controls are `[B, H, len]`, scalar controls
 * (beta, gate, gamma) `[B, H]`.
 */
export interface HeadControls {
  readonly key: tf.Tensor3D;
  readonly beta: tf.Tensor2D;
  readonly gate: tf.Tensor2D;
  readonly shift: tf.Tensor3D;
  readonly gamma: tf.Tensor2D;
  readonly erase?: tf.Tensor3D;
  readonly add?: tf.Tensor3D;
}

function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'softplus': return tf.softplus(x);
    case 'oneplus': return tf.add(1, tf.softplus(x));
    case 'softmax': return tf.softmax(x, -1);
  }
}

/**
 * Splits a group's raw interface vectors by the table and applies each control's activation.
 * @param raw `[B, H * headLength]`, heads in order, each head's controls in table order.
 */
export function activateControls(raw: tf.Tensor2D, heads: number, table: readonly ControlSpec[]): HeadControls {
  return tidy(() => {
    const b = raw.shape[0];
    const perHead = tf.reshape(raw, [b, heads, headLength(table)]);
    const parts = tf.split(perHead, table.map((c) => c.length), 2);
    const out: Record<string, tf.Tensor> = {};
    table.forEach((c, i) => {
      const a = activate(parts[i] as tf.Tensor, c.activation);
      // squeeze the scalar controls by name, not by length: a key (M = 1) or shift (S = 0) of length 1 stays [B, H, 1]
      out[c.name] = c.name === 'beta' || c.name === 'gate' || c.name === 'gamma' ? tf.squeeze(a, [2]) : a;
    });
    return out as unknown as HeadControls;
  });
}
