import pino from 'pino';

export type Logger = pino.Logger;

/** How log lines are written: JSON (one object a line, for log shippers) or for people at a terminal. */
export type LogFormat = 'json' | 'pretty';

/**
 * Structured logs; credentials never reach them. `pretty` writes each line as people read it
 * (`pretty`), to `destination` or standard output.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  return pino(
    {
      name: 'rpa-analytics',
      level,
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
    },
    format === 'pretty' ? prettyDestination(destination ?? process.stdout) : destination,
  );
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** A field's value in a pretty line: strings as they are (quoted when they hold a blank), the rest as JSON. */
function shown(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/**
 * pino's JSON lines as people read them at a terminal: the time (UTC), the level, the message,
 * then the fields as `key=value`; an error's stack on the lines after.
 * `12:04:05.123 INFO  analysis pass done  runs=120 durationMs=35`
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { time, level, msg, name: _name, pid: _pid, hostname: _hostname, err, ...fields } = entry;
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${shown(value)}`);
  const error = err as { message?: string; stack?: string } | undefined;
  const stack = error?.stack ? `\n    ${error.stack.split('\n').join('\n    ')}` : error?.message ? `  error=${shown(error.message)}` : '';
  return `${when} ${LEVELS[level as number] ?? String(level)} ${msg ?? ''}${pairs.length ? `  ${pairs.join(' ')}` : ''}${stack}\n`;
}

function prettyDestination(out: pino.DestinationStream | NodeJS.WritableStream): pino.DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line)) };
}
