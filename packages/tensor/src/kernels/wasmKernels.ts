/**
 * WebAssembly twins of fused kernels: a package compiles its kernels' loops from AssemblyScript
 * (its `assembly/` folder, `pnpm build:wasm`) into a base64 module, and each kernel's `compute`
 * calls its twin through {@link WasmKernels.run} first, running its JavaScript loops only when
 * that returns false (the twins are switched off, or WebAssembly SIMD is missing here).
 *
 * A module has a linear memory of its own: each call copies the kernel's inputs in, runs, and
 * copies the outputs out (for the copy task's batch-32 write kernel, ~0.03 ms of copying against
 * the ~1 ms its JavaScript loops took). Nothing here uses Node APIs; a module loads the same way
 * in a browser or a worker.
 *
 * A module's contract: it exports `memory` and `heapBase()` (the first free byte); every entry
 * point takes the kernel's sizes, then a pointer per input and per output in the kernel's order,
 * then a scratch pointer of `scratchBytes(...sizes)` bytes (0 when the module has no
 * `scratchBytes`).
 */

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

/** The exports every twin module has, and its entry points by name. */
export interface WasmKernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  scratchBytes?(...sizes: number[]): number;
  readonly [entry: string]: unknown;
}

let enabled = enabledByEnvironment();
const failures = new Map<string, string>();

/** ENGRAM_SIMD=0 (or off, false) in the environment switches the twins off (for A/B measurements). */
function enabledByEnvironment(): boolean {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['ENGRAM_SIMD'];
  return !(value === '0' || value === 'off' || value === 'false');
}

/**
 * Switches every WebAssembly twin on or off for this process (default on, or off when the
 * environment has ENGRAM_SIMD=0). Off, the fused kernels run their JavaScript loops: the same
 * equations in float64 scalars, a few times slower. For A/B measurements and tests.
 */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}

/** True when the twins are switched on (each module also needs WebAssembly SIMD to load: {@link simdUnavailableReason}). */
export function simdKernelsEnabled(): boolean {
  return enabled;
}

/** Why a twin module could not load here, by module name (empty when every module tried has loaded). */
export function simdUnavailableReason(): string | undefined {
  return failures.size === 0 ? undefined : [...failures].map(([name, why]) => `${name}: ${why}`).join('; ');
}

const align16 = (n: number): number => (n + 15) & ~15;

/** One package's twin module, loaded on first use. */
export class WasmKernels {
  private loaded: WasmKernelExports | undefined;
  private heap = new Float32Array(0);

  /**
   * @param name the module's name in messages (e.g. `@engram/memory`).
   * @param base64 the module's bytes.
   * @param configure called once after loading (to hand the module constants it shares with the JavaScript loops).
   */
  constructor(
    readonly name: string,
    private readonly base64: string,
    private readonly configure: (exports: WasmKernelExports) => void = () => {},
  ) {}

  /** True when the twins are on and this module has loaded. */
  get active(): boolean {
    return enabled && this.load() !== undefined;
  }

  /**
   * Hands the module its constants again (the `configure` callback, now reading new values),
   * when it has loaded; otherwise its first load does.
   */
  reconfigure(): void {
    if (this.loaded) this.configure(this.loaded);
  }

  /** The end (bytes) of the arrays {@link pin} placed at the start of the heap; 0 when none are. */
  private pinnedEnd = 0;

  /**
   * Copies `arrays` into the module's memory, where they stay until the next `pin` or
   * {@link unpin}: a kernel that runs many entry points with the same weights (a whole sequence
   * of time steps) copies them once instead of once per call, and passes their addresses among
   * the sizes. Later {@link run} calls place their copies after them.
   * @returns the arrays' byte addresses, or undefined when the twins are off or cannot load here.
   */
  pin(arrays: readonly Float32Array[]): number[] | undefined {
    if (!enabled) return undefined;
    const wasm = this.load();
    if (!wasm) return undefined;
    const pointers: number[] = [];
    let end = align16(wasm.heapBase());
    for (const a of arrays) {
      pointers.push(end);
      end = align16(end + a.length * 4);
    }
    const heap = this.reserve(wasm, end);
    arrays.forEach((a, i) => heap.set(a, pointers[i]! / 4));
    this.pinnedEnd = end;
    return pointers;
  }

  /** Lets go of the arrays {@link pin} placed. */
  unpin(): void {
    this.pinnedEnd = 0;
  }

  /** The module's memory as float32, grown to at least `end` bytes. */
  private reserve(wasm: WasmKernelExports, end: number): Float32Array {
    const buffer = wasm.memory.buffer;
    if (end > buffer.byteLength) wasm.memory.grow(Math.ceil((end - buffer.byteLength) / 65536));
    if (this.heap.buffer !== wasm.memory.buffer) this.heap = new Float32Array(wasm.memory.buffer);
    return this.heap;
  }

  private load(): WasmKernelExports | undefined {
    if (this.loaded || failures.has(this.name)) return this.loaded;
    try {
      const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      if (!api) throw new Error('this runtime has no WebAssembly');
      const bytes = Uint8Array.from(atob(this.base64), (c) => c.charCodeAt(0));
      if (!api.validate(bytes)) throw new Error('this runtime does not validate WebAssembly SIMD');
      const instance = new api.Instance(new api.Module(bytes), {
        env: {
          abort: () => {
            throw new Error(`${this.name}: a WebAssembly kernel aborted`);
          },
        },
      });
      const exports = instance.exports as WasmKernelExports;
      this.configure(exports);
      this.loaded = exports;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      failures.set(this.name, why);
      console.warn(`engram: the SIMD kernels of ${this.name} cannot run here (${why}); its fused kernels use their JavaScript loops`);
    }
    return this.loaded;
  }

  /**
   * Runs the entry point `entry`: `sizes` are its leading scalar arguments, `inputs` and
   * `outputs` its arrays in the kernel's order; every output is overwritten completely.
   * @returns false, having done nothing, when the twins are off or this module cannot load here.
   */
  run(entry: string, sizes: readonly number[], inputs: readonly Float32Array[], outputs: readonly Float32Array[]): boolean {
    if (!enabled) return false;
    const wasm = this.load();
    if (!wasm) return false;
    const pointers: number[] = [];
    let end = Math.max(align16(wasm.heapBase()), this.pinnedEnd);
    for (const a of inputs) {
      pointers.push(end);
      end = align16(end + a.length * 4);
    }
    for (const a of outputs) {
      pointers.push(end);
      end = align16(end + a.length * 4);
    }
    const scratch = end;
    end = align16(end + (wasm.scratchBytes ? wasm.scratchBytes(...sizes) : 0));
    const heap = this.reserve(wasm, end);
    for (let i = 0; i < inputs.length; i++) heap.set(inputs[i]!, pointers[i]! / 4);
    (wasm[entry] as Kernel)(...sizes, ...pointers, scratch);
    for (let i = 0; i < outputs.length; i++) {
      const a = outputs[i]!;
      const p = pointers[inputs.length + i]! / 4;
      a.set(heap.subarray(p, p + a.length));
    }
    return true;
  }
}
