import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { EngramError, Rng } from '@engram/tensor';
import type { ModelConfig } from '@engram/model';
import type { RunSpec } from './schema.ts';
import { taskEntry } from './taskRegistry.ts';

/** What a configuration is estimated to need, and its largest part (the field to name). */
export interface MemoryEstimate {
  readonly bytes: number;
  readonly parameters: number;
  readonly timeSteps: number;
  /** The config field whose growth costs the most, e.g. `model.memory.slots`. */
  readonly field: string;
}

/** Time steps of the longest sequence: measured at lengths 1 and 2 (tiny samples) and extended linearly. */
function longestSequence(spec: RunSpec): number {
  const entry = taskEntry(spec.task);
  const task = entry.make(spec.task.options ?? {});
  const options = task.options;
  // a sample is (inputs + outputs) floats per step: with absurd widths, bound the length from below instead
  if (task.inputSize + task.outputSize > 1e5) return entry.maxLength(options) + 1;
  const steps = (length: number) => {
    const batch = entry.make(entry.atLength(options, length)).sample(8, new Rng(0)); // padded to its longest of 8 (repeat counts vary)
    const t = batch.inputs.shape[0];
    tf.dispose([batch.inputs, batch.targets, batch.mask]);
    return t;
  };
  const one = steps(Math.max(1, entry.minLength(options)));
  const two = steps(Math.max(1, entry.minLength(options)) + 1);
  return one + (two - one) * (entry.maxLength(options) - Math.max(1, entry.minLength(options)));
}

/**
 * An estimate, from the configuration alone (nothing is allocated), of the bytes one training
 * step holds: the weights with their gradients and Adam's two moments, and what the backward
 * pass keeps per time step of the longest sequence (the memory and the weightings a few times
 * over, the controller's activations; the DNC's link matrices).
 */
export function estimateTrainingMemory(spec: RunSpec, model: ModelConfig): MemoryEstimate {
  const batch = spec.train.batchSize;
  const timeSteps = longestSequence(spec);
  const units = ([] as number[]).concat(model.controller.units).reduce((a, b) => a + b, 0);
  const layers = Array.isArray(model.controller.units) ? model.controller.units.length : (model.controller.layers ?? 1);
  const m = model.memory;
  const reads = m ? (m.readHeads ?? 1) * m.width : 0;
  const heads = m ? (m.readHeads ?? 1) + (m.writeHeads ?? 1) : 0;
  const gates = model.controller.kind === 'lstm' ? 4 : model.controller.kind === 'gru' ? 3 : 1;
  const controllerIn = model.inputSize + reads;
  const parameters =
    gates * units * (controllerIn + units * Math.min(layers, 2) + 1) +
    (units + reads) * model.outputSize +
    (m ? units * heads * (3 * m.width + 8) + m.slots * m.width : 0);
  const memoryPerStep = m ? 6 * m.slots * m.width + 12 * heads * m.slots + (m.kind === 'dnc' ? 6 * (m.writeHeads ?? 1) * m.slots * m.slots : 0) : 0;
  const controllerPerStep = 8 * gates * units + model.inputSize + model.outputSize;
  const activations = timeSteps * batch * (memoryPerStep + controllerPerStep);
  const bytes = 4 * (4 * parameters + activations);
  // the field named is the knob furthest above the NTM paper's copy settings
  const ratios: [string, number][] = [
    ['model.controller.units', units / 100],
    ['train.batchSize', batch / 32],
    [`task.options (the longest sequence: ${timeSteps} time steps)`, timeSteps / 41],
    ...(m
      ? ([
          ['model.memory.slots', m.slots / 128],
          ['model.memory.width', m.width / 20],
        ] as [string, number][])
      : []),
    ['task.options.bits', (model.inputSize + model.outputSize) / 17],
  ];
  const field = ratios.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { bytes, parameters, timeSteps, field };
}

/** The memory a backend can hold: wasm's 32-bit heap is at most 4 GiB; the others, three quarters of the machine's. */
export function memoryLimit(backend: string): number {
  const machine = 0.75 * totalmem();
  return backend === 'wasm' ? Math.min(2 ** 32, machine) : machine;
}

const gb = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GB`;

/**
 * Refuses, before anything is allocated or written, a configuration whose estimated training
 * memory does not fit the backend: one line naming the field, the estimate and the limit.
 */
export function checkFits(spec: RunSpec, model: ModelConfig, backend: string): MemoryEstimate {
  const e = estimateTrainingMemory(spec, model);
  const limit = memoryLimit(backend);
  if (!(e.bytes <= limit)) {
    throw new EngramError(
      e.field,
      `this configuration needs about ${gb(e.bytes)} to train (${e.parameters.toExponential(2)} weights, batch ${spec.train.batchSize}, ${e.timeSteps} time steps in the longest sequence) but the ${backend} backend can hold ${gb(limit)} on this machine (${gb(totalmem())} of memory)`,
      'make it smaller (or the batch, the memory or the sequences)',
    );
  }
  return e;
}
