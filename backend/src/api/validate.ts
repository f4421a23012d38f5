import type { z } from 'zod';
import { AppError } from '../domain/errors';

/** `executions[3].workflow` from zod's `['executions', 3, 'workflow']`. */
export function fieldPath(path: readonly PropertyKey[], root = ''): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, root);
}

/**
 * Parses `input` with `schema`.
 * @throws AppError `validation_failed` naming every offending field.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string, root = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues
    .slice(0, 100)
    .flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: fieldPath([...issue.path, key], root), message: 'unknown field' }))
        : [{ field: fieldPath(issue.path, root) || root || '(body)', message: issue.message }],
    );
  const named = details
    .slice(0, 5)
    .map((d) => `${d.field}: ${d.message}`)
    .join('; ');
  const more = details.length > 5 ? ` (and ${details.length - 5} more)` : '';
  throw new AppError('validation_failed', `invalid ${what}: ${named}${more}`, details);
}
