/**
 * The one numerical floor of the memory math: it keeps norms, logarithms and powers away from
 * zero so that an all-zero memory or key gives finite values and finite gradients.
 * Used as sqrt(|x|^2 + EPSILON) in cosine similarity and (w + EPSILON)^gamma in sharpening.
 */
export const EPSILON = 1e-8;
