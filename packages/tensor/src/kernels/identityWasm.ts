import * as tf from '@tensorflow/tfjs';

/** The part of the wasm backend's API this kernel uses (public methods of BackendWasm). */
interface WasmBackendLike {
  incRef(dataId: tf.DataId): void;
}

const SHARED = Symbol.for('engram.wasmIdentityShares');

/**
 * Identity (what `tf.clone` and the gradient tape's saved tensors run) for the wasm backend,
 * sharing the input's data by reference count as the cpu backend and wasm's own Reshape do.
 * tfjs-backend-wasm 4.22 copies the data instead, so every tensor a kernel saves for its
 * gradient (memory `[B, N, M]` several times per time step) costs a full copy. Tensors are
 * immutable, so sharing is safe. Strings keep tfjs's own kernel.
 */
export function registerWasmIdentity(): void {
  const original = tf.getKernel('Identity', 'wasm');
  if (!original || (original as unknown as Record<symbol, boolean>)[SHARED]) return;
  const kernelFunc = ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (x.dtype === 'string') return (original.kernelFunc as unknown as (a: typeof args) => tf.TensorInfo)(args);
    (args.backend as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }) as unknown as tf.KernelFunc;
  tf.unregisterKernel('Identity', 'wasm');
  const config = { ...original, kernelFunc, [SHARED]: true } as tf.KernelConfig;
  tf.registerKernel(config);
}
