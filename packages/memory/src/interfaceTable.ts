import * as tf from '@tensorflow/tfjs';
import { tidy } from '@engram/tensor';

/**
 * The interface vector every memory projects the controller output to, as a declared table of
 * named controls per head (the NTM's in ntm/controls.ts, the DNC's in dnc/interface.ts).
 */

/**
 * The interface vector (the projection of the controller output, before activation) is clipped
 * to ±INTERFACE_CLIP, as Collier & Beel (2018) do: it bounds beta (softplus(20) = 20) and gamma
 * (21), which are otherwise unbounded, and saturates nothing a head needs (tanh(20) = 1).
 */
export const INTERFACE_CLIP = 20;

/** Activation applied to one control, in exactly one place ({@link activateTable}). */
export type Activation = 'tanh' | 'softplus' | 'sigmoid' | 'softmax' | 'oneplus' | 'linear';

/**
 * One named control of a head: its length in the interface vector, its activation, and the
 * initial value of its entries of the projection bias (0 unless stated).
 */
export interface ControlSpec<Name extends string = string> {
  readonly name: Name;
  readonly length: number;
  readonly activation: Activation;
  readonly initialBias?: number;
}

/** Total length of one head's segment of the interface vector. */
export function headLength(table: readonly ControlSpec<string>[]): number {
  return table.reduce((sum, c) => sum + c.length, 0);
}

/** The initial projection bias of `heads` heads with one table: each control's initialBias, repeated. */
export function initialBias(table: readonly ControlSpec<string>[], heads: number): number[] {
  const one = table.flatMap((c) => Array.from({ length: c.length }, () => c.initialBias ?? 0));
  return Array.from({ length: heads }, () => one).flat();
}

function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'oneplus':
      return tf.add(1, tf.softplus(x));
    case 'softmax':
      return tf.softmax(x, -1);
    case 'linear':
      return x;
  }
}

/**
 * Splits a group's raw interface vectors by any table and applies each control's activation;
 * every control comes out `[B, H, length]`. The NTM's activateControls and the DNC's interface
 * both use it.
 * @param raw `[B, H * headLength]`, heads in order, each head's controls in table order.
 */
export function activateTable<Name extends string>(raw: tf.Tensor2D, heads: number, table: readonly ControlSpec<Name>[]): Record<Name, tf.Tensor3D> {
  return tidy(() => {
    const b = raw.shape[0];
    const perHead = tf.reshape(raw, [b, heads, headLength(table)]);
    const parts = tf.split(
      perHead,
      table.map((c) => c.length),
      2,
    );
    const out = {} as Record<Name, tf.Tensor3D>;
    table.forEach((c, i) => {
      out[c.name] = activate(parts[i] as tf.Tensor, c.activation) as tf.Tensor3D;
    });
    return out;
  });
}
