import type { z } from 'zod';
import { EngramError } from '@engram/tensor';

/**
 * The first zod issue as a one-line EngramError: field path, bad value, what is allowed. For an
 * unknown key the hint is the schema's own message where it sets one (`{ error }`), else generic.
 */
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
      // a schema may carry its own hint for unknown keys; zod's default message names the key only
      /^Unrecognized keys?:/.test(issue.message) ? 'remove it or fix its spelling (experiments/copy.json shows every field)' : issue.message,
    );
  }
  const field = [where, ...path].join('.');
  const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value)?.slice(0, 60)}`;
  const allowed = issue.message.replace(/^Invalid input: /, '');
  return new EngramError(field, shown, allowed);
}
