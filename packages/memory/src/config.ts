import { EngramError } from '@engram/tensor';

/** What every memory's config shares. */

export const KERNEL_CHOICES = ['auto', 'fused', 'reference'] as const;
/**
 * Which implementation runs a step: `fused` = a handful of registered kernels (plain loops,
 * cpu and wasm backends, cosine similarity); `reference` = the composite tfjs ops of
 * ntm/addressing.ts / readWrite.ts (the DNC's: dnc/access.ts) (any backend, any similarity); `auto` = fused where it exists.
 */
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/** `v` if it is an integer >= 1, else an EngramError naming `field` with `fix` (every memory's config check). */
export function positiveInt(v: unknown, field: string, fix: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new EngramError(field, `${JSON.stringify(v)} is not a positive integer`, fix);
  }
  return v;
}
