import { EngramError, plainVariables, type VariableFactory } from '@engram/tensor';
import { ControllerOnlyModel } from './baseline.ts';
import { MemoryCell } from './memoryCell.ts';
import type { ModelConfig, SequenceModel } from './model.ts';

function positiveInt(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new EngramError(field, `${JSON.stringify(v)} is not a positive integer`, `set ${field} to an integer >= 1`);
  }
}

/**
 * Builds a ready model from one plain config object: the one-call path.
 * ```ts
 * const model = buildModel({ kind: 'ntm', inputSize: 9, outputSize: 8,
 *   controller: { kind: 'lstm', units: 100 }, memory: { slots: 128, width: 20 } });
 * ```
 * Every invalid field is an EngramError naming it (`model.memory.slots`, `model.controller.units`...).
 */
export function buildModel(config: ModelConfig, variables: VariableFactory = plainVariables): SequenceModel {
  if (config === null || typeof config !== 'object') throw new EngramError('model', 'config is not an object', 'pass a ModelConfig object');
  positiveInt(config.inputSize, 'model.inputSize');
  positiveInt(config.outputSize, 'model.outputSize');
  if (config.seed !== undefined && !Number.isInteger(config.seed)) {
    throw new EngramError('model.seed', `${config.seed} is not an integer`, 'use an integer seed');
  }
  if (!config.controller || typeof config.controller !== 'object') {
    throw new EngramError('model.controller', 'missing', "add e.g. { kind: 'lstm', units: 100 }");
  }
  switch (config.kind) {
    case 'ntm':
      if (!config.memory) throw new EngramError('model.memory', 'missing for an ntm model', 'add e.g. { slots: 128, width: 20 }');
      return prefixed(() => new MemoryCell(config, variables));
    case 'lstm':
      if (config.memory) throw new EngramError('model.memory', "given for the memory-less 'lstm' baseline", "remove it or use kind 'ntm'");
      return prefixed(() => new ControllerOnlyModel(config, variables));
    default:
      throw new EngramError('model.kind', `unknown model kind '${String((config as { kind: unknown }).kind)}'`, 'use ntm or lstm');
  }
}

/** Re-labels component errors (`memory.slots`, `controller.units`) as model fields. */
function prefixed<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof EngramError && !e.field.startsWith('model.') && /^(memory|controller)\./.test(e.field)) {
      throw e.withField(`model.${e.field}`);
    }
    throw e;
  }
}
