import * as tf from '@tensorflow/tfjs';
import { EngramError } from './errors.ts';
import { registerWasmUnsortedSegmentSum } from './kernels/unsortedSegmentSumWasm.ts';
import { installWasmMatMulGradients } from './kernels/wasmMatMulGradients.ts';
import { registerWasmIdentity } from './kernels/identityWasm.ts';
import { registerCpuKernels } from './kernels/cpuKernels.ts';

/** Backends engram can run on. `node` is @tensorflow/tfjs-node (native TensorFlow, optional). */
export const BACKENDS = ['node', 'wasm', 'cpu'] as const;
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
  /** The tfjs backend name (`tensorflow`, `wasm` or `cpu`). */
  readonly tfName: string;
  /** How it was chosen: an explicit request, or the automatic order. */
  readonly reason: string;
}

const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };
let current: BackendChoice | undefined;
let announced = false;

/** Loads one backend's module and makes it tfjs's active backend; throws with the cause. */
async function activate(name: BackendName): Promise<void> {
  if (name === 'node') {
    // tfjs-node registers the `tensorflow` backend on import; its native addon is built by an
    // install script that pnpm does not run unless approved (see the README).
    await import('@tensorflow/tfjs-node');
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmUnsortedSegmentSum();
    installWasmMatMulGradients();
    registerWasmIdentity();
  } else if (name === 'cpu') {
    registerCpuKernels();
  }
  const ok = await tf.setBackend(TF_NAME[name]);
  if (!ok) throw new Error(`tf.setBackend('${TF_NAME[name]}') returned false`);
  await tf.ready();
  // tfjs's cpu backend prints a five-line "install tfjs-node" banner on its first tensor under
  // Node; engram has already said which backend it chose and why, so the banner only breaks
  // the one-line contract of the CLI's stderr. Mark the backend as used.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]?.trim() ?? '';
}

/** Parses a backend name from a flag or environment variable, or throws a one-line error. */
export function parseBackend(value: string, field: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKENDS as readonly string[]).includes(v)) return v as BackendName | 'auto';
  throw new EngramError(field, `unknown backend '${value}'`, `use one of auto, ${BACKENDS.join(', ')}`);
}

/**
 * Chooses and activates the tensor backend, once per process. Order of precedence: the
 * `requested` argument (e.g. a `--backend` flag), then the `ENGRAM_BACKEND` environment
 * variable, then automatic: tfjs-node if it loads, else {@link DEFAULT_EMBEDDED}.
 * An explicit request that cannot load is an error with the cause, never a silent fallback.
 * The choice is printed once to stderr unless `quiet`.
 */
export async function initBackend(requested?: string, options: { quiet?: boolean } = {}): Promise<BackendChoice> {
  const fromEnv = process.env['ENGRAM_BACKEND'];
  const field = requested !== undefined ? '--backend' : 'ENGRAM_BACKEND';
  const raw = requested ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'auto');
  const want = parseBackend(raw, field);

  if (current && (want === 'auto' || want === current.name)) return current;

  let choice: BackendChoice;
  if (want !== 'auto') {
    try {
      await activate(want);
    } catch (e) {
      const fix = want === 'node'
        ? 'install a working @tensorflow/tfjs-node (npx pnpm@10 approve-builds, then reinstall) or choose wasm or cpu'
        : 'reinstall dependencies (npx pnpm@10 install) or choose another backend';
      throw new EngramError(field, `backend '${want}' cannot load (${firstLine(e)})`, fix);
    }
    choice = { name: want, tfName: TF_NAME[want], reason: `requested by ${field}` };
  } else {
    let why: string;
    try {
      await activate('node');
      choice = { name: 'node', tfName: TF_NAME.node, reason: 'tfjs-node loaded' };
    } catch (e) {
      why = /native addon/i.test(firstLine(e)) ? 'its native addon is not built (see the README)' : firstLine(e);
      await activate(DEFAULT_EMBEDDED);
      choice = {
        name: DEFAULT_EMBEDDED,
        tfName: TF_NAME[DEFAULT_EMBEDDED],
        reason: `embedded default; tfjs-node not loadable: ${why.length > 90 ? why.slice(0, 87) + '...' : why}`,
      };
    }
  }
  current = choice;
  if (!options.quiet && !announced) {
    process.stderr.write(`engram: backend ${choice.name} (${choice.reason})\n`);
    announced = true;
  }
  return choice;
}

/** The backend chosen by {@link initBackend}, or undefined before it ran. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}
