import * as tf from '@tensorflow/tfjs';
import { tidy } from '@engram/tensor';
import { activateTable, headLength, type ControlSpec } from '../interfaceTable.ts';

/** The DNC-MD options (Csordas & Schmidhuber 2019); all off is the paper's DNC. */
export interface DncOptions {
  /** Content masking: each head learns a mask over the word, applied to key and memory before the cosine. */
  readonly masking: boolean;
  /** De-allocation: the retention psi also multiplies the memory, so freed cells are erased. */
  readonly deallocation: boolean;
  /** Link distribution sharpness control: one strength per read head and direction. */
  readonly sharpness: boolean;
}

export type DncWriteControl = 'key' | 'strength' | 'erase' | 'vector' | 'allocationGate' | 'writeGate' | 'mask';
export type DncReadControl = 'key' | 'strength' | 'freeGate' | 'modes' | 'mask' | 'forwardSharpness' | 'backwardSharpness';

/**
 * A write head's controls (DNC Methods, "Interface parameters"): key (M, linear), strength
 * (1, oneplus), erase (M, sigmoid), write vector (M, linear), allocation gate and write gate
 * (1, sigmoid); with masking a mask (M, sigmoid).
 */
export function dncWriteTable(width: number, options: DncOptions): readonly ControlSpec<DncWriteControl>[] {
  return [
    { name: 'key', length: width, activation: 'linear' },
    { name: 'strength', length: 1, activation: 'oneplus' },
    { name: 'erase', length: width, activation: 'sigmoid' },
    { name: 'vector', length: width, activation: 'linear' },
    { name: 'allocationGate', length: 1, activation: 'sigmoid' },
    { name: 'writeGate', length: 1, activation: 'sigmoid' },
    ...(options.masking ? [{ name: 'mask', length: width, activation: 'sigmoid' } as const] : []),
  ];
}

/**
 * A read head's controls: key (M, linear), strength (1, oneplus), free gate (1, sigmoid), read
 * modes (2W + 1, softmax: backward along each write head's links, forward along each, content);
 * with masking a mask (M, sigmoid); with sharpness a forward and a backward strength (1, oneplus).
 */
export function dncReadTable(width: number, writeHeads: number, options: DncOptions): readonly ControlSpec<DncReadControl>[] {
  return [
    { name: 'key', length: width, activation: 'linear' },
    { name: 'strength', length: 1, activation: 'oneplus' },
    { name: 'freeGate', length: 1, activation: 'sigmoid' },
    { name: 'modes', length: 2 * writeHeads + 1, activation: 'softmax' },
    ...(options.masking ? [{ name: 'mask', length: width, activation: 'sigmoid' } as const] : []),
    ...(options.sharpness
      ? [{ name: 'forwardSharpness', length: 1, activation: 'oneplus' } as const, { name: 'backwardSharpness', length: 1, activation: 'oneplus' } as const]
      : []),
  ];
}

/** The activated interface: every control `[B, H, length]`. */
export interface DncControls {
  readonly write: Record<DncWriteControl, tf.Tensor3D>;
  readonly read: Record<DncReadControl, tf.Tensor3D>;
}

/**
 * Splits the (clipped) interface vector into the write heads' and the read heads' controls.
 * @param z `[B, W * writeLength + R * readLength]`
 */
export function splitDncInterface(
  z: tf.Tensor2D,
  writeHeads: number,
  readHeads: number,
  writeTable: readonly ControlSpec<DncWriteControl>[],
  readTable: readonly ControlSpec<DncReadControl>[],
): DncControls {
  return tidy(() => {
    const wLen = writeHeads * headLength(writeTable);
    const [zw, zr] = tf.split(z, [wLen, z.shape[1] - wLen], 1) as [tf.Tensor2D, tf.Tensor2D];
    return { write: activateTable(zw, writeHeads, writeTable), read: activateTable(zr, readHeads, readTable) };
  });
}
