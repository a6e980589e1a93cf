import * as tf from '@tensorflow/tfjs';
import { EngramError } from '@engram/core';
import { registerWasmUnsortedSegmentSum } from './kernels/unsortedSegmentSumWasm.ts';
import { installWasmMatMulGradients } from './kernels/wasmMatMulGradients.ts';
import { registerWasmIdentity } from './kernels/identityWasm.ts';
import { registerCpuKernels } from './kernels/cpuKernels.ts';

/**
 * Backends engram can run on. `node` is @tensorflow/tfjs-node (native TensorFlow, optional, Node
 * only); `webgl` is the browser's GPU backend (browser only); `wasm` and `cpu` run everywhere.
 */
export const BACKENDS = ['node', 'wasm', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The embedded backend used when tfjs-node cannot load. Chosen by measurement on the memory
 * step (`pnpm bench step`, packages/bench/src/stepTiming.ts): wasm runs the composite-op
 * MemoryAccess step several times faster than the pure-JavaScript cpu backend.
 */
export const DEFAULT_EMBEDDED: BackendName = 'wasm';

/** What {@link initBackend} settled on and why. */
export interface BackendChoice {
  /** The engram name of the backend in use. */
  readonly name: BackendName;
  /** The tfjs backend name (`tensorflow`, `wasm`, `webgl` or `cpu`). */
  readonly tfName: string;
  /** How it was chosen: an explicit request, or the automatic order. */
  readonly reason: string;
}

const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', webgl: 'webgl', cpu: 'cpu' };
let current: BackendChoice | undefined;
let announced = false;

/** True under Node (not in a browser page or worker): only there can tfjs-node load. */
const IN_NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * tfjs-node's module names, held in variables so that bundlers (Vite, esbuild, webpack) do not
 * try to resolve a native Node addon into a browser bundle; imported only under Node. The GPU
 * build registers the same `tensorflow` backend and is used when only it is installed.
 */
const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

/** Imports tfjs-node, or tfjs-node-gpu when tfjs-node is not installed at all. */
async function importTfjsNode(): Promise<void> {
  try {
    await import(/* @vite-ignore */ TFJS_NODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    try {
      await import(/* @vite-ignore */ TFJS_NODE_GPU);
    } catch {
      throw e;
    }
  }
}

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /** Print nothing (the choice is otherwise printed once, to stderr in Node, the console in a browser). */
  readonly quiet?: boolean;
  /**
   * Where the wasm backend's `.wasm` files are served from, as a URL prefix ending in `/`
   * (tfjs's `setWasmPaths`). Needed in a browser when the files are not next to the page's
   * script; ignored in Node, which reads them from the installed package.
   */
  readonly wasmPaths?: string;
}

/** A change initBackend makes to tfjs for the whole process, and why (each file has the measurements). */
export interface ProcessPatch {
  readonly backend: 'wasm' | 'cpu';
  readonly name: string;
  readonly why: string;
  readonly apply: () => void;
}

/**
 * Every process-wide change to tfjs that engram makes, in one place: applied when their backend
 * is activated, each once. Same results as tfjs's own kernels (up to float32 summation order);
 * only faster, or present where tfjs 4.22 lacks them.
 */
export const PROCESS_PATCHES: readonly ProcessPatch[] = [
  {
    backend: 'wasm',
    name: 'UnsortedSegmentSum kernel',
    why: 'tfjs-backend-wasm 4.22 has none; the gradient of gather (circular shift, sparse heads) needs it',
    apply: registerWasmUnsortedSegmentSum,
  },
  {
    backend: 'wasm',
    name: 'BatchMatMul gradient',
    why: 'transposed matMuls run a naive loop on wasm (~4 ms against ~0.3 ms): the gradients transpose explicitly',
    apply: installWasmMatMulGradients,
  },
  {
    backend: 'wasm',
    name: 'Identity kernel',
    why: 'wasm copies every tensor the gradient tape saves; the kernel shares the data by reference count',
    apply: registerWasmIdentity,
  },
  {
    backend: 'cpu',
    name: 'UnsortedSegmentSum and SplitV kernels',
    why: "tfjs-backend-cpu's are O(segments x elements) and element by element (75% of a composite step)",
    apply: registerCpuKernels,
  },
];

/** Loads one backend's module and makes it tfjs's active backend; throws with the cause. */
async function activate(name: BackendName, options: BackendOptions): Promise<void> {
  if (name === 'node') {
    if (!IN_NODE) throw new Error('tfjs-node runs only under Node');
    // tfjs-node registers the `tensorflow` backend on import; its native addon is built by an
    // install script that pnpm does not run unless approved (see the README).
    await importTfjsNode();
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (options.wasmPaths !== undefined && !IN_NODE) wasm.setWasmPaths(options.wasmPaths);
  }
  for (const patch of PROCESS_PATCHES) if (patch.backend === name) patch.apply();
  const ok = await tf.setBackend(TF_NAME[name]);
  if (!ok) throw new Error(`tf.setBackend('${TF_NAME[name]}') returned false`);
  await tf.ready();
  // tfjs's cpu backend prints a five-line "install tfjs-node" banner on its first tensor under
  // Node; engram has already said which backend it chose and why, so the banner only breaks
  // the one-line contract of the CLI's stderr. Mark the backend as used.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  // the fused kernels are registered for wasm and cpu; on webgl the composite ops run
}

function firstLine(e: unknown): string {
  return (
    String(e instanceof Error ? e.message : e)
      .split('\n')[0]
      ?.trim() ?? ''
  );
}

/** Parses a backend name from a flag or environment variable, or throws a one-line error. */
export function parseBackend(value: string, field: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKENDS as readonly string[]).includes(v)) return v as BackendName | 'auto';
  throw new EngramError(field, `unknown backend '${value}'`, `use one of auto, ${BACKENDS.join(', ')}`);
}

/**
 * Chooses and activates the tensor backend, once per process (or page). Order of precedence:
 * the `requested` argument (e.g. a `--backend` flag), then the `ENGRAM_BACKEND` environment
 * variable (Node), then automatic: under Node tfjs-node if it loads, else
 * {@link DEFAULT_EMBEDDED}; in a browser {@link DEFAULT_EMBEDDED}.
 * An explicit request that cannot load is an error with the cause, never a silent fallback.
 * The choice is printed once to stderr unless `quiet`.
 */
export async function initBackend(requested?: string, options: BackendOptions = {}): Promise<BackendChoice> {
  const fromEnv = IN_NODE ? process.env['ENGRAM_BACKEND'] : undefined;
  const field = requested !== undefined ? '--backend' : 'ENGRAM_BACKEND';
  const raw = requested ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'auto');
  const want = parseBackend(raw, field);

  if (current && (want === 'auto' || want === current.name)) return current;

  let choice: BackendChoice;
  if (want !== 'auto') {
    try {
      await activate(want, options);
    } catch (e) {
      const fix =
        want === 'node'
          ? 'install a working @tensorflow/tfjs-node (npx pnpm@10 approve-builds, then reinstall) or choose wasm or cpu'
          : want === 'webgl'
            ? 'webgl needs a browser with WebGL: choose wasm or cpu'
            : 'reinstall dependencies (npx pnpm@10 install) or choose another backend';
      throw new EngramError(field, `backend '${want}' cannot load (${firstLine(e)})`, fix);
    }
    choice = { name: want, tfName: TF_NAME[want], reason: `requested by ${field}` };
  } else if (!IN_NODE) {
    await activate(DEFAULT_EMBEDDED, options);
    choice = { name: DEFAULT_EMBEDDED, tfName: TF_NAME[DEFAULT_EMBEDDED], reason: 'embedded default in a browser' };
  } else {
    let why: string;
    try {
      await activate('node', options);
      choice = { name: 'node', tfName: TF_NAME.node, reason: 'tfjs-node loaded' };
    } catch (e) {
      why = /native addon/i.test(firstLine(e)) ? 'its native addon is not built (see the README)' : firstLine(e);
      await activate(DEFAULT_EMBEDDED, options);
      choice = {
        name: DEFAULT_EMBEDDED,
        tfName: TF_NAME[DEFAULT_EMBEDDED],
        reason: `embedded default; tfjs-node not loadable: ${why.length > 90 ? `${why.slice(0, 87)}...` : why}`,
      };
    }
  }
  current = choice;
  if (!options.quiet && !announced) {
    const line = `engram: backend ${choice.name} (${choice.reason})`;
    if (IN_NODE) process.stderr.write(`${line}\n`);
    else console.info(line);
    announced = true;
  }
  return choice;
}

/** The backend chosen by {@link initBackend}, or undefined before it ran. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}
