import * as tf from '@tensorflow/tfjs';
import { EngramError, plainVariables, Rng, shapes, tidy, type ShapeScope, type VariableFactory } from '@engram/tensor';
import type { Cell, CellContext, StateKey } from './cell.ts';
import { resolveControllerConfig, type ControllerConfig, type ResolvedControllerConfig } from './config.ts';
import { denseCell } from './feedforward.ts';
import { gruCell } from './gru.ts';
import { lstmCell } from './lstm.ts';

/**
 * The recurrent state of a controller between time steps: an immutable (frozen) record with
 * one `[B, units]` tensor per layer for each of its keys, replaced by every {@link Controller.step}.
 */
export interface ControllerState {
  /** Hidden state per layer, `[B, units[l]]` (LSTM and GRU). */
  readonly h?: readonly tf.Tensor2D[];
  /** Cell state per layer, `[B, units[l]]` (LSTM). */
  readonly c?: readonly tf.Tensor2D[];
}
export interface LstmState extends ControllerState {
  readonly h: readonly tf.Tensor2D[];
  readonly c: readonly tf.Tensor2D[];
}
export interface GruState extends ControllerState {
  readonly h: readonly tf.Tensor2D[];
  readonly c?: undefined;
}
/** The feed-forward controller has no recurrence: its state is empty. */
export interface FeedForwardState extends ControllerState {
  readonly h?: undefined;
  readonly c?: undefined;
}

/**
 * A controller: maps an input x `[B, X]` and its state to an output `[B, C]` and the next state.
 * Shapes: B = batch, X = {@link inputSize}, C = {@link outputSize} (the last layer's units).
 */
export interface Controller<S extends ControllerState = ControllerState> {
  /** Plain JSON; `makeController(JSON.parse(JSON.stringify(config)), X, { seed })` rebuilds this controller. */
  readonly config: ResolvedControllerConfig;
  /** X */
  readonly inputSize: number;
  /** C = units of the last layer. */
  readonly outputSize: number;
  /** Every trainable weight by its path, e.g. `controller/lstm0/kernel`, `controller/lstm0/h0`. */
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  readonly variables: tf.Variable[];
  /**
   * Names and widths of the state tensors in a fixed order, layer by layer (`lstm0/h`,
   * `lstm0/c`, `lstm1/h`, ...), for flattening into tf.layers RNN states; empty for feed-forward.
   */
  readonly stateSizes: readonly { readonly name: string; readonly size: number }[];
  /** The state at the start of a sequence: the learned initial state tiled to `batch` rows. */
  initialState(batch: number): S;
  /**
   * One time step through every layer.
   * @param input `[B, X]`
   * @returns the output `[B, C]` and the next state.
   */
  step(input: tf.Tensor2D, state: S): [tf.Tensor2D, S];
  /** The state's tensors in {@link stateSizes} order, each `[B, size]` (the same tensors, not copies). */
  toList(state: S): tf.Tensor2D[];
  /** The inverse of {@link toList}. */
  fromList(list: readonly tf.Tensor2D[]): S;
  /** Frees the variables. */
  dispose(): void;
}

/** Options of {@link makeController}. */
export interface ControllerOptions {
  /** Seeds the weight initialisation (every random number comes from `new Rng(seed)`). Default 0. */
  readonly seed?: number;
  /** Makes the trainable weights; default plain tf.Variables (the tf.layers adapter passes its own). */
  readonly variables?: VariableFactory;
  /** The first component of every weight path. Default `controller`. */
  readonly prefix?: string;
  /** Fused kernels for the LSTM gate math or the composite reference ops; default auto (fused on cpu and wasm). */
  readonly kernels?: 'auto' | 'fused' | 'reference';
}

const CELLS = {
  lstm: { name: 'lstm', make: lstmCell },
  gru: { name: 'gru', make: gruCell },
  feedforward: { name: 'dense', make: denseCell },
} as const satisfies Record<ResolvedControllerConfig['kind'], { name: string; make: (ctx: CellContext) => Cell<never> | Cell<'h'> | Cell<'h' | 'c'> }>;

/** A stack of cells of one kind; the three controller kinds differ only in their cell. */
class StackedController<S extends ControllerState> implements Controller<S> {
  readonly config: ResolvedControllerConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly namedVariables: Readonly<Record<string, tf.Variable>>;
  readonly stateSizes: readonly { readonly name: string; readonly size: number }[];
  private readonly cells: readonly Cell[];
  /** The state keys every layer carries (the same for all layers of a kind). */
  private readonly keys: readonly StateKey[];

  constructor(config: ResolvedControllerConfig, options: ControllerOptions) {
    this.config = config;
    this.inputSize = config.inputSize;
    this.outputSize = config.units[config.units.length - 1] as number;
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new EngramError('controller.seed', `${seed} is not an integer`, 'use an integer seed');
    const prefix = options.prefix ?? 'controller';
    const named: Record<string, tf.Variable> = {};
    const make = options.variables ?? plainVariables;
    const variables: VariableFactory = (name, init) => (named[name] = make(name, init));
    this.namedVariables = named;
    const rng = new Rng(seed);
    const { name, make: makeCell } = CELLS[config.kind];
    const activation = config.activation ?? 'tanh';
    this.cells = config.units.map(
      (units, l) =>
        makeCell({
          path: `${prefix}/${name}${l}`,
          inputSize: l === 0 ? config.inputSize : (config.units[l - 1] as number),
          units,
          rng,
          variables,
          activation,
          kernels: options.kernels ?? 'auto',
        }) as Cell,
    );
    this.keys = this.cells[0]?.stateKeys ?? [];
    this.stateSizes = Object.freeze(this.cells.flatMap((cell, l) => this.keys.map((k) => Object.freeze({ name: `${name}${l}/${k}`, size: cell.units }))));
  }

  get variables(): tf.Variable[] {
    return Object.values(this.namedVariables);
  }

  private get where(): string {
    return this.config.kind;
  }

  initialState(batch: number): S {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new EngramError(`${this.where}.initialState(batch)`, `${JSON.stringify(batch)} is not a positive integer`, 'use a batch size >= 1');
    }
    return tidy(() => this.record((k, l) => tf.tile((this.cells[l] as Cell).initial[k], [batch, 1]) as tf.Tensor2D));
  }

  step(input: tf.Tensor2D, state: S): [tf.Tensor2D, S] {
    const where = `${this.where}.step`;
    const s = shapes(where);
    s.check('input', input, ['B', this.inputSize]);
    this.checkState(s, where, state);
    return tidy(() => {
      let x = input;
      const next = this.cells.map((cell, l) => {
        const prev = {} as Record<StateKey, tf.Tensor2D>;
        for (const k of this.keys) prev[k] = (state[k] as readonly tf.Tensor2D[])[l] as tf.Tensor2D;
        const out = cell.step(x, prev);
        x = out.output;
        return out.state;
      });
      return [x, this.record((k, l) => (next[l] as Record<StateKey, tf.Tensor2D>)[k])] as [tf.Tensor2D, S];
    });
  }

  toList(state: S): tf.Tensor2D[] {
    const where = `${this.where}.toList`;
    this.checkState(shapes(where), where, state);
    return this.cells.flatMap((_, l) => this.keys.map((k) => (state[k] as readonly tf.Tensor2D[])[l] as tf.Tensor2D));
  }

  fromList(list: readonly tf.Tensor2D[]): S {
    const where = `${this.where}.fromList`;
    if (!Array.isArray(list) || list.length !== this.stateSizes.length) {
      throw new EngramError(
        `${where}(list)`,
        `expected ${this.stateSizes.length} tensors (${this.stateSizes.map((s) => s.name).join(', ') || 'none'}) but got ${Array.isArray(list) ? list.length : typeof list}`,
        'pass what toList returned',
      );
    }
    const s = shapes(where);
    list.forEach((t, i) => {
      const { name, size } = this.stateSizes[i] as { name: string; size: number };
      s.check(name, t, ['B', size]);
    });
    return this.record((_, _layer, i) => list[i] as tf.Tensor2D);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  /** Builds a frozen state record; `i` is the tensor's index in stateSizes order. */
  private record(get: (k: StateKey, layer: number, i: number) => tf.Tensor2D): S {
    const out: Partial<Record<StateKey, readonly tf.Tensor2D[]>> = {};
    this.keys.forEach((k, j) => {
      out[k] = Object.freeze(this.cells.map((_, l) => get(k, l, l * this.keys.length + j)));
    });
    return Object.freeze(out) as S;
  }

  /** Checks the state has one `[B, units[l]]` tensor per layer for every key. */
  private checkState(s: ShapeScope, where: string, state: S): void {
    if (typeof state !== 'object' || state === null) {
      throw new EngramError(`${where}(state)`, `${String(state)} is not a state record`, 'pass initialState(batch) or the state the previous step returned');
    }
    for (const k of this.keys) {
      const list = state[k];
      if (!Array.isArray(list) || list.length !== this.cells.length) {
        throw new EngramError(
          `${where}(state.${k})`,
          `expected ${this.cells.length} tensors (one per layer) but got ${Array.isArray(list) ? list.length : typeof list}`,
          'pass initialState(batch) or the state the previous step returned',
        );
      }
      this.cells.forEach((cell, l) => s.check(`state.${k}[${l}]`, list[l] as tf.Tensor2D, ['B', cell.units]));
    }
  }
}

/**
 * Makes a controller. `config` may be a {@link ControllerConfig} or a resolved config (e.g.
 * another controller's `config` after a JSON round trip).
 * @param inputSize X, the width of the inputs `[B, X]` it will be stepped with.
 * @throws EngramError naming the bad field (`controller.units`, `controller.kind`, ...).
 */
export function makeController(config: ControllerConfig & { kind: 'lstm' }, inputSize: number, options?: ControllerOptions): Controller<LstmState>;
export function makeController(config: ControllerConfig & { kind: 'gru' }, inputSize: number, options?: ControllerOptions): Controller<GruState>;
export function makeController(
  config: ControllerConfig & { kind: 'feedforward' },
  inputSize: number,
  options?: ControllerOptions,
): Controller<FeedForwardState>;
export function makeController(config: ControllerConfig, inputSize: number, options?: ControllerOptions): Controller;
export function makeController(config: ResolvedControllerConfig, inputSize: number, options?: ControllerOptions): Controller;
export function makeController(config: ControllerConfig | ResolvedControllerConfig, inputSize: number, options: ControllerOptions = {}): Controller {
  return new StackedController(resolveControllerConfig(config, inputSize), options);
}
