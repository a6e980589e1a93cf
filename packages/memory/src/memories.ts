import { EngramError, plainVariables, type VariableFactory } from '@engram/tensor';
import { MemoryAccess, type MemoryAccessConfig } from './ntm/access.ts';
import { DncAccess, dncStateTensors, type DncAccessConfig } from './dnc/access.ts';
import { SamAccess, samStateTensors, type SamAccessConfig } from './sam/access.ts';
import { commonStateTensors, MEMORY_KINDS, type MemoryKind, type MemoryModule, type StateTensorSpec } from './module.ts';

/** Any memory's config: the NTM's (`kind` absent or 'ntm'), the DNC's (`kind: 'dnc'`) or SAM's (`kind: 'sam'`). */
export type MemoryConfig = MemoryAccessConfig | DncAccessConfig | SamAccessConfig;

/** A union's members without some keys each (Omit over each member, so `kind` keeps narrowing). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function kindOf(config: { kind?: unknown }): MemoryKind {
  const kind = config.kind ?? 'ntm';
  if (!(MEMORY_KINDS as readonly unknown[]).includes(kind)) {
    throw new EngramError('memory.kind', `unknown memory kind '${String(kind)}'`, `use one of ${MEMORY_KINDS.join(', ')} (default ntm)`);
  }
  return kind as MemoryKind;
}

/**
 * Builds the memory a config names: `kind` 'ntm' (default), 'dnc' or 'sam'. A third memory is a new
 * folder implementing {@link MemoryModule}, a case here and one in {@link memoryStateTensors}.
 */
export function makeMemory(config: MemoryConfig, variables: VariableFactory = plainVariables): MemoryModule {
  switch (kindOf(config)) {
    case 'ntm':
      return new MemoryAccess(config as MemoryAccessConfig, variables);
    case 'dnc':
      return new DncAccess(config as DncAccessConfig, variables);
    case 'sam':
      return new SamAccess(config as SamAccessConfig, variables);
  }
}

/** A memory's state tensors from its config alone, without building it (the tf.layers cell sizes its states with this). */
export function memoryStateTensors(config: DistributiveOmit<MemoryConfig, 'controllerSize' | 'seed'>): StateTensorSpec[] {
  switch (kindOf(config)) {
    case 'ntm':
      return commonStateTensors(config.slots, config.width, config.readHeads ?? 1, config.writeHeads ?? 1);
    case 'dnc':
      return dncStateTensors(config);
    case 'sam':
      return samStateTensors(config);
  }
}
