import * as tf from '@tensorflow/tfjs';
import { tidy } from '@engram/tensor';
import { activateTable, type ControlSpec } from '../interfaceTable.ts';

/**
 * Initial bias of a write head's gate: sigmoid(-3) = 0.047, so write heads start by following
 * their previous weighting (location) rather than their content weights. Over a memory that
 * holds nothing yet the content weights are uniform, and with the gate at sigmoid(0) = 0.5 the
 * first writes spread over every slot; an LSTM controller, which can lower its cost without the
 * memory at first, then stayed in that state (associative recall, seed 1, Adam 3e-3: 5.4
 * bits/sequence after 12,800 sequences and still ~5 at 40,000), while with this bias the same run
 * solved at 44,800. Read heads keep 0: they need their content weights to find a query.
 */
export const WRITE_GATE_INITIAL_BIAS = -3;

export type ControlName = 'key' | 'beta' | 'gate' | 'shift' | 'gamma' | 'erase' | 'add';

/**
 * The declared table of a head's controls, in the order they sit in the interface vector:
 * key (k, M, tanh), beta (β, 1, softplus), gate (g, 1, sigmoid), shift (s, 2S+1, softmax),
 * gamma (γ, 1, 1 + softplus); write heads then erase (e, M, sigmoid) and add (a, M, tanh).
 */
export function controlTable(
  width: number,
  shiftRange: number,
  isWrite: boolean,
  writeGateBias = WRITE_GATE_INITIAL_BIAS,
): readonly ControlSpec<ControlName>[] {
  const table: ControlSpec<ControlName>[] = [
    { name: 'key', length: width, activation: 'tanh' },
    { name: 'beta', length: 1, activation: 'softplus' },
    { name: 'gate', length: 1, activation: 'sigmoid', ...(isWrite && writeGateBias !== 0 ? { initialBias: writeGateBias } : {}) },
    { name: 'shift', length: 2 * shiftRange + 1, activation: 'softmax' },
    { name: 'gamma', length: 1, activation: 'oneplus' },
  ];
  if (isWrite) {
    table.push({ name: 'erase', length: width, activation: 'sigmoid' }, { name: 'add', length: width, activation: 'tanh' });
  }
  return table;
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

/**
 * Splits a group's raw interface vectors by the table and applies each control's activation.
 * @param raw `[B, H * headLength]`, heads in order, each head's controls in table order.
 */
export function activateControls(raw: tf.Tensor2D, heads: number, table: readonly ControlSpec<ControlName>[]): HeadControls {
  return tidy(() => {
    const parts: Record<string, tf.Tensor> = activateTable(raw, heads, table);
    // squeeze the scalar controls by name, not by length: a key (M = 1) or shift (S = 0) of length 1 stays [B, H, 1]
    for (const name of ['beta', 'gate', 'gamma']) parts[name] = tf.squeeze(parts[name] as tf.Tensor, [2]);
    return parts as unknown as HeadControls;
  });
}
