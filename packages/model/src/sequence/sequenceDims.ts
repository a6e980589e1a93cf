/**
 * Sizes and saved-tensor layout of the whole-sequence NTM kernel (ntmSequenceKernel.ts).
 *
 * Dimension names: T time steps, B batch, X input width, U controller units, R read heads,
 * W write heads, N slots, M width, S shift range, L interface length, Y output width.
 */
import { ADDRESS_AUX_ROWS, controlShapes, interfaceLength, type ControlsDims } from '@engram/memory';
import { LSTM_AUX_ROWS } from '@engram/controller';

/** How each group of heads turns scores into weights, and which memory a step's reads see. */
export interface SequenceAttrs {
  readonly shiftRange: number;
  readonly readNormalize: 'softmax' | 'sparsemax';
  readonly writeNormalize: 'softmax' | 'sparsemax';
  readonly order: 'read-write' | 'write-read';
  readonly rowNormFloor: number;
  /** The interface vector's clip (INTERFACE_CLIP). */
  readonly interfaceClip: number;
  /** The output logits' clip (OUTPUT_CLIP). */
  readonly outputClip: number;
}

export interface SequenceDims extends SequenceAttrs {
  readonly T: number;
  readonly B: number;
  readonly X: number;
  readonly U: number;
  readonly R: number;
  readonly W: number;
  readonly N: number;
  readonly M: number;
  readonly L: number;
  readonly Y: number;
  /** The controls' sizes for one step (write group, then read group). */
  readonly controls: ControlsDims;
  /** Each control's length for one step, in controlShapes order (12 entries). */
  readonly controlSizes: readonly number[];
}

/** The inputs of the kernel, in order. */
export const SEQUENCE_INPUTS = [
  'x',
  'h0',
  'c0',
  'memory0',
  'readWeights0',
  'writeWeights0',
  'reads0',
  'lstmKernel',
  'lstmBias',
  'projection',
  'projectionBias',
  'outputKernel',
  'outputBias',
] as const;

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The sizes from the input shapes: x `[T,B,X]`, h0 `[B,U]`, memory0 `[B,N,M]`, readWeights0
 * `[B,R,N]`, writeWeights0 `[B,W,N]`, projectionBias `[L]`, outputBias `[Y]`.
 */
export function sequenceDims(shapes: readonly (readonly number[])[], attrs: SequenceAttrs): SequenceDims {
  const [x, h0, , memory0, readWeights0, writeWeights0] = shapes;
  const [T, B, X] = x as number[];
  const [N, M] = [memory0![1]!, memory0![2]!];
  const R = readWeights0![1]!;
  const W = writeWeights0![1]!;
  const controls: ControlsDims = { batch: B!, width: M, shiftRange: attrs.shiftRange, writeHeads: W, readHeads: R, clip: attrs.interfaceClip };
  return {
    ...attrs,
    T: T!,
    B: B!,
    X: X!,
    U: h0![1]!,
    R,
    W,
    N,
    M,
    L: interfaceLength(controls),
    Y: shapes[12]![0]!,
    controls,
    controlSizes: controlShapes(controls).map(product),
  };
}

/**
 * What the forward pass saves for the backward pass, one flat float32 tensor; each part holds
 * its steps back to back. States are kept for steps -1..T-1 (T+1 entries: the initial state
 * first), the per-step intermediates for steps 0..T-1.
 */
export interface TapeLayout {
  /** h_t `[T+1, B, U]` */
  readonly h: number;
  /** c_t `[T+1, B, U]` */
  readonly c: number;
  /** r_t `[T+1, B, R*M]` */
  readonly reads: number;
  /** M_t `[T+1, B, N, M]` */
  readonly memory: number;
  /** w^r_t `[T+1, B, R, N]` */
  readonly readWeights: number;
  /** w^w_t `[T+1, B, W, N]` */
  readonly writeWeights: number;
  /** the LSTM's activations `[T, B, 5U]` */
  readonly lstmAux: number;
  /** the interface vector before bias and clip `[T, B, L]` */
  readonly interface: number;
  /** the activated controls, 12 arrays per step `[T, sum of controlSizes]` */
  readonly controls: number;
  /** the read addressing's intermediates `[T, B, R, AUX, N]` */
  readonly readAux: number;
  /** the write addressing's intermediates `[T, B, W, AUX, N]` */
  readonly writeAux: number;
  /** the logits before the clip `[T, B, Y]` */
  readonly logits: number;
  /** Total floats. */
  readonly size: number;
  /** Floats per step of each part. */
  readonly stride: Readonly<Record<Exclude<keyof TapeLayout, 'stride' | 'size'>, number>>;
}

/** The tape's layout for these sizes. */
export function tapeLayout(d: SequenceDims): TapeLayout {
  const { T, B, U, R, W, N, M, L, Y } = d;
  const stride = {
    h: B * U,
    c: B * U,
    reads: B * R * M,
    memory: B * N * M,
    readWeights: B * R * N,
    writeWeights: B * W * N,
    lstmAux: B * LSTM_AUX_ROWS * U,
    interface: B * L,
    controls: d.controlSizes.reduce((a, b) => a + b, 0),
    readAux: B * R * ADDRESS_AUX_ROWS * N,
    writeAux: B * W * ADDRESS_AUX_ROWS * N,
    logits: B * Y,
  };
  const states = new Set(['h', 'c', 'reads', 'memory', 'readWeights', 'writeWeights']);
  const offsets: Record<string, number> = {};
  let at = 0;
  for (const [name, n] of Object.entries(stride)) {
    offsets[name] = at;
    at += n * (states.has(name) ? T + 1 : T);
  }
  return { ...(offsets as unknown as Omit<TapeLayout, 'size' | 'stride'>), size: at, stride };
}

/** Step `t`'s entry of tape part `part` (t = 0 is the initial state for the state parts). */
export function tapeAt(tape: Float32Array, layout: TapeLayout, part: keyof TapeLayout['stride'], t: number): Float32Array {
  const n = layout.stride[part];
  const start = layout[part] + t * n;
  return tape.subarray(start, start + n);
}

/** The 12 control arrays of one step's controls entry (controlShapes order). */
export function splitControls(entry: Float32Array, sizes: readonly number[]): Float32Array[] {
  const out: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(entry.subarray(at, at + n));
    at += n;
  }
  return out;
}
