import { EngramError } from '@engram/tensor';

/** How a curriculum grows: from `start`, by `step`, whenever the training cost falls below `threshold`. */
export interface CurriculumConfig {
  /** The first maximum length. */
  readonly start: number;
  /** How much the maximum grows at a time. Default 1. */
  readonly step?: number;
  /** Grow once the mean training cost (bits per sequence) since the last evaluation is below this. Default 1. */
  readonly threshold?: number;
}

/**
 * A length curriculum: training starts on short sequences (maximum length `start`) and the
 * maximum grows by `step` each time the training cost falls below `threshold`, up to the task's
 * own maximum. Evaluation always uses the full task. Immutable: `observe` returns the next one.
 */
export class Curriculum {
  readonly step: number;
  readonly threshold: number;

  constructor(
    readonly config: CurriculumConfig,
    readonly limit: number,
    readonly maxLength = Math.min(config.start, limit),
  ) {
    this.step = config.step ?? 1;
    this.threshold = config.threshold ?? 1;
    if (!Number.isInteger(config.start) || config.start < 1) {
      throw new EngramError('curriculum.start', `${config.start} is not a positive integer`, 'start at a length >= 1');
    }
    if (config.start > limit) {
      throw new EngramError('curriculum.start', `${config.start} is above the task's maximum length ${limit}`, `use a start <= ${limit}`);
    }
  }

  /** True once the maximum has reached the task's. */
  get done(): boolean {
    return this.maxLength >= this.limit;
  }

  /** The curriculum after a window of training whose mean cost was `trainCost`. */
  observe(trainCost: number): Curriculum {
    if (this.done || !(trainCost < this.threshold)) return this;
    return new Curriculum(this.config, this.limit, Math.min(this.limit, this.maxLength + this.step));
  }

  /** The same curriculum at a stored maximum (resume). */
  at(maxLength: number): Curriculum {
    return new Curriculum(this.config, this.limit, Math.max(1, Math.min(this.limit, maxLength)));
  }
}
