import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** The serialisable state of a {@link Rng}, stored in checkpoints so a resumed run continues the same stream. */
export type RngState = seedrandom.State.Arc4;

/**
 * A seeded random generator. Every random tensor in engram is drawn through one of these, in
 * JavaScript, and then uploaded, so the numbers depend only on the seed (not on the backend).
 */
export class Rng {
  private readonly prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  constructor(seed: number | string | { state: RngState }) {
    if (typeof seed === 'object') {
      this.prng = seedrandom('', { state: seed.state });
    } else {
      this.prng = seedrandom(String(seed), { state: true });
    }
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng.double();
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A standard Gumbel draw: -log(-log(u)), u in (0,1). */
  gumbel(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return -Math.log(-Math.log(u));
  }

  /** A child generator whose stream depends only on this one's next draw (for independent sub-streams). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }

  /** A snapshot that {@link Rng} can be rebuilt from. */
  state(): RngState {
    return this.prng.state();
  }

  /** Fills a Float32Array of `size` values with `draw()`. */
  fill(size: number, draw: () => number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = draw();
    return out;
  }

  /** A tensor of normal draws with mean and standard deviation. */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(
      this.fill(n, () => mean + std * this.normal()),
      shape,
    );
  }

  /** A tensor of uniform draws in [lo, hi). */
  uniformTensor(shape: number[], lo = 0, hi = 1): tf.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(
      this.fill(n, () => lo + (hi - lo) * this.next()),
      shape,
    );
  }

  /** A tensor of standard Gumbel draws. */
  gumbelTensor(shape: number[]): tf.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(
      this.fill(n, () => this.gumbel()),
      shape,
    );
  }

  /** Glorot-uniform initialised weights for a [fanIn, fanOut] matrix. */
  glorotTensor(shape: [number, number]): tf.Tensor {
    const limit = Math.sqrt(6 / (shape[0] + shape[1]));
    return this.uniformTensor(shape, -limit, limit);
  }
}
