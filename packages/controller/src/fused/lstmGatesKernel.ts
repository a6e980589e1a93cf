import type * as tf from '@tensorflow/tfjs';
import { registerFusedGradient, registerFusedKernel, runKernel, WasmKernels } from '@engram/tensor';
import { LSTM_AUX_ROWS, lstmGatesBackward, lstmGatesForward } from './lstmGatesMath.ts';
import { LSTM_WASM_BASE64 } from './lstmWasm.ts';

/** The WebAssembly SIMD twins of the gate kernels (packages/controller/assembly): the same math, four units at a time. */
export const lstmSimd = new WasmKernels('@engram/controller', LSTM_WASM_BASE64);

/** Kernel names (tfjs registry). */
export const LSTM_GATES = 'EngramLstmGates';
export const LSTM_GATES_GRAD = 'EngramLstmGatesGrad';

/** Registers the forward and backward LSTM gate kernels and the gradient (idempotent). */
function registerLstmGatesKernels(): void {
  registerFusedKernel({
    name: LSTM_GATES,
    inputs: ['z', 'bias', 'c'],
    outputShapes: ([, , c]) => [[...c!], [...c!], [c![0]!, LSTM_AUX_ROWS * c![1]!]],
    compute: ([z, bias, c], [h, cNext, aux], [, , cs]) => {
      if (lstmSimd.run('lstmGates', [cs![0]!, cs![1]!], [z!, bias!, c!], [h!, cNext!, aux!])) return;
      lstmGatesForward(cs![0]!, cs![1]!, z!, bias!, c!, h!, cNext!, aux!);
    },
  });
  registerFusedKernel({
    name: LSTM_GATES_GRAD,
    inputs: ['dh', 'dc', 'c', 'aux'],
    outputShapes: ([, , c]) => [[c![0]!, 4 * c![1]!], [4 * c![1]!], [...c!]],
    compute: ([dh, dcNext, c, aux], [dz, dBias, dc], [, , cs]) => {
      if (lstmSimd.run('lstmGatesGrad', [cs![0]!, cs![1]!], [dh!, dcNext!, c!, aux!], [dz!, dBias!, dc!])) return;
      lstmGatesBackward(cs![0]!, cs![1]!, dh!, dcNext!, c!, aux!, dz!, dBias!, dc!);
    },
  });
  registerFusedGradient({
    kernelName: LSTM_GATES,
    inputsToSave: ['c'],
    outputsToSave: [false, false, true],
    gradFunc: (dy, saved) => {
      const [dh, dcNext] = dy as tf.Tensor[];
      const [c, aux] = saved as tf.Tensor[];
      const [dz, dBias, dc] = runKernel(LSTM_GATES_GRAD, { dh: dh!, dc: dcNext!, c: c!, aux: aux! });
      return { z: () => dz as tf.Tensor, bias: () => dBias as tf.Tensor, c: () => dc as tf.Tensor };
    },
  });
}
// registered once, when this module is first imported (the registry is by backend name, so before the backend loads too)
registerLstmGatesKernels();

/**
 * The LSTM gate math in one kernel (forward and backward as plain loops); the same function as
 * the composite ops in lstm.ts: c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c').
 * @param z `[B, 4U]` pre-activations [x, h] . kernel, gate order i, f, g, o, without bias.
 * @param bias `[4U]`
 * @param c `[B, U]`
 * @returns h' and c', each `[B, U]`.
 */
export function fusedLstmGates(z: tf.Tensor2D, bias: tf.Tensor1D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const [h, cNext, aux] = runKernel(LSTM_GATES, { z, bias, c });
  aux!.dispose(); // kept (as a saved clone) only when a gradient tape records this call
  return { h: h as tf.Tensor2D, c: cNext as tf.Tensor2D };
}
