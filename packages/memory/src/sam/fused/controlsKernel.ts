import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import { INTERFACE_CLIP } from '../../interfaceTable.ts';

/**
 * SAM's interface vector to its controls, as one kernel with one gradient (in place of the
 * clip, the split, the activations of samWriteTable and samReadTable and the write weights'
 * arithmetic: ~25 small ops a step forward, as many backward, each a dispatch that costs more
 * than its arithmetic at batch 1). Per batch row, z clipped to ±INTERFACE_CLIP (c):
 *     erase e = σ(c[0, M)), write vector a = c[M, 2M), allocation gate γ = σ(c[2M]),
 *     write gate α = σ(c[2M + 1]); read head r at o = 2M + 2 + r (M + 1): key c[o, o + M),
 *     strength β = 1 + softplus(c[o + M]);
 *     write values (SAM eq. 5): α γ / R w^R_{t-1} on the R k rows last read, α (1 - γ) on the least-used row.
 * The gradient passes where -INTERFACE_CLIP <= z <= INTERFACE_CLIP (as tf.clipByValue's).
 *
 * Dimension names: B batch, L interface length, M width, R read heads, k rows per read head,
 * E = R k + 1 write entries.
 */
export const SAM_CONTROLS = 'EngramSamControls';
export const SAM_CONTROLS_GRAD = 'EngramSamControlsGrad';

type ControlsAttrs = { width: number; readHeads: number; k: number };

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** log(1 + e^x) without overflow. */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const clip = (x: number): number => Math.min(Math.max(x, -INTERFACE_CLIP), INTERFACE_CLIP);

/** Offsets in a row of z: the write head's controls, then read head r's at readOffset(r). */
function layout(width: number) {
  return { vector: width, allocationGate: 2 * width, writeGate: 2 * width + 1, readOffset: (r: number) => 2 * width + 2 + r * (width + 1) };
}

function registerSamControls(): void {
  registerFusedKernel<ControlsAttrs>({
    name: SAM_CONTROLS,
    inputs: ['interface', 'previousValues'],
    // erase, write vector [B, 1, M]; keys [B, R, M]; strengths [B, R]; write values [B, 1, E]
    outputShapes: ([z], { width: M, readHeads: R, k }) => {
      const B = z![0]!;
      return [
        [B, 1, M],
        [B, 1, M],
        [B, R, M],
        [B, R],
        [B, 1, R * k + 1],
      ];
    },
    compute: ([z, previous], [erase, vector, keys, strengths, values], [zs], { width: M, readHeads: R, k }) => {
      const [B, L] = zs as [number, number];
      const at = layout(M);
      const E = R * k + 1;
      for (let b = 0; b < B; b++) {
        const c = (i: number) => clip(z![b * L + i]!);
        for (let j = 0; j < M; j++) {
          erase![b * M + j] = sigmoid(c(j));
          vector![b * M + j] = c(at.vector + j);
        }
        for (let r = 0; r < R; r++) {
          const o = at.readOffset(r);
          for (let j = 0; j < M; j++) keys![(b * R + r) * M + j] = c(o + j);
          strengths![b * R + r] = 1 + softplus(c(o + M));
        }
        const gamma = sigmoid(c(at.allocationGate));
        const alpha = sigmoid(c(at.writeGate));
        for (let e = 0; e < E - 1; e++) values![b * E + e] = ((alpha * gamma) / R) * previous![b * (E - 1) + e]!;
        values![b * E + E - 1] = alpha * (1 - gamma);
      }
    },
  });
  registerFusedKernel<ControlsAttrs>({
    name: SAM_CONTROLS_GRAD,
    inputs: ['dErase', 'dVector', 'dKeys', 'dStrengths', 'dValues', 'interface', 'previousValues'],
    outputShapes: ([, , , , , z, previous]) => [[...z!], [...previous!]],
    compute: ([dErase, dVector, dKeys, dStrengths, dValues, z, previous], [dz, dPrevious], [, , , , , zs], { width: M, readHeads: R, k }) => {
      const [B, L] = zs as [number, number];
      const at = layout(M);
      const E = R * k + 1;
      for (let b = 0; b < B; b++) {
        const row = b * L;
        // d/dc of each control, then through the clip
        const set = (i: number, dc: number) => {
          const x = z![row + i]!;
          dz![row + i] = x >= -INTERFACE_CLIP && x <= INTERFACE_CLIP ? dc : 0;
        };
        for (let j = 0; j < M; j++) {
          const e = sigmoid(clip(z![row + j]!));
          set(j, dErase![b * M + j]! * e * (1 - e));
          set(at.vector + j, dVector![b * M + j]!);
        }
        for (let r = 0; r < R; r++) {
          const o = at.readOffset(r);
          for (let j = 0; j < M; j++) set(o + j, dKeys![(b * R + r) * M + j]!);
          set(o + M, dStrengths![b * R + r]! * sigmoid(clip(z![row + o + M]!)));
        }
        const gamma = sigmoid(clip(z![row + at.allocationGate]!));
        const alpha = sigmoid(clip(z![row + at.writeGate]!));
        // values_e = α γ / R p_e (e < E - 1), α (1 - γ) (e = E - 1)
        let read = 0;
        for (let e = 0; e < E - 1; e++) {
          const dv = dValues![b * E + e]!;
          read += dv * previous![b * (E - 1) + e]!;
          dPrevious![b * (E - 1) + e] = (dv * alpha * gamma) / R;
        }
        const least = dValues![b * E + E - 1]!;
        const dAlpha = (gamma / R) * read + (1 - gamma) * least;
        const dGamma = (alpha / R) * read - alpha * least;
        set(at.allocationGate, dGamma * gamma * (1 - gamma));
        set(at.writeGate, dAlpha * alpha * (1 - alpha));
      }
    },
  });
  registerFusedGradient({
    kernelName: SAM_CONTROLS,
    inputsToSave: ['interface', 'previousValues'],
    gradFunc: (dys, saved, attrs) => {
      const [z, previous] = saved as tf.Tensor[];
      const [dErase, dVector, dKeys, dStrengths, dValues] = dys as tf.Tensor[];
      const [dz, dPrevious] = runKernel(
        SAM_CONTROLS_GRAD,
        { dErase: dErase!, dVector: dVector!, dKeys: dKeys!, dStrengths: dStrengths!, dValues: dValues!, interface: z!, previousValues: previous! },
        attrs as ControlsAttrs,
      );
      return { interface: () => dz as tf.Tensor, previousValues: () => dPrevious as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported
registerSamControls();

/** SAM's controls for one step. */
export interface SamControls {
  /** `[B, 1, M]` e */
  readonly erase: tf.Tensor3D;
  /** `[B, 1, M]` a */
  readonly vector: tf.Tensor3D;
  /** `[B, R, M]` */
  readonly keys: tf.Tensor3D;
  /** `[B, R]` β */
  readonly strengths: tf.Tensor2D;
  /** `[B, 1, R k + 1]` the write weights' values (samUsage names their rows). */
  readonly writeValues: tf.Tensor3D;
}

/**
 * @param z `[B, L]` the interface vector (the projection of the controller output), unclipped.
 * @param previousValues `[B, R, k]` the last step's read weights.
 */
export function samControls(z: tf.Tensor2D, previousValues: tf.Tensor3D, width: number, readHeads: number, k: number): SamControls {
  const attrs: ControlsAttrs = { width, readHeads, k };
  const [erase, vector, keys, strengths, writeValues] = runKernel(SAM_CONTROLS, { interface: z, previousValues }, attrs);
  return {
    erase: erase as tf.Tensor3D,
    vector: vector as tf.Tensor3D,
    keys: keys as tf.Tensor3D,
    strengths: strengths as tf.Tensor2D,
    writeValues: writeValues as tf.Tensor3D,
  };
}
