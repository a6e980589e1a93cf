/**
 * The WebAssembly twins of the fused NTM kernels: the same equations as the JavaScript loops of
 * this folder's parent (addressMath.ts, readMath.ts, writeMath.ts), compiled from
 * packages/memory/assembly (AssemblyScript) with 128-bit SIMD over the memory width. A kernel's
 * `compute` calls {@link runSimdKernel} first and runs its JavaScript loops only when that
 * returns false (the twins are switched off, or WebAssembly SIMD is missing here).
 *
 * The module has a linear memory of its own: each call copies the kernel's inputs in, runs, and
 * copies the outputs out (for the copy task's batch-32 write kernel, ~0.03 ms of copying against
 * the ~1 ms the JavaScript loops took). Nothing here uses Node APIs; it loads the same way in a
 * browser or a worker.
 */
import { KEY_NORM_EPSILON, LOG_EPSILON, ROW_NORM_FLOOR } from '../../../constants.ts';
import type { AddressDims } from '../addressMath.ts';
import type { MemoryHeadDims } from '../dims.ts';
import { NTM_WASM_BASE64 } from './ntmWasm.ts';

type Kernel = (...args: number[]) => void;

/** What this file uses of the WebAssembly JavaScript API (typed here: the packages compile without DOM or Node types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

interface NtmWasm {
  readonly memory: WasmMemory;
  heapBase(): number;
  configure(rowNormFloor: number, keyNormEpsilon: number, logEpsilon: number): void;
  scratchBytes(batch: number, heads: number, slots: number, width: number): number;
  readonly [kernel: string]: unknown;
}

/** The entry points of the module, one per fused kernel (assembly/kernels.ts). */
export type SimdKernelName =
  | 'ntmAddress'
  | 'ntmAddressGrad'
  | 'ntmAddressRead'
  | 'ntmAddressReadGrad'
  | 'ntmAddressWrite'
  | 'ntmAddressWriteGrad'
  | 'ntmRead'
  | 'ntmReadGrad'
  | 'ntmWrite'
  | 'ntmWriteGrad';

let loaded: NtmWasm | undefined;
let failure: string | undefined;
let enabled = enabledByEnvironment();
let heap = new Float32Array(0);

/** ENGRAM_SIMD=0 (or off, false) in the environment switches the twins off (for A/B measurements). */
function enabledByEnvironment(): boolean {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['ENGRAM_SIMD'];
  return !(value === '0' || value === 'off' || value === 'false');
}

function load(): NtmWasm | undefined {
  if (loaded || failure) return loaded;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error('this runtime has no WebAssembly');
    const bytes = Uint8Array.from(atob(NTM_WASM_BASE64), (c) => c.charCodeAt(0));
    if (!api.validate(bytes)) throw new Error('this runtime does not validate WebAssembly SIMD');
    const instance = new api.Instance(new api.Module(bytes), {
      env: {
        abort: () => {
          throw new Error('engram SIMD kernel aborted');
        },
      },
    });
    const wasm = instance.exports as unknown as NtmWasm;
    wasm.configure(ROW_NORM_FLOOR, KEY_NORM_EPSILON, LOG_EPSILON);
    loaded = wasm;
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    console.warn(`engram: the SIMD memory kernels cannot run here (${failure}); the fused kernels use their JavaScript loops`);
  }
  return loaded;
}

/**
 * Switches the WebAssembly twins on or off for this process (default on, or off when the
 * environment has ENGRAM_SIMD=0). Off, the fused kernels run their JavaScript loops: the same
 * equations in float64 scalars, a few times slower. For A/B measurements and tests.
 */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}

/** True when the fused kernels run their WebAssembly SIMD twins (switched on, and loaded here). */
export function simdKernelsActive(): boolean {
  return enabled && load() !== undefined;
}

/** Why the twins cannot load here (undefined when they can or have not been tried). */
export function simdUnavailableReason(): string | undefined {
  load();
  return failure;
}

const align16 = (n: number): number => (n + 15) & ~15;

/**
 * Runs the WebAssembly twin `name` of a fused kernel: `sizes` are its leading scalar arguments
 * (batch, heads, slots, width, then any more), `inputs` and `outputs` its arrays in the kernel's
 * order; every output is overwritten completely.
 * @returns false, having done nothing, when the twins are off or cannot load here.
 */
export function runSimdKernel(name: SimdKernelName, sizes: readonly number[], inputs: readonly Float32Array[], outputs: readonly Float32Array[]): boolean {
  if (!enabled) return false;
  const wasm = load();
  if (!wasm) return false;
  const [batch, heads, slots, width] = sizes as [number, number, number, number];
  const pointers: number[] = [];
  let end = align16(wasm.heapBase());
  for (const a of [...inputs, ...outputs]) {
    pointers.push(end);
    end = align16(end + a.length * 4);
  }
  const scratch = end;
  end = align16(end + wasm.scratchBytes(batch, heads, slots, width));
  const buffer = wasm.memory.buffer;
  if (end > buffer.byteLength) wasm.memory.grow(Math.ceil((end - buffer.byteLength) / 65536));
  if (heap.buffer !== wasm.memory.buffer) heap = new Float32Array(wasm.memory.buffer);
  inputs.forEach((a, i) => heap.set(a, pointers[i]! / 4));
  (wasm[name] as Kernel)(...sizes, ...pointers, scratch);
  outputs.forEach((a, i) => {
    const p = pointers[inputs.length + i]! / 4;
    a.set(heap.subarray(p, p + a.length));
  });
  return true;
}

/** The leading scalars of an addressing twin: B, H, N, M, S and 1 for sparsemax. */
export function addressSizes(d: AddressDims, sparse: boolean): number[] {
  return [d.batch, d.heads, d.slots, d.width, d.shiftRange, sparse ? 1 : 0];
}

/** The leading scalars of a read or write twin: B, H, N, M. */
export function headSizes(d: MemoryHeadDims): number[] {
  return [d.batch, d.heads, d.slots, d.width];
}
