import * as tf from '@tensorflow/tfjs';
import type { Controller } from '@engram/controller';
import { INTERFACE_CLIP, type MemoryAccess, type MemoryModule } from '@engram/memory';
import type { DenseOutput } from '../output.ts';
import type { MemoryCellState } from '../memoryCell.ts';
import { ntmSequence } from './ntmSequenceKernel.ts';
import type { SequenceAttrs } from './sequenceDims.ts';

let enabled = enabledByEnvironment();

/** ENGRAM_SEQUENCE=0 (or off, false) in the environment switches the whole-sequence kernel off. */
function enabledByEnvironment(): boolean {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['ENGRAM_SEQUENCE'];
  return !(value === '0' || value === 'off' || value === 'false');
}

/**
 * Switches the whole-sequence kernel on or off for this process (default on, or off when the
 * environment has ENGRAM_SEQUENCE=0). Off, `unroll` steps the model one time step at a time
 * on the per-step kernels: the same function, ~40 kernel dispatches a step. For A/B
 * measurements and tests.
 */
export function setSequenceKernel(on: boolean): void {
  enabled = on;
}

/** True when the whole-sequence kernel is switched on (a model also has to be one it supports). */
export function sequenceKernelEnabled(): boolean {
  return enabled;
}

/** The parts of a MemoryCell the whole-sequence kernel runs. */
export interface SequenceParts {
  readonly controller: Controller;
  readonly access: MemoryModule;
  readonly output: DenseOutput;
  readonly outputClip: number;
}

/** The normaliser a group's heads share when all are soft or all sparsemax, else undefined. */
function groupNormalizer(modes: readonly { readonly kind: string }[]): 'softmax' | 'sparsemax' | undefined {
  if (modes.every((m) => m.kind === 'soft')) return 'softmax';
  if (modes.every((m) => m.kind === 'sparsemax')) return 'sparsemax';
  return undefined;
}

/** The variable whose path ends with `suffix` (e.g. `lstm0/kernel`). */
function variableEnding(named: Readonly<Record<string, tf.Variable>>, suffix: string): tf.Variable | undefined {
  const key = Object.keys(named).find((k) => k.endsWith(suffix));
  return key === undefined ? undefined : named[key];
}

/**
 * Why these parts cannot run on the whole-sequence kernel (one short clause), or undefined
 * when they can: it covers the NTM memory on the fused kernels with soft or sparsemax heads
 * (one kind per group) and a one-layer LSTM controller.
 */
export function sequenceUnsupportedReason(parts: SequenceParts, backendName: string = tf.getBackend()): string | undefined {
  if (!enabled) return 'it is switched off (ENGRAM_SEQUENCE=0 or setSequenceKernel(false))';
  const { access, controller } = parts;
  if (access.kind !== 'ntm') return `it supports the NTM memory, not the ${access.kind}'s`;
  const ntm = access as unknown as MemoryAccess;
  if (!ntm.usesFusedKernels(backendName)) return 'the memory runs on the reference ops (memory.kernels, similarity or backend)';
  if (controller.config.kind !== 'lstm' || controller.config.units.length !== 1) return 'it supports a one-layer LSTM controller only';
  if (!groupNormalizer(ntm.config.readModes) || !groupNormalizer(ntm.config.writeModes)) {
    return 'it supports soft and sparsemax addressing only (one mode per group of heads)';
  }
  return undefined;
}

/**
 * The logits `[T, B, Y]` of a whole sequence from the initial state, in one kernel; the caller
 * has checked {@link sequenceUnsupportedReason}.
 * @param inputs `[T, B, X]`
 */
export function runWholeSequence(parts: SequenceParts, initial: MemoryCellState, inputs: tf.Tensor3D): tf.Tensor3D {
  const ntm = parts.access as unknown as MemoryAccess;
  const c = ntm.config;
  const ctl = parts.controller.namedVariables;
  const lstmKernel = variableEnding(ctl, 'lstm0/kernel');
  const lstmBias = variableEnding(ctl, 'lstm0/bias');
  const outputKernel = variableEnding(parts.output.namedVariables, '/kernel');
  const outputBias = variableEnding(parts.output.namedVariables, '/bias');
  if (!lstmKernel || !lstmBias || !outputKernel || !outputBias) throw new Error('runWholeSequence: the LSTM or output weights were not found');
  const attrs: SequenceAttrs = {
    shiftRange: c.shiftRange,
    readNormalize: groupNormalizer(c.readModes) as 'softmax',
    writeNormalize: groupNormalizer(c.writeModes) as 'softmax',
    order: c.order,
    rowNormFloor: c.rowNormFloor,
    interfaceClip: INTERFACE_CLIP,
    outputClip: parts.outputClip,
  };
  const [batch] = [inputs.shape[1]];
  const s = initial.access;
  return ntmSequence(
    {
      x: inputs,
      h0: initial.controller.h![0]!,
      c0: initial.controller.c![0]!,
      memory0: s.memory,
      readWeights0: s.readWeights,
      writeWeights0: s.writeWeights,
      reads0: tf.reshape(s.readVectors, [batch, c.readHeads * c.width]),
      lstmKernel,
      lstmBias,
      projection: ntm.projection,
      projectionBias: ntm.projectionBias,
      outputKernel,
      outputBias,
    },
    attrs,
  );
}
