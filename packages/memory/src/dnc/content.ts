import * as tf from '@tensorflow/tfjs';
import { shapes } from '@engram/tensor';
import { KEY_NORM_EPSILON, ROW_NORM_FLOOR } from '../constants.ts';
import { contentWeights } from '../contentWeights.ts';
import { softmax } from '../normalize.ts';

/**
 * DNC-MD's masked cosine (Csordas & Schmidhuber 2019, eq. 3): each head compares only the
 * parts of the word its mask selects, C(M ⊙ m, k ⊙ m), with the cosine's floors (constants.ts):
 * (M (k ⊙ m²)) / (sqrt((M ⊙ M) m² + δ²) · sqrt(|k ⊙ m|² + ε)). Computed as matrix products, so no
 * masked copy of the memory per head is made.
 * @param memory `[B, N, M]`
 * @param keys `[B, H, M]`
 * @param mask `[B, H, M]` in [0, 1].
 * @returns scores `[B, H, N]`
 */
export function maskedCosine(memory: tf.Tensor3D, keys: tf.Tensor3D, mask: tf.Tensor3D): tf.Tensor3D {
  const s = shapes('maskedCosine');
  s.check('memory', memory, ['B', 'N', 'M']);
  s.check('keys', keys, ['B', 'H', 'M']);
  s.check('mask', mask, ['B', 'H', 'M']);
  return tf.tidy(() => {
    const mask2 = tf.square(mask);
    const dots = tf.matMul(tf.mul(keys, mask2), memory, false, true); // [B,H,N]
    const rowNorm = tf.sqrt(tf.add(tf.matMul(mask2, tf.square(memory), false, true), ROW_NORM_FLOOR * ROW_NORM_FLOOR)); // [B,H,N]
    const keyNorm = tf.sqrt(tf.add(tf.sum(tf.square(tf.mul(keys, mask)), -1, true), KEY_NORM_EPSILON)); // [B,H,1]
    return tf.div(dots, tf.mul(rowNorm, keyNorm)) as tf.Tensor3D;
  });
}

/**
 * DNC content weights, softmax_N(beta · C(k, M_i)) (the NTM's, shared), or with a mask the
 * masked cosine's.
 * @param memory `[B, N, M]`
 * @param keys `[B, H, M]`
 * @param strength `[B, H]`, >= 1.
 * @param mask `[B, H, M]` (DNC-MD masking) or undefined.
 * @returns `[B, H, N]`
 */
export function dncContentWeights(memory: tf.Tensor3D, keys: tf.Tensor3D, strength: tf.Tensor2D, mask?: tf.Tensor3D): tf.Tensor3D {
  if (!mask) return contentWeights(memory, keys, strength);
  return tf.tidy(() => softmax(tf.mul(maskedCosine(memory, keys, mask), tf.expandDims(strength, -1))) as tf.Tensor3D);
}
