import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_HISTORY_DAYS } from '@rpa-analytics/contract';
import { canonicalTimeZone, isTimeZone } from './analysis/localClock';

/** The collector's settings, read once from the environment. */
export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Config {
  host: string;
  /** Accepted API tokens and their scopes; empty means no authentication (loopback only). */
  tokens: ReadonlyArray<{ token: string; scope: Scope }>;
  port: number;
  dataDir: string;
  /** Set: the store is this PostgreSQL database, shared with other collectors (else SQLite under dataDir). */
  postgresUrl?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines, or lines for people (`RPA_LOG_FORMAT`; by default pretty when standard output is a terminal). */
  logFormat: 'json' | 'pretty';
  sampler: { enabled: boolean; intervalMs: number };
  analysis: {
    enabled: boolean;
    intervalMs: number;
    latenessMs: number;
    sensitivity: number;
    historyDays: number;
    /** The fleet's time zone (`RPA_TIME_ZONE`): the hours of the day and the weekends baselines keep apart. */
    timeZone: string;
  };
  limits: {
    /** Largest ingest body. */
    maxBodyBytes: number;
    /** Largest body of every other route (queries, implementations): kilobytes are plenty. */
    maxQueryBodyBytes: number;
    maxBatchRecords: number;
    maxPageSize: number;
    maxPendingIngest: number;
    /** An ingest body must arrive within this long of its request, or the request is cut off (408). */
    ingestBodyTimeoutMs: number;
  };
  /** Worker threads that answer panel queries (0: in the main thread). */
  queryWorkers: number;
  retention: { rawDays: number; rollupDays: number; archiveDir: string; changeFeedHours: number };
  /** How long a write waits for another writer's lock before giving up with 503. */
  busyTimeoutMs: number;
  /** Series budgets of `/metrics`: workflows, and workflow and step pairs, with labels of their own. */
  metrics: { maxWorkflows: number; maxSteps: number };
  /** A TrueType font for report PDFs (for workflow names beyond Latin, Greek and Cyrillic). */
  reportFont?: string;
  /** The secret of the UiPath Orchestrator webhook that sends to `/api/v1/integrations/uipath` (unset: that route is off). */
  uipathWebhookSecret?: string;
  /** Fleet reports written once each day or week is over, to `dir`; kept `keepDays` (0: for ever). */
  reports: { schedule: 'off' | 'daily' | 'weekly'; dir: string; keepDays: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `expected an integer from ${min} to ${max}`).max(max, `expected an integer from ${min} to ${max}`));

const onOff = z.enum(['on', 'off', 'true', 'false', '1', '0'], { message: "expected 'on' or 'off'" }).transform((v) => ['on', 'true', '1'].includes(v));

const ENV = z.object({
  RPA_HOST: z.string().min(1, 'expected a host name or address').default('127.0.0.1'),
  RPA_PORT: integer(0, 65535).default(5001),
  RPA_DATA_DIR: z.string().min(1, 'expected a directory').default('./data'),
  RPA_STORE: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a PostgreSQL URL (postgres://user:password@host:5432/database); leave unset for SQLite under RPA_DATA_DIR')
    .optional(),
  RPA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RPA_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  RPA_SAMPLER: onOff.default(true),
  RPA_SAMPLE_INTERVAL_MS: integer(100, 3_600_000).default(1000),
  RPA_ANALYSIS: onOff.default(true),
  RPA_ANALYSIS_INTERVAL_MS: integer(1000, 86_400_000).default(60_000),
  RPA_ANALYSIS_LATENESS_MS: integer(0, 86_400_000).default(60_000),
  RPA_SENSITIVITY: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected a number from 1 to 20')
    .transform(Number)
    .pipe(z.number().min(1, 'expected a number from 1 to 20').max(20, 'expected a number from 1 to 20'))
    .default(4),
  RPA_ANALYSIS_HISTORY_DAYS: integer(1, 3650).default(DEFAULT_HISTORY_DAYS),
  RPA_TIME_ZONE: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin or America/New_York, or UTC')
    .transform(canonicalTimeZone)
    .default('UTC'),
  RPA_INGEST_TOKEN: z.string().optional(),
  RPA_READ_TOKEN: z.string().optional(),
  RPA_ADMIN_TOKEN: z.string().optional(),
  RPA_TOKEN_FILE: z.string().optional(),
  RPA_QUERY_WORKERS: integer(0, 16).default(1),
  RPA_MAX_PENDING_INGEST: integer(1, 10_000).default(64),
  RPA_DB_BUSY_TIMEOUT_MS: integer(0, 600_000).default(5000),
  RPA_RAW_RETENTION_DAYS: integer(0, 36_500).default(0),
  RPA_ROLLUP_RETENTION_DAYS: integer(0, 36_500).default(0),
  RPA_ARCHIVE_DIR: z.string().min(1).optional(),
  RPA_CHANGE_FEED_HOURS: integer(1, 24 * 366).default(24),
  RPA_REPORT_SCHEDULE: z.enum(['off', 'daily', 'weekly']).default('off'),
  RPA_REPORT_DIR: z.string().min(1).optional(),
  RPA_REPORT_KEEP_DAYS: integer(0, 36_500).default(0),
  RPA_REPORT_FONT: z
    .string()
    .min(1)
    .refine((file) => fs.existsSync(file) && fs.statSync(file).isFile(), 'no such font file')
    .optional(),
  RPA_UIPATH_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').max(1024).optional(),
  RPA_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  RPA_METRICS_MAX_WORKFLOWS: integer(1, 100_000).default(500),
  RPA_METRICS_MAX_STEPS: integer(1, 1_000_000).default(2000),
  RPA_MAX_QUERY_BODY_BYTES: integer(1024, 64 * 1024 * 1024).default(256 * 1024),
  RPA_MAX_BATCH_RECORDS: integer(1, 1_000_000).default(50_000),
  RPA_INGEST_BODY_TIMEOUT_MS: integer(100, 600_000).default(10_000),
});

/**
 * Reads and validates the configuration.
 * @throws ConfigError naming every variable that is wrong, e.g. `RPA_PORT: expected an integer from 0 to 65535 (got 'abc')`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('RPA_') && value !== ''));
  const parsed = ENV.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      // A database URL may carry a password: not repeated in an error that ends up in logs.
      // Values that hold a credential are not repeated.
      return SECRET_VARIABLES.has(name) ? `${name}: ${issue.message}` : `${name}: ${issue.message} (got '${present[name]}')`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const tokens = [
    ...tokenList(e.RPA_INGEST_TOKEN, 'ingest', 'RPA_INGEST_TOKEN'),
    ...tokenList(e.RPA_READ_TOKEN, 'read', 'RPA_READ_TOKEN'),
    ...tokenList(e.RPA_ADMIN_TOKEN, 'admin', 'RPA_ADMIN_TOKEN'),
    ...(e.RPA_TOKEN_FILE ? readTokenFile(e.RPA_TOKEN_FILE) : []),
  ];
  if (tokens.length === 0 && !isLoopback(e.RPA_HOST)) {
    throw new ConfigError(
      `invalid configuration:\n  RPA_HOST: ${e.RPA_HOST} is not a loopback address and no API tokens are configured; ` +
        'set RPA_INGEST_TOKEN, RPA_READ_TOKEN and RPA_ADMIN_TOKEN (or RPA_TOKEN_FILE), or listen on 127.0.0.1',
    );
  }
  return Object.freeze({
    host: e.RPA_HOST,
    tokens: Object.freeze(tokens),
    port: e.RPA_PORT,
    dataDir: path.resolve(e.RPA_DATA_DIR),
    ...(e.RPA_STORE ? { postgresUrl: e.RPA_STORE } : {}),
    logLevel: e.RPA_LOG_LEVEL,
    logFormat: e.RPA_LOG_FORMAT === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : e.RPA_LOG_FORMAT,
    sampler: Object.freeze({ enabled: e.RPA_SAMPLER, intervalMs: e.RPA_SAMPLE_INTERVAL_MS }),
    analysis: Object.freeze({
      enabled: e.RPA_ANALYSIS,
      intervalMs: e.RPA_ANALYSIS_INTERVAL_MS,
      latenessMs: e.RPA_ANALYSIS_LATENESS_MS,
      sensitivity: e.RPA_SENSITIVITY,
      historyDays: e.RPA_ANALYSIS_HISTORY_DAYS,
      timeZone: e.RPA_TIME_ZONE,
    }),
    queryWorkers: e.RPA_QUERY_WORKERS,
    metrics: Object.freeze({ maxWorkflows: e.RPA_METRICS_MAX_WORKFLOWS, maxSteps: e.RPA_METRICS_MAX_STEPS }),
    busyTimeoutMs: e.RPA_DB_BUSY_TIMEOUT_MS,
    ...(e.RPA_REPORT_FONT ? { reportFont: path.resolve(e.RPA_REPORT_FONT) } : {}),
    ...(e.RPA_UIPATH_WEBHOOK_SECRET ? { uipathWebhookSecret: e.RPA_UIPATH_WEBHOOK_SECRET } : {}),
    // Beside the archive by default: what is kept of the fleet's past, in one place.
    reports: Object.freeze({
      schedule: e.RPA_REPORT_SCHEDULE,
      dir: path.resolve(e.RPA_REPORT_DIR ?? path.join(e.RPA_ARCHIVE_DIR ?? path.join(e.RPA_DATA_DIR, 'archive'), 'reports')),
      keepDays: e.RPA_REPORT_KEEP_DAYS,
    }),
    retention: Object.freeze({
      rawDays: e.RPA_RAW_RETENTION_DAYS,
      rollupDays: e.RPA_ROLLUP_RETENTION_DAYS,
      archiveDir: path.resolve(e.RPA_ARCHIVE_DIR ?? path.join(e.RPA_DATA_DIR, 'archive')),
      changeFeedHours: e.RPA_CHANGE_FEED_HOURS,
    }),
    limits: Object.freeze({
      maxBodyBytes: e.RPA_MAX_BODY_BYTES,
      maxQueryBodyBytes: e.RPA_MAX_QUERY_BODY_BYTES,
      maxBatchRecords: e.RPA_MAX_BATCH_RECORDS,
      maxPageSize: 1000,
      maxPendingIngest: e.RPA_MAX_PENDING_INGEST,
      ingestBodyTimeoutMs: e.RPA_INGEST_BODY_TIMEOUT_MS,
    }),
  });
}

const MIN_TOKEN_LENGTH = 16;
const SECRET_VARIABLES = new Set(['RPA_STORE', 'RPA_UIPATH_WEBHOOK_SECRET']);

function tokenList(value: string | undefined, scope: Scope, variable: string): Array<{ token: string; scope: Scope }> {
  if (!value) return [];
  return value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((token) => {
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new ConfigError(
          `invalid configuration:\n  ${variable}: every token must have at least ${MIN_TOKEN_LENGTH} characters (got one of ${token.length})`,
        );
      }
      return { token, scope };
    });
}

/**
 * A token file: one `scope token` (or `scope:token`) per line; a `#` at the start of a line or after
 * a blank starts a comment, so a token may hold `#` itself.
 */
function readTokenFile(file: string): Array<{ token: string; scope: Scope }> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  RPA_TOKEN_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  return text.split('\n').flatMap((raw, index) => {
    const line = raw.replace(/(^|\s)#.*/, '').trim();
    if (!line) return [];
    const match = /^(ingest|read|admin)[\s:]+(\S+)$/.exec(line);
    if (!match) throw new ConfigError(`invalid configuration:\n  RPA_TOKEN_FILE: line ${index + 1} must be "<ingest|read|admin> <token>"`);
    return tokenList(match[2], match[1] as Scope, `RPA_TOKEN_FILE line ${index + 1}`);
  });
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
