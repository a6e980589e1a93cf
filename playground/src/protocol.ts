/** Messages between the page (main.ts) and the training worker (worker.ts). Plain JSON both ways. */

export type TaskChoice = 'copy' | 'associative-recall';

/** Page -> worker. */
export type Request =
  /** First message: which tfjs backend the worker runs (the page's ?backend=, default wasm). */
  | { readonly type: 'init'; readonly backend: 'wasm' | 'cpu' | 'webgl' }
  | { readonly type: 'train'; readonly task: TaskChoice }
  | { readonly type: 'stop' }
  | { readonly type: 'load'; readonly url: string }
  /** Copy `length` random vectors, or the given pattern ([L][bits] of 0/1), with the loaded model. */
  | { readonly type: 'copy'; readonly length?: number; readonly pattern?: number[][] };

/** One example run through a model: every series time first. */
export interface Traced {
  /** [T][X] */
  readonly inputs: number[][];
  /** [T][Y] */
  readonly targets: number[][];
  /** [T][Y], probabilities */
  readonly outputs: number[][];
  /** [T] 1 where the output is scored */
  readonly mask: number[];
  /** [T][N], write head 0 and read head 0 */
  readonly write: number[][];
  readonly read: number[][];
  /** Scored bits whose thresholded output differs from the target. */
  readonly errors: number;
}

/** Worker -> page. */
export type Reply =
  /**
   * `fused`: the NTM's fused memory kernels serve this backend (else the composite ops run);
   * `simd`: they run their WebAssembly SIMD twins (else their JavaScript loops).
   */
  | { readonly type: 'ready'; readonly backend: string; readonly fused: boolean; readonly simd: boolean }
  | {
      readonly type: 'progress';
      readonly task: TaskChoice;
      readonly step: number;
      readonly sequences: number;
      readonly loss: number;
      readonly cost: number;
      readonly stepsPerSecond: number;
    }
  | { readonly type: 'trace'; readonly task: TaskChoice; readonly step: number; readonly example: Traced }
  | { readonly type: 'stopped'; readonly step: number }
  | { readonly type: 'loaded'; readonly description: string }
  | { readonly type: 'copied'; readonly length: number; readonly example: Traced }
  | { readonly type: 'error'; readonly message: string };
