import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; credentials never reach them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'rpa-analytics',
      level,
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
    },
    destination,
  );
}
