import * as tf from '@tensorflow/tfjs';
import { EngramError, fusedBackend, plainVariables, Rng, shapes, tidy, untaped, type VariableFactory } from '@engram/tensor';
import { ROW_NORM_FLOOR } from '../constants.ts';
import { positiveInt } from '../config.ts';
import { headLength, type ControlSpec } from '../interfaceTable.ts';
import { makeMemoryInit, MEMORY_INITS, type MemoryInit, type MemoryInitializer } from '../init.ts';
import { commonStateTensors, recordingVariables, type MemoryModule, type MemoryState, type MemoryStepOptions, type StateTensorSpec } from '../module.ts';
import { samControls } from './fused/controlsKernel.ts';
import { samStep } from './fused/stepKernel.ts';
import { samReadState, samUsage } from './fused/usageKernel.ts';

/** A plain, JSON-serialisable description of a sparse access memory (SAM, Rae et al. 2016). */
export interface SamAccessConfig {
  readonly kind: 'sam';
  /** N, number of memory rows. */
  readonly slots: number;
  /** M, width of a row. */
  readonly width: number;
  /** R, default 1. */
  readonly readHeads?: number;
  /** W: SAM has one write head; only 1 is accepted. */
  readonly writeHeads?: number;
  /** Rows each read head keeps (its top-k by content), default 8 (at most N). */
  readonly k?: number;
  /** λ of the usage U_t = λ U_{t-1} + reads + writes, in (0, 1]; default 0.99. */
  readonly usageDecay?: number;
  /** δ of the cosine's row norm, default ROW_NORM_FLOOR (1e-2). */
  readonly rowNormFloor?: number;
  /** How memory starts each sequence; default constant (1e-6). */
  readonly init?: MemoryInit;
  /** C, the width of the controller output that drives the heads. */
  readonly controllerSize: number;
  /** Seeds the weight initialisation. Default 0. */
  readonly seed?: number;
}

export interface ResolvedSamConfig {
  readonly slots: number;
  readonly width: number;
  readonly readHeads: number;
  readonly writeHeads: 1;
  readonly k: number;
  readonly usageDecay: number;
  readonly rowNormFloor: number;
  readonly init: MemoryInit;
  readonly controllerSize: number;
  readonly seed: number;
}

/**
 * SAM's state: the common four (the dense weights there are for traces and plots, built from the
 * sparse ones without a gradient), the read heads' sparse weights, usage and the least-used row.
 */
export interface SamState extends MemoryState {
  /** `[B, R, k]` the rows each read head kept at the last step (row numbers as float32). */
  readonly readIndices: tf.Tensor3D;
  /** `[B, R, k]` their weights (differentiable: the next write allocates by them). */
  readonly readValues: tf.Tensor3D;
  /** `[B, N]` */
  readonly usage: tf.Tensor2D;
  /** `[B, 1]` the least-used row after the last step (a row number as float32). */
  readonly leastUsed: tf.Tensor2D;
  /** `[B, N]` 1 on the rows written so far, else 0 (content reads rank unwritten rows last). */
  readonly written: tf.Tensor2D;
}

export type SamReadControl = 'key' | 'strength';
export type SamWriteControl = 'erase' | 'vector' | 'allocationGate' | 'writeGate';

/** A read head's controls: key (M, linear) and strength β (1, oneplus). */
export const samReadTable = (width: number): readonly ControlSpec<SamReadControl>[] => [
  { name: 'key', length: width, activation: 'linear' },
  { name: 'strength', length: 1, activation: 'oneplus' },
];

/**
 * The write head's controls: erase (M, sigmoid), write vector (M, linear), the allocation gate
 * γ (1, sigmoid: the share of the write that goes to the rows last read, 1 - γ going to the
 * least-used row) and the write gate α (1, sigmoid).
 */
export const samWriteTable = (width: number): readonly ControlSpec<SamWriteControl>[] => [
  { name: 'erase', length: width, activation: 'sigmoid' },
  { name: 'vector', length: width, activation: 'linear' },
  { name: 'allocationGate', length: 1, activation: 'sigmoid' },
  { name: 'writeGate', length: 1, activation: 'sigmoid' },
];

/** Validates a SAM config and fills in defaults; every error names the field and the fix. */
export function resolveSamConfig(c: SamAccessConfig): ResolvedSamConfig {
  const slots = positiveInt(c.slots, 'memory.slots', 'use N >= 1, e.g. 1024');
  const init = c.init ?? 'constant';
  if (!(MEMORY_INITS as readonly string[]).includes(init)) {
    throw new EngramError('memory.init', `unknown initialisation '${String(init)}'`, `use one of ${MEMORY_INITS.join(', ')}`);
  }
  if ((c.writeHeads ?? 1) !== 1)
    throw new EngramError('memory.writeHeads', `${JSON.stringify(c.writeHeads)} write heads`, 'SAM has one write head: use 1 or leave it out');
  const k = c.k ?? Math.min(8, slots);
  if (!Number.isInteger(k) || k < 1 || k > slots)
    throw new EngramError('memory.k', `k=${JSON.stringify(c.k)} is not an integer in 1..N (N=${slots})`, `use 1 <= k <= ${slots}`);
  const usageDecay = c.usageDecay ?? 0.99;
  if (typeof usageDecay !== 'number' || !(usageDecay > 0 && usageDecay <= 1)) {
    throw new EngramError('memory.usageDecay', `${JSON.stringify(c.usageDecay)} is not in (0, 1]`, 'use a decay in (0, 1], e.g. 0.99');
  }
  const rowNormFloor = c.rowNormFloor ?? ROW_NORM_FLOOR;
  if (typeof rowNormFloor !== 'number' || !(rowNormFloor > 0 && rowNormFloor <= 1)) {
    throw new EngramError('memory.rowNormFloor', `${JSON.stringify(c.rowNormFloor)} is not in (0, 1]`, 'use a floor in (0, 1], e.g. 0.01');
  }
  const seed = c.seed ?? 0;
  if (!Number.isInteger(seed)) throw new EngramError('memory.seed', `${seed} is not an integer`, 'use an integer seed');
  return {
    slots,
    width: positiveInt(c.width, 'memory.width', 'use M >= 1, e.g. 20'),
    readHeads: positiveInt(c.readHeads ?? 1, 'memory.readHeads', 'use at least 1 read head'),
    writeHeads: 1,
    k,
    usageDecay,
    rowNormFloor,
    init,
    controllerSize: positiveInt(c.controllerSize, 'memory.controllerSize', 'pass the controller output width'),
    seed,
  };
}

/** SAM's state tensors, in {@link MemoryModule.stateTensors} order, from its sizes alone. */
export function samStateTensors(c: { slots: number; width: number; readHeads?: number; k?: number }): StateTensorSpec[] {
  const r = c.readHeads ?? 1;
  const k = c.k ?? Math.min(8, c.slots);
  return [
    ...commonStateTensors(c.slots, c.width, r, 1),
    { name: 'readIndices', shape: [r, k] },
    { name: 'readValues', shape: [r, k] },
    { name: 'usage', shape: [c.slots] },
    { name: 'leastUsed', shape: [1] },
    { name: 'written', shape: [c.slots] },
  ];
}

/**
 * Sparse Access Memory (Rae et al. 2016) with exact top-k content reads: per step the write
 * head writes, erase then add, to the rows the read heads kept at the last step (by their
 * weights, a share γ of the write) and to the least-used row (1 - γ); then each read head
 * scores every row by cosine and reads from its k best. Every kernel of the step touches k
 * rows per head besides one O(N M) scan, and its gradient keeps those rows, not the memory,
 * so a training step holds O(T k M) for backpropagation plus the memories the loop still
 * holds (unroll lets go of each one after its step).
 */
export class SamAccess implements MemoryModule<SamState> {
  readonly kind = 'sam' as const;
  readonly config: ResolvedSamConfig;
  readonly slots: number;
  readonly width: number;
  readonly readHeads: number;
  readonly writeHeads = 1;
  readonly readTable: readonly ControlSpec<SamReadControl>[];
  readonly writeTable: readonly ControlSpec<SamWriteControl>[];
  readonly interfaceSize: number;
  readonly readSize: number;
  readonly stateTensors: readonly StateTensorSpec[];
  readonly tracedTensors = ['usage'] as const;
  readonly needsScoreFunction = false;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  /** `[C, L]` and `[L]`. */
  readonly projection: tf.Variable;
  readonly projectionBias: tf.Variable;
  private readonly memoryInit: MemoryInitializer;

  constructor(config: SamAccessConfig, variables: VariableFactory = plainVariables) {
    const c = resolveSamConfig(config);
    this.config = c;
    ({ slots: this.slots, width: this.width, readHeads: this.readHeads } = c);
    const recorded = recordingVariables(variables);
    this.namedVariables = recorded.named;
    variables = recorded.variables;
    const rng = new Rng(c.seed);
    this.readTable = samReadTable(c.width);
    this.writeTable = samWriteTable(c.width);
    this.interfaceSize = headLength(this.writeTable) + c.readHeads * headLength(this.readTable);
    this.readSize = c.readHeads * c.width;
    this.stateTensors = samStateTensors(c);
    this.memoryInit = makeMemoryInit(c.init, c.slots, c.width, rng, variables);
    this.projection = variables('memory/projection', () => rng.glorotTensor([c.controllerSize, this.interfaceSize]));
    this.projectionBias = variables('memory/projectionBias', () => tf.zeros([this.interfaceSize]));
  }

  get variables(): tf.Variable[] {
    return Object.values(this.namedVariables);
  }

  /** SAM exists only as fused kernels: true on cpu and wasm, an error naming the fix elsewhere. */
  usesFusedKernels(backendName: string = tf.getBackend()): boolean {
    if (!fusedBackend(backendName)) {
      throw new EngramError(
        'memory.kind',
        `'sam' runs on engram's fused kernels, which exist for the cpu and wasm backends only, not '${backendName}'`,
        'use --backend wasm (or cpu)',
      );
    }
    return true;
  }

  /** The empty state: the initial memory; read heads on rows 0..k-1 with weight 0; zero usage. */
  initialState(batch: number): SamState {
    positiveInt(batch, 'initialState(batch)', 'use a batch size >= 1');
    const { slots: n, width: m, readHeads: r, k } = this.config;
    return tidy(() => {
      const rows = tf.tile(tf.reshape(tf.range(0, k, 1, 'float32'), [1, 1, k]), [batch, r, 1]) as tf.Tensor3D;
      return Object.freeze({
        memory: this.memoryInit.initial(batch),
        readWeights: tf.zeros([batch, r, n]) as tf.Tensor3D,
        writeWeights: tf.zeros([batch, 1, n]) as tf.Tensor3D,
        readVectors: tf.zeros([batch, r, m]) as tf.Tensor3D,
        readIndices: rows,
        readValues: tf.zeros([batch, r, k]) as tf.Tensor3D,
        usage: tf.zeros([batch, n]) as tf.Tensor2D,
        leastUsed: tf.zeros([batch, 1]) as tf.Tensor2D,
        written: tf.zeros([batch, n]) as tf.Tensor2D,
      });
    });
  }

  /**
   * One time step: write, then read.
   * @param controllerOutput `[B, C]`
   * @returns read vectors `[B, R, M]` and the next state.
   */
  step(controllerOutput: tf.Tensor2D, state: SamState, _options: MemoryStepOptions = {}): [tf.Tensor3D, SamState] {
    const c = this.config;
    const s = shapes('SamAccess.step');
    s.check('controllerOutput', controllerOutput, ['B', c.controllerSize]);
    s.check('state.memory', state.memory, ['B', c.slots, c.width]);
    s.check('state.readIndices', state.readIndices, ['B', c.readHeads, c.k]);
    this.usesFusedKernels();
    return tidy(() => {
      // the interface vector to the controls, clip and activations (samReadTable, samWriteTable) and the write's values: one kernel
      const z = tf.add(tf.matMul(controllerOutput, this.projection), this.projectionBias) as tf.Tensor2D;
      const { erase, vector, keys, strengths, writeValues } = samControls(z, state.readValues, c.width, c.readHeads, c.k);
      // the write's rows, usage, the least-used row and the rows written so far, this step's
      // included (off the tape: they pick rows and carry no gradient, and recorded they would
      // hold [B, N] tensors per step)
      const previousReads = { indices: state.readIndices, values: state.readValues };
      const book = untaped(() => samUsage(state.usage, state.written, previousReads, state.leastUsed, writeValues, c.usageDecay));
      const writes = { indices: book.writeIndices, values: writeValues };
      // the write, then the reads on the new memory: one kernel (see samStep for why)
      const { memory, reads, readVectors } = samStep(state.memory, writes, erase, vector, keys, strengths, book.written, c.k, c.rowNormFloor);
      // the read rows as the state keeps them, and dense weights for traces: no gradient flows through them
      const readState = untaped(() => samReadState(reads, c.slots));
      const next: SamState = Object.freeze({
        memory,
        readWeights: readState.dense,
        writeWeights: book.writeWeights,
        readVectors,
        readIndices: readState.rows,
        readValues: reads.values,
        usage: book.usage,
        leastUsed: book.leastUsed,
        written: book.written,
      });
      return [readVectors, next] as [tf.Tensor3D, SamState];
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.memoryInit.dispose();
  }
}
