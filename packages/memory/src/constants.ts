/**
 * The numerical floors of the memory math, each where it acts and why it sits there.
 */

/**
 * Inside the square root of a query's (key's) norm in cosine similarity,
 * |k|_ε = sqrt(|k|^2 + KEY_NORM_EPSILON): a zero key scores 0 against every row, with a finite
 * gradient. Keys are tanh outputs of norm ~1 or more, where it changes nothing measurable.
 */
export const KEY_NORM_EPSILON = 1e-8;

/**
 * The norm below which a memory row has no direction, used in cosine similarity as
 * |m|_δ = sqrt(|m|^2 + ROW_NORM_FLOOR^2). A row that was never written (constant init 1e-6,
 * norm 4.5e-6) then scores ~0 ("nothing stored here"), and the score's gradient with respect
 * to the row, which scales as 1/|m|_δ, stays at most 1/ROW_NORM_FLOOR. With the old floor
 * sqrt(|m|^2 + 1e-8) that gradient was 1e4 on every empty row; hard and Gumbel-hard writes
 * leave all rows but one empty, and the write-then-address loop fed it back step after step:
 * the gradient norm grew from 1.7 (T = 2) to 8e14 (T = 40) at the copy sizes. Rows written
 * with tanh adds (norm ~1 to 4) move by less than 5e-5 relative.
 *
 * It is the default of `memory.rowNormFloor`. At trained weights 1e-2 can still be too small for
 * hard heads: soft-vs-hard-copy's hard seed 1 diverged at step 637, where the gradient with
 * respect to the memory grew ~28x per time step backwards through the unroll (1.7e-4 at the
 * last step to 1.4e38, then Infinity, 33 steps earlier); from the same checkpoint (step 600)
 * with 0.1 it stayed between 1.6e-4 and 1.3e-3 over all 41 steps.
 */
export const ROW_NORM_FLOOR = 1e-2;

/**
 * Inside the logarithm of a weight, log(w + LOG_EPSILON): sharpening (as (w + ε)^gamma),
 * Gumbel-softmax and REINFORCE's log-probabilities. A weight of exactly 0 (shifted one-hot,
 * sparsemax) then has a finite logarithm and gradient.
 */
export const LOG_EPSILON = 1e-8;

/**
 * Lower bound of the sum that top-k renormalises by, max(sum, RENORM_FLOOR): a floor, not an
 * added term, so k = 1 gives exactly 1 (w / w), while k zero weights give 0 instead of 0/0.
 */
export const RENORM_FLOOR = 1e-8;
