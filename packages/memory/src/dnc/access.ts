import * as tf from '@tensorflow/tfjs';
import { EngramError, fusedBackend, plainVariables, Rng, shapes, tidy, type VariableFactory } from '@engram/tensor';
import { headLength, INTERFACE_CLIP, type ControlSpec } from '../interfaceTable.ts';
import { makeMemoryInit, MEMORY_INITS, type MemoryInit, type MemoryInitializer } from '../init.ts';
import { KERNEL_CHOICES, positiveInt, type KernelChoice } from '../config.ts';
import { commonStateTensors, recordingVariables, type MemoryModule, type MemoryState, type MemoryStepOptions, type StateTensorSpec } from '../module.ts';
import { read, write } from '../readWrite.ts';
import { dncAllocation } from './allocation.ts';
import { dncContentWeights } from './content.ts';
import { dncReadTable, dncWriteTable, splitDncInterface, type DncOptions, type DncReadControl, type DncWriteControl } from './interface.ts';
import { dncDirectionalWeights, dncLinkage, sharpenDirectional } from './linkage.ts';
import { dncRetention, usageAfter } from './usage.ts';
import { fusedTemporal } from './fused/temporalKernel.ts';
import { fusedInterface } from './fused/interfaceKernel.ts';
import { fusedAllocation } from './fused/allocationKernel.ts';
import { fusedContentWeights } from './fused/contentKernel.ts';
import { simdKernelsActive } from '../ntm/fused/simd/ntmSimd.ts';
import { fusedRead } from '../ntm/fused/readKernel.ts';
import { fusedWrite } from '../ntm/fused/writeKernel.ts';

/** A plain, JSON-serialisable description of a DNC memory (Graves et al. 2016). */
export interface DncAccessConfig {
  readonly kind: 'dnc';
  /** N, number of memory rows. */
  readonly slots: number;
  /** M, width of a row (word size). */
  readonly width: number;
  /** R, default 1. */
  readonly readHeads?: number;
  /** W, default 1 (the paper's); deepmind/dnc allows more. */
  readonly writeHeads?: number;
  /** How memory starts each sequence; default constant (1e-6, the DNC's empty memory). */
  readonly init?: MemoryInit;
  /** DNC-MD options, each default false (the paper's DNC). */
  readonly masking?: boolean;
  readonly deallocation?: boolean;
  readonly sharpness?: boolean;
  /**
   * `fused`: the interface activation in one kernel, usage, allocation and write weights in
   * one (with one write head; more use the composite ops), linkage and directional weights in
   * one, and the write and the read on the NTM's fused write and read kernels (cpu and wasm); `reference`: composite tfjs ops
   * (any backend); `auto` (default): fused on cpu, and on wasm when the kernels' WebAssembly
   * SIMD twins run there (their plain JavaScript loops lost to wasm's SIMD matMuls: reference
   * 1.56-1.66 s against fused 1.79-2.16 s a training step at batch 32, LSTM 100, N 128, M 20,
   * R 4, 21 time steps); reference elsewhere.
   */
  readonly kernels?: KernelChoice;
  /** C, the width of the controller output that drives the heads. */
  readonly controllerSize: number;
  /** Seeds the weight initialisation. Default 0. */
  readonly seed?: number;
}

export interface ResolvedDncConfig extends DncOptions {
  readonly kernels: KernelChoice;
  readonly slots: number;
  readonly width: number;
  readonly readHeads: number;
  readonly writeHeads: number;
  readonly init: MemoryInit;
  readonly controllerSize: number;
  readonly seed: number;
}

/** The DNC's state: the common four, and usage, links, precedence and the last read modes. */
export interface DncState extends MemoryState {
  /** `[B, N]` in [0, 1] */
  readonly usage: tf.Tensor2D;
  /** `[B, W, N, N]` link[b, w, i, j]: slot i written right after slot j by head w. */
  readonly link: tf.Tensor4D;
  /** `[B, W, N]` */
  readonly precedence: tf.Tensor3D;
  /** `[B, R, 2W + 1]` the read heads' last modes: backward per write head, forward per write head, content. */
  readonly readModes: tf.Tensor3D;
}

function flag(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean')
    throw new EngramError(field, `${JSON.stringify(v)} is not true or false`, `set ${field} to true or false (default false, the paper's DNC)`);
  return v;
}

/** Validates a DNC config and fills in defaults; every error names the field and the fix. */
export function resolveDncConfig(c: DncAccessConfig): ResolvedDncConfig {
  const init = c.init ?? 'constant';
  if (!(MEMORY_INITS as readonly string[]).includes(init)) {
    throw new EngramError('memory.init', `unknown initialisation '${String(init)}'`, `use one of ${MEMORY_INITS.join(', ')}`);
  }
  const seed = c.seed ?? 0;
  if (!Number.isInteger(seed)) throw new EngramError('memory.seed', `${seed} is not an integer`, 'use an integer seed');
  const kernels = c.kernels ?? 'auto';
  if (!(KERNEL_CHOICES as readonly string[]).includes(kernels)) {
    throw new EngramError('memory.kernels', `unknown kernels '${String(kernels)}'`, `use one of ${KERNEL_CHOICES.join(', ')}`);
  }
  return {
    kernels,
    slots: positiveInt(c.slots, 'memory.slots', 'use N >= 1, e.g. 128'),
    width: positiveInt(c.width, 'memory.width', 'use M >= 1, e.g. 20'),
    readHeads: positiveInt(c.readHeads ?? 1, 'memory.readHeads', 'use at least 1 read head'),
    writeHeads: positiveInt(c.writeHeads ?? 1, 'memory.writeHeads', 'use at least 1 write head'),
    controllerSize: positiveInt(c.controllerSize, 'memory.controllerSize', 'pass the controller output width'),
    init,
    seed,
    masking: flag(c.masking, 'memory.masking'),
    deallocation: flag(c.deallocation, 'memory.deallocation'),
    sharpness: flag(c.sharpness, 'memory.sharpness'),
  };
}

/** The DNC's state tensors, in {@link MemoryModule.stateTensors} order, from its sizes alone. */
export function dncStateTensors(c: { slots: number; width: number; readHeads?: number; writeHeads?: number }): StateTensorSpec[] {
  const r = c.readHeads ?? 1;
  const w = c.writeHeads ?? 1;
  return [
    ...commonStateTensors(c.slots, c.width, r, w),
    { name: 'usage', shape: [c.slots] },
    { name: 'link', shape: [w, c.slots, c.slots] },
    { name: 'precedence', shape: [w, c.slots] },
    { name: 'readModes', shape: [r, 2 * w + 1] },
  ];
}

/**
 * The Differentiable Neural Computer's memory (Graves et al. 2016, Methods), as deepmind/dnc
 * runs it: per step, usage is updated from the previous writes and this step's free gates; the
 * write heads mix allocation (from usage) and content weights and erase-then-add; the links
 * and precedence are updated from the writes; the read heads then mix, by their read modes,
 * content weights on the new memory with the forward and backward weights along the links of
 * the previous read weights. With the DNC-MD options (Csordas & Schmidhuber 2019): masked
 * content lookup, erasing of freed cells, sharpened link distributions.
 */
export class DncAccess implements MemoryModule<DncState> {
  readonly kind = 'dnc' as const;
  readonly config: ResolvedDncConfig;
  readonly writeTable: readonly ControlSpec<DncWriteControl>[];
  readonly readTable: readonly ControlSpec<DncReadControl>[];
  readonly interfaceSize: number;
  readonly readSize: number;
  readonly stateTensors: readonly StateTensorSpec[];
  readonly tracedTensors = ['usage', 'readModes', 'link'] as const;
  readonly needsScoreFunction = false;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  /** `[C, L]` and `[L]`. */
  readonly projection: tf.Variable;
  readonly projectionBias: tf.Variable;
  private readonly memoryInit: MemoryInitializer;

  constructor(config: DncAccessConfig, variables: VariableFactory = plainVariables) {
    const c = resolveDncConfig(config);
    this.config = c;
    const recorded = recordingVariables(variables);
    this.namedVariables = recorded.named;
    variables = recorded.variables;
    const rng = new Rng(c.seed);
    this.writeTable = dncWriteTable(c.width, c);
    this.readTable = dncReadTable(c.width, c.writeHeads, c);
    this.interfaceSize = c.writeHeads * headLength(this.writeTable) + c.readHeads * headLength(this.readTable);
    this.readSize = c.readHeads * c.width;
    this.stateTensors = dncStateTensors(c);
    this.memoryInit = makeMemoryInit(c.init, c.slots, c.width, rng, variables);
    this.projection = variables('memory/projection', () => rng.glorotTensor([c.controllerSize, this.interfaceSize]));
    this.projectionBias = variables('memory/projectionBias', () => tf.zeros([this.interfaceSize]));
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

  get variables(): tf.Variable[] {
    return Object.values(this.namedVariables);
  }

  /**
   * True when linkage, directional weights, write and read run on fused kernels: `fused` (cpu,
   * wasm), or `auto` on cpu and on wasm with the SIMD twins (see {@link DncAccessConfig.kernels}). Throws when `fused` was asked for on
   * another backend.
   */
  usesFusedKernels(backendName: string = tf.getBackend()): boolean {
    if (this.config.kernels === 'reference') return false;
    if (this.config.kernels === 'auto') return backendName === 'cpu' || (backendName === 'wasm' && simdKernelsActive());
    if (!fusedBackend(backendName)) {
      throw new EngramError(
        'memory.kernels',
        `'fused' was asked for but fused kernels exist for the cpu and wasm backends only, not '${backendName}'`,
        "use kernels 'auto' or 'reference'",
      );
    }
    return true;
  }

  /** The empty state: the initial memory, and zero weights, usage, links, precedence and reads. */
  initialState(batch: number): DncState {
    positiveInt(batch, 'initialState(batch)', 'use a batch size >= 1');
    return tidy(() => {
      const zeros = Object.fromEntries(this.stateTensors.slice(1).map((t) => [t.name, tf.zeros([batch, ...t.shape])]));
      return Object.freeze({ ...zeros, memory: this.memoryInit.initial(batch) } as unknown as DncState);
    });
  }

  /**
   * One time step (write, then link, then read, as deepmind/dnc).
   * @param controllerOutput `[B, C]`
   * @returns read vectors `[B, R, M]` and the next state.
   */
  step(controllerOutput: tf.Tensor2D, state: DncState, _options: MemoryStepOptions = {}): [tf.Tensor3D, DncState] {
    const c = this.config;
    const s = shapes('DncAccess.step');
    s.check('controllerOutput', controllerOutput, ['B', c.controllerSize]);
    s.check('state.memory', state.memory, ['B', c.slots, c.width]);
    s.check('state.link', state.link, ['B', c.writeHeads, c.slots, c.slots]);
    return tidy(() => {
      const fused = this.usesFusedKernels();
      const projected = tf.matMul(controllerOutput, this.projection) as tf.Tensor2D;
      const { write: wc, read: rc } = fused
        ? fusedInterface(projected, this.projectionBias as tf.Tensor1D, c.writeHeads, this.writeTable, c.readHeads, this.readTable)
        : splitDncInterface(
            tf.clipByValue(tf.add(projected, this.projectionBias), -INTERFACE_CLIP, INTERFACE_CLIP) as tf.Tensor2D,
            c.writeHeads,
            c.readHeads,
            this.writeTable,
            this.readTable,
          );
      const scalar = (t: tf.Tensor3D) => tf.squeeze(t, [2]) as tf.Tensor2D;
      const freeGate = scalar(rc.freeGate);

      // usage, then the write weights: allocation or content, by the allocation gate, times the write gate
      // content weights on the twin kernel where it runs (unmasked), else the composite ops
      const content = (m: tf.Tensor3D, key: tf.Tensor3D, strength: tf.Tensor3D, mask?: tf.Tensor3D) =>
        fused && !mask && simdKernelsActive() ? fusedContentWeights(m, key, scalar(strength)) : dncContentWeights(m, key, scalar(strength), mask);
      const writeContent = content(state.memory, wc.key, wc.strength, c.masking ? wc.mask : undefined);
      const { usage, writeWeights, retention } =
        fused && c.writeHeads === 1
          ? fusedAllocation(state.usage, state.writeWeights, freeGate, state.readWeights, writeContent, wc.allocationGate, wc.writeGate)
          : allocatedWrites(state, freeGate, writeContent, wc.allocationGate, wc.writeGate);
      const kept = c.deallocation ? (tf.mul(state.memory, tf.expandDims(retention, -1)) as tf.Tensor3D) : state.memory;
      const memory = fused ? fusedWrite(kept, writeWeights, wc.erase, wc.vector) : write(kept, writeWeights, wc.erase, wc.vector);

      // the links from this step's writes, and the previous reads followed along them
      const temporal = fused
        ? fusedTemporal(state.link, state.precedence, writeWeights, state.readWeights)
        : dncTemporalReference(state.link, state.precedence, writeWeights, state.readWeights);
      const { link, precedence } = temporal;
      let { forward, backward } = temporal;

      // the read weights: content on the new memory, forward and backward along the new links
      const readContent = content(memory, rc.key, rc.strength, c.masking ? rc.mask : undefined);
      if (c.sharpness) {
        forward = sharpenDirectional(forward, scalar(rc.forwardSharpness));
        backward = sharpenDirectional(backward, scalar(rc.backwardSharpness));
      }
      const readWeights = mixReadModes(rc.modes, backward, forward, readContent);
      const readVectors = fused ? fusedRead(memory, readWeights) : read(memory, readWeights);
      const next: DncState = Object.freeze({ memory, readWeights, writeWeights, readVectors, usage, link, precedence, readModes: rc.modes });
      return [readVectors, next] as [tf.Tensor3D, DncState];
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.memoryInit.dispose();
  }
}

/**
 * Retention, usage, allocation and the write weights in composite ops (any number of write
 * heads): what the fused allocation kernel computes in one for a single write head.
 * @param writeContent `[B, W, N]`; allocationGate, writeGate `[B, W, 1]`.
 */
function allocatedWrites(
  state: DncState,
  freeGate: tf.Tensor2D,
  writeContent: tf.Tensor3D,
  allocationGate: tf.Tensor3D,
  writeGate: tf.Tensor3D,
): { usage: tf.Tensor2D; writeWeights: tf.Tensor3D; retention: tf.Tensor2D } {
  const retention = dncRetention(freeGate, state.readWeights);
  const usage = usageAfter(state.usage, state.writeWeights, retention);
  const allocation = dncAllocation(usage, tf.squeeze(tf.mul(allocationGate, writeGate), [2]) as tf.Tensor2D);
  const writeWeights = tf.mul(writeGate, tf.add(tf.mul(allocationGate, allocation), tf.mul(tf.sub(1, allocationGate), writeContent))) as tf.Tensor3D;
  return { usage, writeWeights, retention };
}

/**
 * dncLinkage, then the forward and backward weights of the previous reads along the new links,
 * in composite ops: what the fused temporal kernel computes in one.
 */
export function dncTemporalReference(
  prevLink: tf.Tensor4D,
  prevPrecedence: tf.Tensor3D,
  writeWeights: tf.Tensor3D,
  prevReadWeights: tf.Tensor3D,
): { link: tf.Tensor4D; precedence: tf.Tensor3D; forward: tf.Tensor4D; backward: tf.Tensor4D } {
  return tidy(() => {
    const { link, precedence } = dncLinkage(prevLink, prevPrecedence, writeWeights);
    return { link, precedence, forward: dncDirectionalWeights(link, prevReadWeights, true), backward: dncDirectionalWeights(link, prevReadWeights, false) };
  });
}

/**
 * The read weights from the read modes (DNC Methods, "Read weighting"):
 * w = pi_content c + sum_h (pi_backward[h] b_h + pi_forward[h] f_h).
 * @param modes `[B, R, 2W + 1]`: backward per write head, forward per write head, content.
 * @param backward `[B, R, W, N]`
 * @param forward `[B, R, W, N]`
 * @param content `[B, R, N]`
 * @returns `[B, R, N]`
 */
export function mixReadModes(modes: tf.Tensor3D, backward: tf.Tensor4D, forward: tf.Tensor4D, content: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const w = backward.shape[2];
    const [pb, pf, pc] = tf.split(modes, [w, w, 1], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const along = (weights: tf.Tensor4D, p: tf.Tensor3D) => tf.sum(tf.mul(tf.expandDims(p, -1), weights), 2);
    return tf.add(tf.mul(pc, content), tf.add(along(backward, pb), along(forward, pf))) as tf.Tensor3D;
  });
}
