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
  const details = result.error.issues.slice(0, 100).map((issue) => ({
    field: fieldPath(issue.path, root) || root || '(body)',
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  const named = details.slice(0, 5).map((d) => `${d.field}: ${d.message}`).join('; ');
  const more = result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : '';
  throw new AppError('validation_failed', `invalid ${what}: ${named}${more}`, details);
}
