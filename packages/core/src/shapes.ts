import type * as tf from '@tensorflow/tfjs';
import { EngramError } from './errors.ts';

/**
 * One expected dimension: a number (must match exactly) or a name (e.g. `'B'`). Names bind on
 * first use within one {@link ShapeScope}, so `['B','N','M']` and `['B','H','M']` checked in the
 * same scope must agree on B and M.
 */
export type Dim = number | string;

/** Binds named dimensions across several shape assertions at one public API boundary. */
export class ShapeScope {
  private readonly bound = new Map<string, number>();

  constructor(private readonly where: string) {}

  /**
   * Asserts `tensor` has rank `dims.length` and matching dimensions; returns the tensor.
   * @throws EngramError naming `where(arg)`, the expected and the actual shape.
   */
  check<T extends tf.Tensor>(arg: string, tensor: T, dims: readonly Dim[]): T {
    const shape = tensor.shape;
    const want = () => `[${dims.join(',')}]`;
    const field = `${this.where}(${arg})`;
    if (shape.length !== dims.length) {
      throw new EngramError(field, `expected shape ${want()} but got [${shape.join(',')}]`, `pass a rank-${dims.length} tensor`);
    }
    dims.forEach((d, i) => {
      const actual = shape[i] as number;
      if (typeof d === 'number') {
        if (actual !== d) {
          throw new EngramError(
            field,
            `dimension ${i} should be ${d} but is ${actual} (shape [${shape.join(',')}], expected ${want()})`,
            'fix the tensor shape',
          );
        }
        return;
      }
      const prior = this.bound.get(d);
      if (prior === undefined) this.bound.set(d, actual);
      else if (prior !== actual) {
        throw new EngramError(
          field,
          `dimension ${d} is ${actual} here but ${prior} in an earlier argument (shape [${shape.join(',')}], expected ${want()})`,
          `make every argument agree on ${d}`,
        );
      }
    });
    return tensor;
  }

  /** The size a named dimension was bound to, or throws if it never was. */
  size(name: string): number {
    const v = this.bound.get(name);
    if (v === undefined) throw new EngramError(this.where, `dimension ${name} was never bound`, 'check it before reading it');
    return v;
  }
}

/** Shorthand: a fresh scope for one API call. */
export function shapes(where: string): ShapeScope {
  return new ShapeScope(where);
}
