import { parseArgs } from 'node:util';

/** A command line that cannot be run as given; the message says why and how. */
export class UsageError extends Error {}

/** A command that could not do its job (a file it cannot read, a collector that refused); the message is the one line said. */
export class CommandError extends Error {}

/** Parses `--name value` options; unknown options are an error with the command's usage. */
export function parseOptions<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(
  argv: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/** A number option, with the option's name in the error. */
export function numberOption(value: string | boolean | undefined, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  }
  return parsed;
}
