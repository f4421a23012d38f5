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
): { [K in keyof T | 'help']?: K extends keyof T ? (T[K]['type'] extends 'boolean' ? boolean : string) : boolean } {
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

/**
 * Fails at once, in one line, when nothing answers at `url` as a collector: a command about to
 * send data says so before it starts, instead of retrying into the void.
 * @throws CommandError naming the URL and what went wrong.
 */
export async function assertCollectorAnswers(url: string): Promise<void> {
  let status: number;
  try {
    status = (await fetch(new URL('/api/v1/health', url), { signal: AbortSignal.timeout(10_000) })).status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CommandError(
      `no collector answers at ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}): start one with npm start, or pass its --url`,
    );
  }
  if (status !== 200 && status !== 503) throw new CommandError(`${url} does not answer as a collector (GET /api/v1/health: ${status})`);
}

/**
 * The token a command sends: its `--token`, else the first of the collector's own setting for the
 * scope (`RPA_INGEST_TOKEN` or `RPA_READ_TOKEN`, a comma-separated list), trimmed as the collector
 * reads it. The one place the commands read a token from the environment.
 */
export function commandToken(option: string | boolean | undefined, scope: 'ingest' | 'read', env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (typeof option === 'string' && option !== '') return option;
  return env[scope === 'ingest' ? 'RPA_INGEST_TOKEN' : 'RPA_READ_TOKEN']
    ?.split(',')
    .map((token) => token.trim())
    .find(Boolean);
}
