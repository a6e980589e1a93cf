import { EngramError } from '@engram/tensor';
import { ACTIVATIONS, type Activation } from './activation.ts';

export const CONTROLLER_KINDS = ['lstm', 'gru', 'feedforward'] as const;
export type ControllerKind = (typeof CONTROLLER_KINDS)[number];

/**
 * A plain, JSON-serialisable description of a controller.
 * - `units`: the width of every layer (a number, repeated `layers` times), or one width per layer.
 * - `layers`: how many stacked layers when `units` is a number. Default 1.
 * - `activation` (feed-forward only): applied after every dense layer. Default `tanh`.
 */
export type ControllerConfig =
  | { readonly kind: 'lstm'; readonly units: number | readonly number[]; readonly layers?: number }
  | { readonly kind: 'gru'; readonly units: number | readonly number[]; readonly layers?: number }
  | { readonly kind: 'feedforward'; readonly units: number | readonly number[]; readonly layers?: number; readonly activation?: Activation };

/**
 * The config with every default filled in: one width per layer and the input width X.
 * It is plain JSON: `makeController(JSON.parse(JSON.stringify(resolved)), X, { seed })` rebuilds
 * the same controller (the seed is not part of the config; keep it alongside).
 */
export interface ResolvedControllerConfig {
  readonly kind: ControllerKind;
  /** The width of each layer, first to last; the last is the output width C. */
  readonly units: readonly number[];
  /** Feed-forward only. */
  readonly activation?: Activation;
  /** X, the width of the input. */
  readonly inputSize: number;
}

const KEYS = ['kind', 'units', 'layers', 'activation', 'inputSize'];

function positiveInt(v: unknown, field: string, fix: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new EngramError(field, `${JSON.stringify(v)} is not a positive integer`, fix);
  }
  return v;
}

/**
 * Validates a controller config (or an already resolved one) and fills in defaults; every
 * error is an {@link EngramError} naming the field (`controller.units`, `controller.kind`, ...)
 * and the fix.
 * @param inputSize X, the width of the input the controller will be stepped with.
 */
export function resolveControllerConfig(config: ControllerConfig, inputSize: number): ResolvedControllerConfig;
export function resolveControllerConfig(config: ResolvedControllerConfig, inputSize: number): ResolvedControllerConfig;
export function resolveControllerConfig(config: ControllerConfig | ResolvedControllerConfig, inputSize: number): ResolvedControllerConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new EngramError('controller', `${JSON.stringify(config)} is not a config object`, "pass e.g. { kind: 'lstm', units: 100 }");
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) {
      throw new EngramError(`controller.${key}`, 'is not a controller option', `use only ${KEYS.join(', ')}`);
    }
  }
  const kind = c.kind;
  if (typeof kind !== 'string' || !(CONTROLLER_KINDS as readonly string[]).includes(kind)) {
    throw new EngramError('controller.kind', `unknown controller kind ${JSON.stringify(kind)}`, `use one of ${CONTROLLER_KINDS.join(', ')}`);
  }
  const x = positiveInt(inputSize, 'controller.inputSize', 'pass the input width X >= 1');
  if (c.inputSize !== undefined && c.inputSize !== x) {
    throw new EngramError(
      'controller.inputSize',
      `the config was made for inputs of width ${JSON.stringify(c.inputSize)} but X = ${x}`,
      'pass the same input size, or drop inputSize from the config',
    );
  }
  const layers = c.layers === undefined ? undefined : positiveInt(c.layers, 'controller.layers', 'use at least 1 layer');
  let units: number[];
  if (Array.isArray(c.units)) {
    if (c.units.length === 0) throw new EngramError('controller.units', 'is an empty list', 'give at least one layer width, e.g. [100]');
    units = c.units.map((u: unknown, i) => positiveInt(u, `controller.units[${i}]`, 'use a layer width >= 1, e.g. 100'));
    if (layers !== undefined && layers !== units.length) {
      throw new EngramError('controller.layers', `${layers} layers but ${units.length} widths in units`, 'drop layers, or give one width per layer');
    }
  } else {
    const u = positiveInt(c.units, 'controller.units', 'use a layer width >= 1, e.g. 100');
    units = Array.from({ length: layers ?? 1 }, () => u);
  }
  const k = kind as ControllerKind;
  if (k !== 'feedforward') {
    if (c.activation !== undefined) {
      throw new EngramError('controller.activation', `${k} cells have fixed activations (sigmoid gates, tanh)`, "drop activation, or use kind 'feedforward'");
    }
    return Object.freeze({ kind: k, units: Object.freeze(units), inputSize: x });
  }
  const activation = c.activation ?? 'tanh';
  if (typeof activation !== 'string' || !(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new EngramError('controller.activation', `unknown activation ${JSON.stringify(activation)}`, `use one of ${ACTIVATIONS.join(', ')}`);
  }
  return Object.freeze({ kind: k, units: Object.freeze(units), activation: activation as Activation, inputSize: x });
}
