import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel } from '@engram/tensor';
import { sequenceBackward, sequenceForward, type SequenceArrays } from './ntmSequenceMath.ts';
import { SEQUENCE_INPUTS, sequenceDims, tapeLayout, type SequenceAttrs } from './sequenceDims.ts';

/** Kernel names (tfjs registry). */
export const NTM_SEQUENCE = 'EngramNtmSequence';
export const NTM_SEQUENCE_GRAD = 'EngramNtmSequenceGrad';

type Attrs = SequenceAttrs & tf.NamedAttrMap;
type SequenceInput = (typeof SEQUENCE_INPUTS)[number];

function named(arrays: readonly Float32Array[]): SequenceArrays {
  return Object.fromEntries(SEQUENCE_INPUTS.map((n, i) => [n, arrays[i]])) as unknown as SequenceArrays;
}

/** Registers the forward and backward kernels and the gradient (idempotent). */
function registerSequenceKernels(): void {
  registerFusedKernel<Attrs>({
    name: NTM_SEQUENCE,
    inputs: SEQUENCE_INPUTS,
    // logits [T,B,Y], tape [size]
    outputShapes: (s, attrs) => [[s[0]![0]!, s[0]![1]!, s[12]![0]!], [tapeLayout(sequenceDims(s, attrs)).size]],
    compute: (ins, [logits, tape], s, attrs) => sequenceForward(sequenceDims(s, attrs), named(ins), logits!, tape!),
  });
  registerFusedKernel<Attrs>({
    name: NTM_SEQUENCE_GRAD,
    inputs: ['dy', 'tape', ...SEQUENCE_INPUTS],
    outputShapes: (s) => s.slice(2).map((x) => [...x]),
    compute: ([dy, tape, ...ins], outs, s, attrs) => sequenceBackward(sequenceDims(s.slice(2), attrs), named(ins), dy!, tape!, named(outs)),
  });
  registerFusedGradient({
    kernelName: NTM_SEQUENCE,
    inputsToSave: [...SEQUENCE_INPUTS],
    outputsToSave: [false, true],
    gradFunc: (dy, saved, attrs) => {
      const [dLogits] = dy as tf.Tensor[];
      const inputs: Record<string, tf.Tensor> = { dy: dLogits!, tape: saved[SEQUENCE_INPUTS.length] as tf.Tensor };
      SEQUENCE_INPUTS.forEach((n, i) => (inputs[n] = saved[i] as tf.Tensor));
      const grads = runKernel(NTM_SEQUENCE_GRAD, inputs, attrs);
      return Object.fromEntries(SEQUENCE_INPUTS.map((n, i) => [n, () => grads[i] as tf.Tensor]));
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerSequenceKernels();

/**
 * The NTM (one-layer LSTM controller, NTM memory with soft or sparsemax heads, clipped dense
 * readout) over a whole sequence in one kernel, with one backward-through-time kernel as its
 * gradient; every input gets its gradient, so `tf.variableGrads` and `optimizer.minimize` work
 * through it as through the per-step ops.
 * @param inputs x `[T, B, X]`; the initial state h0, c0 `[B, U]`, memory0 `[B, N, M]`,
 *   readWeights0 `[B, R, N]`, writeWeights0 `[B, W, N]`, reads0 `[B, R*M]`; the weights
 *   lstmKernel `[X + R*M + U, 4U]`, lstmBias `[4U]`, projection `[U, L]`, projectionBias `[L]`,
 *   outputKernel `[U + R*M, Y]`, outputBias `[Y]`.
 * @returns the clipped logits `[T, B, Y]`.
 */
export function ntmSequence(inputs: Readonly<Record<SequenceInput, tf.Tensor>>, attrs: SequenceAttrs): tf.Tensor3D {
  const [logits, tape] = runKernel(NTM_SEQUENCE, inputs as Record<string, tf.Tensor>, attrs as Attrs);
  tape!.dispose(); // kept (as a saved clone) only when a gradient tape records this call
  return logits as tf.Tensor3D;
}
