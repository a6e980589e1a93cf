import * as tf from '@tensorflow/tfjs';
import { EngramError, plainVariables, Rng, shapes, tidy, type VariableFactory } from '@engram/tensor';
import { ntmAddress } from './addressing.ts';
import { activateControls, controlTable, WRITE_GATE_INITIAL_BIAS, type ControlName, type HeadControls } from './controls.ts';
import { KERNEL_CHOICES, positiveInt, type KernelChoice } from '../config.ts';
import { headLength, initialBias, INTERFACE_CLIP, type ControlSpec } from '../interfaceTable.ts';
import { makeMemoryInit, MEMORY_INITS, type MemoryInit, type MemoryInitializer } from '../init.ts';
import { applyMode, parseMode, type AddressingMode, type AddressingModeSpec, type HeadWeights, type ScoreTerms } from './modes.ts';
import { softmax, sparsemax } from '../normalize.ts';
import { read, sparseRead, sparseWrite, write } from '../readWrite.ts';
import { makeSimilarity, SIMILARITIES, type Similarity, type SimilarityName } from '../similarity.ts';
import { ROW_NORM_FLOOR } from '../constants.ts';
import { fusedAddress } from './fused/addressKernel.ts';
import { fusedControls } from './fused/controlsKernel.ts';
import { fusedUnsupportedReason } from './fused/register.ts';
import { fusedWrite } from './fused/writeKernel.ts';
import { fusedRead } from './fused/readKernel.ts';
import { fusedAddressWrite } from './fused/addressWriteKernel.ts';
import { fusedAddressRead } from './fused/addressReadKernel.ts';
import { fusedSparseRead, fusedSparseWrite } from './fused/sparseKernels.ts';
import { commonStateTensors, recordingVariables, type MemoryModule, type MemoryStepOptions, type StateTensorSpec } from '../module.ts';
import type { FusedNormalizer } from './fused/addressKernel.ts';

/**
 * The normaliser when every head of a group is soft (softmax) or every one is sparsemax: then
 * the addressing's weights are the weights the group reads or writes with, and addressing can
 * share a kernel with the read or the write.
 */
function directNormalizer(modes: readonly AddressingMode[]): FusedNormalizer | undefined {
  if (modes.every((m) => m.kind === 'soft')) return 'softmax';
  if (modes.every((m) => m.kind === 'sparsemax')) return 'sparsemax';
  return undefined;
}

export const ACCESS_ORDERS = ['read-write', 'write-read'] as const;
/**
 * Which memory a step's reads see. `read-write` (default): the memory before this step's write,
 * as pytorch-ntm and Collier & Beel (2018) run the NTM. `write-read`: the memory after it, as
 * the DNC does. With `write-read` a read whose key is the current input finds the copy of that
 * input the write head has just stored: on associative recall the query then matches itself
 * (measured: a feed-forward NTM was at 7.2 bits/sequence after 24,000 sequences with
 * `write-read`, and reached 2.2 after 17,600 with `read-write`, same seed and settings).
 */
export type AccessOrder = (typeof ACCESS_ORDERS)[number];

/**
 * Logit of slot 0 in the initial read and write weightings (0 elsewhere): softmax puts
 * 1 / (1 + (N - 1) e^-10), 0.9994 for N = 128, of every head's first weighting on slot 0.
 */
export const INITIAL_FOCUS_LOGIT = 10;

/** A plain, JSON-serialisable description of a memory and its heads. */
export interface MemoryAccessConfig {
  /** The NTM's memory (the default); the DNC's is DncAccessConfig. */
  readonly kind?: 'ntm';
  /** N, number of memory rows. */
  readonly slots: number;
  /** M, width of a row. */
  readonly width: number;
  readonly readHeads?: number;
  readonly writeHeads?: number;
  /** S: shifts -S..+S are allowed; 2S+1 <= N. Default 1. */
  readonly shiftRange?: number;
  /** Default cosine. */
  readonly similarity?: SimilarityName;
  /** Addressing mode, one for all heads of a kind or one per head. Default soft. */
  readonly readMode?: AddressingModeSpec | readonly AddressingModeSpec[];
  readonly writeMode?: AddressingModeSpec | readonly AddressingModeSpec[];
  /** Default constant. */
  readonly init?: MemoryInit;
  /** C, the width of the controller output that drives the heads. */
  readonly controllerSize: number;
  /** Seeds the weight initialisation. Default 0. */
  readonly seed?: number;
  /** Fused kernels or the composite reference ops; default auto (fused on cpu/wasm with cosine). */
  readonly kernels?: KernelChoice;
  /** Whether a step reads before it writes; default `read-write` ({@link AccessOrder}). */
  readonly order?: AccessOrder;
  /** Initial bias of the write heads' interpolation gate; default WRITE_GATE_INITIAL_BIAS (-3); 0 = none. */
  readonly writeGateBias?: number;
  /**
   * Cosine similarity only: δ in each memory row's norm sqrt(|m|^2 + δ^2), which bounds the
   * score's gradient with respect to a row by 1/δ; default ROW_NORM_FLOOR (1e-2, constants.ts).
   */
  readonly rowNormFloor?: number;
}

/** The config with every default filled in and every mode parsed. */
export interface ResolvedAccessConfig {
  readonly slots: number;
  readonly width: number;
  readonly readHeads: number;
  readonly writeHeads: number;
  readonly shiftRange: number;
  readonly similarity: SimilarityName;
  readonly readModes: readonly AddressingMode[];
  readonly writeModes: readonly AddressingMode[];
  readonly init: MemoryInit;
  readonly controllerSize: number;
  readonly seed: number;
  readonly kernels: KernelChoice;
  readonly order: AccessOrder;
  readonly writeGateBias: number;
  readonly rowNormFloor: number;
}

/**
 * The state of a memory between time steps: an immutable record, replaced (never mutated) by
 * each {@link MemoryAccess.step}. It carries everything a caller may want to trace or plot.
 */
export interface AccessState {
  /** `[B, N, M]` */
  readonly memory: tf.Tensor3D;
  /** `[B, R, N]` the read heads' weights at the last step. */
  readonly readWeights: tf.Tensor3D;
  /** `[B, W, N]` the write heads' weights at the last step. */
  readonly writeWeights: tf.Tensor3D;
  /** `[B, R, M]` what the read heads read at the last step. */
  readonly readVectors: tf.Tensor3D;
  /**
   * REINFORCE heads only: log-probability of every slot sampled so far and the entropy bonus,
   * summed over heads and time steps, `[B]` each; the training loop turns them into the
   * score-function gradient. Absent when no head samples.
   */
  readonly score?: ScoreTerms;
}

/**
 * Per-step options: `training` false = evaluation (discrete modes read and write one-hot at the
 * argmax); `rng` the noise for gumbel heads (required when any head is gumbel and training);
 * `tau` overrides the gumbel temperature (annealing); `trainingStep` drives REINFORCE's
 * soft-mixing schedule.
 */
export type StepOptions = MemoryStepOptions;

function modesFor(spec: AddressingModeSpec | readonly AddressingModeSpec[] | undefined, heads: number, slots: number, field: string): AddressingMode[] {
  const list = Array.isArray(spec) ? (spec as readonly AddressingModeSpec[]) : Array.from({ length: heads }, () => (spec ?? 'soft') as AddressingModeSpec);
  if (list.length !== heads) {
    throw new EngramError(field, `${list.length} modes given for ${heads} heads`, 'give one mode, or one per head');
  }
  return list.map((m, i) => parseMode(m, slots, `${field}[${i}]`));
}

/** Validates a config and fills in defaults; every error names the field and the fix. */
export function resolveAccessConfig(c: MemoryAccessConfig): ResolvedAccessConfig {
  const slots = positiveInt(c.slots, 'memory.slots', 'use N >= 1, e.g. 128');
  const width = positiveInt(c.width, 'memory.width', 'use M >= 1, e.g. 20');
  const readHeads = positiveInt(c.readHeads ?? 1, 'memory.readHeads', 'use at least 1 read head');
  const writeHeads = positiveInt(c.writeHeads ?? 1, 'memory.writeHeads', 'use at least 1 write head');
  const controllerSize = positiveInt(c.controllerSize, 'memory.controllerSize', 'pass the controller output width');
  const shiftRange = c.shiftRange ?? 1;
  if (!Number.isInteger(shiftRange) || shiftRange < 0 || 2 * shiftRange + 1 > slots) {
    throw new EngramError('memory.shiftRange', `S=${shiftRange} needs 2S+1 <= N=${slots}`, `use an integer 0 <= S <= ${Math.floor((slots - 1) / 2)}`);
  }
  const similarity = c.similarity ?? 'cosine';
  if (!(SIMILARITIES as readonly string[]).includes(similarity)) {
    throw new EngramError('memory.similarity', `unknown similarity '${similarity}'`, `use one of ${SIMILARITIES.join(', ')}`);
  }
  const init = c.init ?? 'constant';
  if (!(MEMORY_INITS as readonly string[]).includes(init)) {
    throw new EngramError('memory.init', `unknown initialisation '${init}'`, `use one of ${MEMORY_INITS.join(', ')}`);
  }
  const seed = c.seed ?? 0;
  if (!Number.isInteger(seed)) throw new EngramError('memory.seed', `${seed} is not an integer`, 'use an integer seed');
  const kernels = c.kernels ?? 'auto';
  if (!(KERNEL_CHOICES as readonly string[]).includes(kernels)) {
    throw new EngramError('memory.kernels', `unknown kernels '${String(kernels)}'`, `use one of ${KERNEL_CHOICES.join(', ')}`);
  }
  const order = c.order ?? 'read-write';
  if (!(ACCESS_ORDERS as readonly string[]).includes(order)) {
    throw new EngramError('memory.order', `unknown order '${String(order)}'`, `use one of ${ACCESS_ORDERS.join(', ')}`);
  }
  const writeGateBias = c.writeGateBias ?? WRITE_GATE_INITIAL_BIAS;
  if (!Number.isFinite(writeGateBias) || Math.abs(writeGateBias) > INTERFACE_CLIP) {
    throw new EngramError(
      'memory.writeGateBias',
      `${writeGateBias} is not a finite number within ±${INTERFACE_CLIP}`,
      'use e.g. -3 (the default) or 0 for none',
    );
  }
  const rowNormFloor = c.rowNormFloor ?? ROW_NORM_FLOOR;
  if (!(Number.isFinite(rowNormFloor) && rowNormFloor > 0 && rowNormFloor <= 1)) {
    throw new EngramError('memory.rowNormFloor', `${rowNormFloor} is not a number in (0, 1]`, 'use e.g. 0.01 (the default) or 0.1');
  }
  if (c.rowNormFloor !== undefined && similarity !== 'cosine') {
    throw new EngramError(
      'memory.rowNormFloor',
      `only the cosine similarity has a row-norm floor, not '${similarity}'`,
      'drop rowNormFloor or use similarity cosine',
    );
  }
  if (kernels === 'fused' && similarity !== 'cosine') {
    throw new EngramError('memory.kernels', `'fused' was asked for but ${fusedUnsupportedReason(similarity, 'cpu')}`, "use kernels 'auto' or 'reference'");
  }
  return {
    slots,
    width,
    readHeads,
    writeHeads,
    shiftRange,
    similarity,
    init,
    controllerSize,
    seed,
    kernels,
    order,
    writeGateBias,
    rowNormFloor,
    readModes: modesFor(c.readMode, readHeads, slots, 'memory.readMode'),
    writeModes: modesFor(c.writeMode, writeHeads, slots, 'memory.writeMode'),
  };
}

/**
 * An external memory with NTM read and write heads, pluggable into any recurrent model.
 * It owns the projection from a controller output `[B, C]` to every head's controls, the
 * similarity's weights and the learned initial state; all state lives in {@link AccessState}.
 */
export class MemoryAccess implements MemoryModule<AccessState> {
  readonly kind = 'ntm' as const;
  readonly config: ResolvedAccessConfig;
  readonly readTable: readonly ControlSpec<ControlName>[];
  readonly writeTable: readonly ControlSpec<ControlName>[];
  /** Length of the interface vector the projection produces: W*writeHeadLength + R*readHeadLength. */
  readonly interfaceSize: number;
  /** R * M */
  readonly readSize: number;
  /** memory, readWeights, writeWeights, readVectors (the REINFORCE score terms are not state to flatten). */
  readonly stateTensors: readonly StateTensorSpec[];
  readonly tracedTensors: readonly string[] = [];
  readonly needsScoreFunction: boolean;
  readonly similarity: Similarity;
  private readonly memoryInit: MemoryInitializer;
  /** `[C, L]` and `[L]`. */
  readonly projection: tf.Variable;
  readonly projectionBias: tf.Variable;
  /** `[1, R, M]` pre-tanh initial read vectors; `[1, R, N]`, `[1, W, N]` initial weight logits. */
  readonly readInit: tf.Variable;
  readonly readWeightInit: tf.Variable;
  readonly writeWeightInit: tf.Variable;

  /**
   * @param variables makes the trainable weights; the default creates plain tf.Variables
   *   (the tf.layers adapter passes one that creates layer weights).
   */
  constructor(config: MemoryAccessConfig, variables: VariableFactory = plainVariables) {
    const c = resolveAccessConfig(config);
    this.config = c;
    const recorded = recordingVariables(variables);
    this.namedVariables = recorded.named;
    variables = recorded.variables;
    const rng = new Rng(c.seed);
    this.readTable = controlTable(c.width, c.shiftRange, false);
    this.writeTable = controlTable(c.width, c.shiftRange, true, c.writeGateBias);
    this.interfaceSize = c.writeHeads * headLength(this.writeTable) + c.readHeads * headLength(this.readTable);
    this.readSize = c.readHeads * c.width;
    this.stateTensors = commonStateTensors(c.slots, c.width, c.readHeads, c.writeHeads);
    this.needsScoreFunction = [...c.readModes, ...c.writeModes].some((m) => m.kind === 'reinforce');
    this.similarity = makeSimilarity(c.similarity, c.width, rng, c.width, variables, c.rowNormFloor);
    this.memoryInit = makeMemoryInit(c.init, c.slots, c.width, rng, variables);
    this.projection = variables('memory/projection', () => rng.glorotTensor([c.controllerSize, this.interfaceSize]));
    this.projectionBias = variables('memory/projectionBias', () =>
      tf.tensor1d([...initialBias(this.writeTable, c.writeHeads), ...initialBias(this.readTable, c.readHeads)]),
    );
    this.readInit = variables('memory/initialReadVectors', () => rng.normalTensor([1, c.readHeads, c.width], 0, 0.5));
    // The initial weightings focus on slot 0 (softmax of logits INITIAL_FOCUS_LOGIT there, 0
    // elsewhere; learned afterwards). Uniform initial weightings over a constant-initialised
    // memory never break the symmetry between slots: every content, shift and sharpen step of
    // a uniform weighting is uniform again, every write adds the same to every row, and the
    // heads stay uniform for ever (measured: 1,400 copy steps with exactly 1/N everywhere).
    const focused = (heads: number) => () =>
      tf.tensor3d(
        Array.from({ length: heads * c.slots }, (_, i) => (i % c.slots === 0 ? INITIAL_FOCUS_LOGIT : 0)),
        [1, heads, c.slots],
      );
    this.readWeightInit = variables('memory/initialReadWeightLogits', focused(c.readHeads));
    this.writeWeightInit = variables('memory/initialWriteWeightLogits', focused(c.writeHeads));
    // Fail early when the backend is already chosen; otherwise the first step checks.
    const active = (tf.engine() as unknown as { backendName?: string | null }).backendName;
    if (active) this.usesFusedKernels(active);
  }

  /**
   * True when steps run on the fused kernels: `fused`, or `auto` on a backend and similarity
   * that have them. Throws an EngramError when `fused` was asked for where there are none.
   * @param backendName a tfjs backend name; default the active one.
   */
  usesFusedKernels(backendName: string = tf.getBackend()): boolean {
    const choice = this.config.kernels;
    if (choice === 'reference') return false;
    const reason = fusedUnsupportedReason(this.config.similarity, backendName);
    if (choice === 'fused' && reason !== undefined) {
      throw new EngramError('memory.kernels', `'fused' was asked for but ${reason}`, "use kernels 'auto' or 'reference'");
    }
    return reason === undefined;
  }

  get slots(): number {
    return this.config.slots;
  }
  get width(): number {
    return this.config.width;
  }
  get readHeads(): number {
    return this.config.readHeads;
  }
  get writeHeads(): number {
    return this.config.writeHeads;
  }

  /** Every trainable weight by its path (`memory/projection`, `similarity/W`, ...). */
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;

  /** Every trainable variable (projection, learned inits, learned similarity weights). */
  get variables(): tf.Variable[] {
    return Object.values(this.namedVariables);
  }

  /** The state at the start of a sequence, for `batch` sequences. */
  initialState(batch: number): AccessState {
    positiveInt(batch, 'initialState(batch)', 'use a batch size >= 1');
    return tidy(() => {
      const tile = (t: tf.Tensor) => tf.tile(t, [batch, 1, 1]) as tf.Tensor3D;
      const state: AccessState = {
        memory: this.memoryInit.initial(batch),
        readWeights: tile(tf.softmax(this.readWeightInit, -1)),
        writeWeights: tile(tf.softmax(this.writeWeightInit, -1)),
        readVectors: tile(tf.tanh(this.readInit)),
      };
      return Object.freeze(state);
    });
  }

  /**
   * Projects a controller output to activated head controls: clip(output · projection + bias,
   * ±INTERFACE_CLIP), then each control's activation.
   * @param controllerOutput `[B, C]`
   */
  controls(controllerOutput: tf.Tensor2D): { write: HeadControls; read: HeadControls } {
    shapes('MemoryAccess.controls').check('controllerOutput', controllerOutput, ['B', this.config.controllerSize]);
    const c = this.config;
    if (this.usesFusedKernels()) {
      return tidy(() => {
        const z = tf.matMul(controllerOutput, this.projection) as tf.Tensor2D;
        const { write, read } = fusedControls(z, c.width, c.shiftRange, c.writeHeads, c.readHeads, this.projectionBias as tf.Tensor1D, INTERFACE_CLIP);
        return { write: write as HeadControls, read: read as HeadControls };
      });
    }
    return tidy(() => {
      const z = tf.clipByValue(tf.add(tf.matMul(controllerOutput, this.projection), this.projectionBias), -INTERFACE_CLIP, INTERFACE_CLIP) as tf.Tensor2D;
      const wLen = this.config.writeHeads * headLength(this.writeTable);
      const [zw, zr] = tf.split(z, [wLen, this.interfaceSize - wLen], 1) as [tf.Tensor2D, tf.Tensor2D];
      return {
        write: activateControls(zw, this.config.writeHeads, this.writeTable),
        read: activateControls(zr, this.config.readHeads, this.readTable),
      };
    });
  }

  /** Address one group of heads: the NTM pipeline, then each head's mode. */
  private address(
    memory: tf.Tensor3D,
    ctl: HeadControls,
    prev: tf.Tensor3D,
    modes: readonly AddressingMode[],
    options: StepOptions,
    fused: boolean,
  ): HeadWeights {
    const score = this.similarity.score;
    const pipeline = (normalize = softmax) =>
      fused
        ? fusedAddress(
            memory,
            ctl.key,
            ctl.beta,
            ctl.gate,
            ctl.shift,
            ctl.gamma,
            prev,
            normalize === sparsemax ? 'sparsemax' : 'softmax',
            this.config.rowNormFloor,
          )
        : ntmAddress(memory, ctl.key, ctl.beta, ctl.gate, ctl.shift, ctl.gamma, prev, score, normalize);
    const ctx = { training: options.training ?? true, rng: options.rng, tau: options.tau, trainingStep: options.trainingStep };
    const first = modes[0] as AddressingMode;
    const uniform = modes.every((m) => JSON.stringify(m) === JSON.stringify(first));
    if (uniform) return applyMode(first, pipeline(first.kind === 'sparsemax' ? sparsemax : softmax), ctx);
    // Mixed modes: compute the softmax (and, if needed, sparsemax) pipeline for the group,
    // then apply each head's mode to its own slice; the result is dense.
    return tidy(() => {
      const soft = pipeline();
      const sparse = modes.some((m) => m.kind === 'sparsemax') ? pipeline(sparsemax) : undefined;
      const heads = modes.map((m, h) => {
        const src = m.kind === 'sparsemax' && sparse ? sparse : soft;
        return applyMode(m, tf.slice(src, [0, h, 0], [-1, 1, -1]), ctx);
      });
      const dense = tf.concat(
        heads.map((w) => w.dense),
        1,
      ) as tf.Tensor3D;
      const score = heads.reduce<ScoreTerms | undefined>((sum, w) => addScores(sum, w.score), undefined);
      return score ? { dense, score } : { dense };
    });
  }

  /**
   * The write heads address and write (erase all, then add all). With fused kernels and only
   * soft (or only sparsemax) write heads, addressing and write are one kernel.
   * @returns the write weights and the new memory `[B, N, M]`.
   */
  private writeGroup(memory: tf.Tensor3D, ctl: HeadControls, prev: tf.Tensor3D, options: StepOptions, fused: boolean): [HeadWeights, tf.Tensor3D] {
    const erase = ctl.erase as tf.Tensor3D;
    const add = ctl.add as tf.Tensor3D;
    const direct = fused ? directNormalizer(this.config.writeModes) : undefined;
    if (direct) {
      const r = fusedAddressWrite(memory, ctl.key, ctl.beta, ctl.gate, ctl.shift, ctl.gamma, prev, erase, add, direct, this.config.rowNormFloor);
      return [{ dense: r.weights }, r.memory];
    }
    const ww = this.address(memory, ctl, prev, this.config.writeModes, options, fused);
    const next = ww.sparse
      ? (fused ? fusedSparseWrite : sparseWrite)(memory, ww.sparse, erase, add)
      : (fused ? fusedWrite : write)(memory, ww.dense, erase, add);
    return [ww, next];
  }

  /**
   * The read heads address the (new) memory and read. With fused kernels and only soft (or
   * only sparsemax) read heads, addressing and read are one kernel.
   * @returns the read weights and the read vectors `[B, R, M]`.
   */
  private readGroup(memory: tf.Tensor3D, ctl: HeadControls, prev: tf.Tensor3D, options: StepOptions, fused: boolean): [HeadWeights, tf.Tensor3D] {
    const direct = fused ? directNormalizer(this.config.readModes) : undefined;
    if (direct) {
      const r = fusedAddressRead(memory, ctl.key, ctl.beta, ctl.gate, ctl.shift, ctl.gamma, prev, direct, this.config.rowNormFloor);
      return [{ dense: r.weights }, r.reads];
    }
    const rw = this.address(memory, ctl, prev, this.config.readModes, options, fused);
    return [rw, rw.sparse ? (fused ? fusedSparseRead : sparseRead)(memory, rw.sparse) : (fused ? fusedRead : read)(memory, rw.dense)];
  }

  /**
   * One time step. `read-write` (the default): every read head addresses and reads the memory
   * of the previous step, then every write head addresses it and writes (erase all, then add
   * all). `write-read`: the writes come first and the reads see the new memory.
   * @param controllerOutput `[B, C]`
   * @returns read vectors `[B, R, M]` and the next state.
   */
  step(controllerOutput: tf.Tensor2D, state: AccessState, options: StepOptions = {}): [tf.Tensor3D, AccessState] {
    const c = this.config;
    const s = shapes('MemoryAccess.step');
    s.check('controllerOutput', controllerOutput, ['B', c.controllerSize]);
    s.check('state.memory', state.memory, ['B', c.slots, c.width]);
    s.check('state.readWeights', state.readWeights, ['B', c.readHeads, c.slots]);
    s.check('state.writeWeights', state.writeWeights, ['B', c.writeHeads, c.slots]);
    const fused = this.usesFusedKernels();
    return tidy(() => {
      const ctl = this.controls(controllerOutput);
      // read-write: the reads see the memory as it was before this step's write
      const early = c.order === 'read-write' ? this.readGroup(state.memory, ctl.read, state.readWeights, options, fused) : undefined;
      const [ww, memory] = this.writeGroup(state.memory, ctl.write, state.writeWeights, options, fused);
      const [rw, readVectors] = early ?? this.readGroup(memory, ctl.read, state.readWeights, options, fused);
      const score = addScores(addScores(state.score, ww.score), rw.score);
      const next: AccessState = Object.freeze({ memory, readWeights: rw.dense, writeWeights: ww.dense, readVectors, ...(score ? { score } : {}) });
      return [readVectors, next] as [tf.Tensor3D, AccessState];
    });
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.memoryInit.dispose();
  }
}

/** The sum of two sets of REINFORCE terms, either of which may be absent. */
function addScores(a: ScoreTerms | undefined, b: ScoreTerms | undefined): ScoreTerms | undefined {
  if (!a || !b) return a ?? b;
  return { logProb: tf.add(a.logProb, b.logProb) as tf.Tensor1D, entropyBonus: tf.add(a.entropyBonus, b.entropyBonus) as tf.Tensor1D };
}
