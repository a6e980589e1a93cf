/**
 * The one error class of engram. Every message says what was wrong (naming the field or
 * argument) and what to do about it, in one line, so a command-line user can act on it.
 */
export class EngramError extends Error {
  /** The field, argument or flag that was wrong, e.g. `memory` or `--backend`. */
  readonly field: string;
  /** What was wrong with it. */
  readonly problem: string;
  /** What to do to fix it. */
  readonly fix: string;

  constructor(field: string, problem: string, fix: string) {
    super(`${field}: ${problem}; ${fix}`);
    this.name = 'EngramError';
    this.field = field;
    this.problem = problem;
    this.fix = fix;
  }

  /** The same error reported under another field name (e.g. `memory.slots` -> `model.memory.slots`). */
  withField(field: string): EngramError {
    return new EngramError(field, this.problem, this.fix);
  }
}

/** Throws an {@link EngramError} unless `condition` holds. */
export function check(condition: boolean, field: string, problem: string, fix: string): asserts condition {
  if (!condition) throw new EngramError(field, problem, fix);
}
