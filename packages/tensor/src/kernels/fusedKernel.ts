import * as tf from '@tensorflow/tfjs';

/** The embedded backends a fused kernel is registered for. */
export const FUSED_BACKENDS = ['cpu', 'wasm'] as const;
export type FusedBackendName = (typeof FUSED_BACKENDS)[number];

/** True when `backendName` (a tfjs backend name, e.g. `tf.getBackend()`) can run fused kernels. */
export function fusedBackend(backendName: string | undefined): backendName is FusedBackendName {
  return backendName === 'cpu' || backendName === 'wasm';
}

/**
 * A kernel written as plain loops over Float32Arrays, registered for the `cpu` and `wasm`
 * backends alike. Inputs and outputs are float32 unless declared int32.
 */
export interface FusedKernelSpec<A extends tf.NamedAttrMap = tf.NamedAttrMap> {
  /** The tfjs kernel name (unique in the process). */
  readonly name: string;
  /** Input names in the order `compute` receives them. */
  readonly inputs: readonly string[];
  /** Inputs that are int32 (indices; `compute` receives them as Int32Array); every other one is float32. */
  readonly int32Inputs?: readonly string[];
  /** Positions (in `outputShapes` order) of the outputs that are int32 (indices); `compute` fills them as Int32Array. */
  readonly int32Outputs?: readonly number[];
  /** The output shapes for these input shapes (same order as `inputs`) and attributes. */
  outputShapes(inputShapes: readonly number[][], attrs: A): number[][];
  /**
   * Fills every output completely (outputs are not zeroed beforehand).
   * @param inputs the inputs' values, in `inputs` order (read only; Int32Array for `int32Inputs`).
   * @param outputs freshly allocated outputs, in `outputShapes` order (Int32Array for `int32Outputs`).
   * @param inputShapes the inputs' shapes.
   */
  compute(inputs: readonly Float32Array[], outputs: readonly Float32Array[], inputShapes: readonly number[][], attrs: A): void;
}

/** What the kernel uses of the cpu backend (public members of MathBackendCPU). */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** What the kernel uses of the wasm backend (public members of BackendWasm). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function gatherInputs(spec: FusedKernelSpec<never>, args: KernelArgs): tf.TensorInfo[] {
  return spec.inputs.map((name) => {
    const t = args.inputs[name];
    if (!t) throw new Error(`${spec.name}: missing input '${name}'`);
    const want = spec.int32Inputs?.includes(name) ? 'int32' : 'float32';
    if (t.dtype !== want) throw new Error(`${spec.name}: input '${name}' is ${t.dtype}, expected ${want}`);
    return t;
  });
}

function outputDtype(spec: FusedKernelSpec<never>, k: number): 'int32' | 'float32' {
  return spec.int32Outputs?.includes(k) ? 'int32' : 'float32';
}

function cpuKernel(spec: FusedKernelSpec<never>): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const infos = gatherInputs(spec, args);
    const shapes = infos.map((t) => t.shape);
    const ins = infos.map((t) => backend.data.get(t.dataId).values as Float32Array);
    const outShapes = spec.outputShapes(shapes, (args.attrs ?? {}) as never);
    const outs = outShapes.map((s, k) => (spec.int32Outputs?.includes(k) ? new Int32Array(size(s)) : new Float32Array(size(s))));
    spec.compute(ins, outs as Float32Array[], shapes, (args.attrs ?? {}) as never);
    const infosOut = outShapes.map((s, k) => backend.makeTensorInfo(s, outputDtype(spec, k), outs[k] as Float32Array));
    return infosOut.length === 1 ? (infosOut[0] as tf.TensorInfo) : infosOut;
  }) as unknown as tf.KernelFunc;
}

function wasmKernel(spec: FusedKernelSpec<never>): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as WasmBackendLike;
    const infos = gatherInputs(spec, args);
    const shapes = infos.map((t) => t.shape);
    const outShapes = spec.outputShapes(shapes, (args.attrs ?? {}) as never);
    // Allocate every output before taking any heap view: allocation may grow the heap,
    // which detaches the views taken earlier.
    const infosOut = outShapes.map((s, k) => backend.makeOutput(s, outputDtype(spec, k)));
    const ins = infos.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    const outs = infosOut.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    spec.compute(ins, outs, shapes, (args.attrs ?? {}) as never);
    return infosOut.length === 1 ? (infosOut[0] as tf.TensorInfo) : infosOut;
  }) as unknown as tf.KernelFunc;
}

/**
 * Registers `spec` for the cpu and wasm backends, once per process (a second call with the
 * same name is a no-op). The gradient is registered separately with `tf.registerGradient`.
 */
export function registerFusedKernel<A extends tf.NamedAttrMap>(spec: FusedKernelSpec<A>): void {
  const s = spec as unknown as FusedKernelSpec<never>;
  if (!specs.has(spec.name)) specs.set(spec.name, s);
  if (!tf.getKernel(spec.name, 'cpu')) tf.registerKernel({ kernelName: spec.name, backendName: 'cpu', kernelFunc: cpuKernel(s) });
  if (!tf.getKernel(spec.name, 'wasm')) tf.registerKernel({ kernelName: spec.name, backendName: 'wasm', kernelFunc: wasmKernel(s) });
}

/** Every registered fused kernel by name, for {@link computeFused}. */
const specs = new Map<string, FusedKernelSpec<never>>();

/**
 * Runs a registered fused kernel's loops directly on arrays, outside the engine: for a kernel
 * that composes others over many time steps (a whole-sequence kernel) without a dispatch, a
 * tensor or a tape entry per step. Same arguments as {@link FusedKernelSpec.compute}.
 */
export function computeFused(
  name: string,
  inputs: readonly Float32Array[],
  outputs: readonly Float32Array[],
  inputShapes: readonly number[][],
  attrs: tf.NamedAttrMap = {},
): void {
  const spec = specs.get(name);
  if (!spec) throw new Error(`computeFused: no fused kernel '${name}' is registered (import its module first)`);
  spec.compute(inputs, outputs, inputShapes, attrs as never);
}

/** Registers a gradient unless one is registered for the kernel already. */
export function registerFusedGradient(config: tf.GradConfig): void {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

/** Runs a registered kernel through the engine (recorded on the gradient tape when one is active). */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** An output declared in `int32Outputs`, as the Int32Array it is at run time. */
export function int32Output(output: Float32Array | undefined): Int32Array {
  if (!(output instanceof Int32Array)) throw new Error('int32Output: not an int32 output (declare its position in int32Outputs)');
  return output;
}

/** An input declared in `int32Inputs`, as the Int32Array it is at run time. */
export function int32Input(input: Float32Array | undefined): Int32Array {
  if (!(input instanceof Int32Array)) throw new Error('int32Input: not an int32 input (declare it in int32Inputs)');
  return input;
}
