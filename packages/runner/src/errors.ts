import type { z } from 'zod';
import { EngramError } from '@engram/tensor';
import { VARIANT_BLOCKS } from './schema.ts';

/** The first zod issue as a one-line EngramError: field path, bad value, what is allowed. */
export function schemaError(where: string, error: z.ZodError, input: unknown): EngramError {
  const issue = error.issues[0];
  if (!issue) return new EngramError(where, 'invalid', 'check the file');
  const path = issue.path.map(String);
  let value: unknown = input;
  for (const p of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[p] : undefined;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    return new EngramError(
      [where, ...path, key].join('.'),
      `unknown field '${key}'`,
      path.at(-1) === 'extends'
        ? `an "extends" object maps blocks to variants: use ${VARIANT_BLOCKS.slice(0, -1).join(', ')} or ${VARIANT_BLOCKS.at(-1)}`
        : 'remove it or fix its spelling (experiments/copy.json shows every field)',
    );
  }
  const field = [where, ...path].join('.');
  const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value)?.slice(0, 60)}`;
  const allowed = issue.message.replace(/^Invalid input: /, '');
  return new EngramError(field, shown, allowed);
}
