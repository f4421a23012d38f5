import { z } from 'zod';
import { ERROR_TYPES, EXECUTION_STATUSES, FINAL_STATUSES, STEP_STATUSES } from './types';

/**
 * The wire contract of the ingest and executions endpoints. These schemas parse every request
 * at the edge; the types they infer are what the rest of the collector sees.
 */

/** Latest time accepted anywhere: 2100-01-01. Earlier than 2000-01-01 is surely a unit mistake. */
export const MIN_TIME = Date.UTC(2000, 0, 1);
export const MAX_TIME = Date.UTC(2100, 0, 1);
export const MAX_DURATION_MS = 31 * 24 * 3600 * 1000;

/** Epoch milliseconds, or an ISO 8601 date-time with offset; always milliseconds afterwards. */
export const timestamp = z
  .union([z.number(), z.iso.datetime({ offset: true, message: 'expected epoch milliseconds or an ISO 8601 date-time' })])
  .transform((value) => (typeof value === 'number' ? value : Date.parse(value)))
  .pipe(
    z
      .number()
      .int('expected whole milliseconds')
      .min(MIN_TIME, 'expected a time after 2000-01-01 (epoch milliseconds, not seconds)')
      .max(MAX_TIME, 'expected a time before 2100-01-01'),
  );

/**
 * Characters no name or id may hold: C0 and C1 controls (NUL, newlines, escapes) and the
 * bidirectional overrides and isolates that make text read in another order than it is stored.
 * Names reach PDF reports, CSV cells and Prometheus labels, where these mislead or break.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
export const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const SAFE_TEXT_MESSAGE = 'must not contain control characters or bidirectional overrides';

export const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((v) => !UNSAFE_TEXT.test(v), SAFE_TEXT_MESSAGE);
export const executionId = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine((v) => !UNSAFE_TEXT.test(v), SAFE_TEXT_MESSAGE);
const duration = z.number().min(0, 'must not be negative').max(MAX_DURATION_MS, 'must be at most 31 days');
const count = z.number().int('must be a whole number').min(0).max(100_000);
const bytes = z.number().min(0, 'must not be negative').max(1e15);
const percent = z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');
const message = z.string().max(4096, 'must be at most 4096 characters');

const tags = z.record(z.string().min(1).max(64), z.string().max(256)).refine((t) => Object.keys(t).length <= 32, 'at most 32 tags');

export const executionSchema = z
  .strictObject({
    id: executionId,
    workflow: name,
    robot: name.optional(),
    host: name.optional(),
    packageVersion: name.optional(),
    startedAt: timestamp,
    endedAt: timestamp.optional(),
    durationMs: duration.optional(),
    status: z.enum(EXECUTION_STATUSES),
    errorType: z.enum(ERROR_TYPES).optional(),
    errorMessage: message.optional(),
    stepsTotal: count.optional(),
    stepsCompleted: count.optional(),
    tags: tags.optional(),
  })
  .refine((e) => e.endedAt === undefined || e.endedAt >= e.startedAt, {
    message: 'must not be before startedAt',
    path: ['endedAt'],
  });

export const stepSchema = z.strictObject({
  executionId,
  index: count,
  name,
  startedAt: timestamp,
  durationMs: duration,
  status: z.enum(STEP_STATUSES).default('completed'),
  error: message.optional(),
});

export const resourceSampleSchema = z.strictObject({
  host: name,
  time: timestamp,
  cpuPercent: percent,
  memoryUsedBytes: bytes,
  memoryTotalBytes: bytes,
  gpuPercent: percent.optional(),
  gpuMemoryUsedBytes: bytes.optional(),
  diskUsedBytes: bytes.optional(),
  diskTotalBytes: bytes.optional(),
  diskReadBytesPerSec: bytes,
  diskWriteBytesPerSec: bytes,
  netRxBytesPerSec: bytes,
  netTxBytesPerSec: bytes,
  workflow: name.optional(),
  executionId: executionId.optional(),
});

export const ingestBatchSchema = z.strictObject({
  executions: z.array(executionSchema).default([]),
  steps: z.array(stepSchema).default([]),
  samples: z.array(resourceSampleSchema).default([]),
});
export type IngestBatchInput = z.input<typeof ingestBatchSchema>;

/**
 * The records a batch body holds (its runs, steps and samples), counted before it is parsed: a
 * collector takes at most `RPA_MAX_BATCH_RECORDS` in one request. Anything that is not a list
 * counts nothing (the schema says what is wrong with it).
 */
export function batchRecordCount(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 0;
  const record = body as Record<string, unknown>;
  return ['executions', 'steps', 'samples'].reduce((total, key) => total + (Array.isArray(record[key]) ? (record[key] as unknown[]).length : 0), 0);
}

/** `POST /executions/:id/start`: what a runner knows when a run begins. */
export const executionStartSchema = z.strictObject({
  workflow: name,
  robot: name.optional(),
  host: name.optional(),
  packageVersion: name.optional(),
  startedAt: timestamp.optional(),
  tags: tags.optional(),
});
export type ExecutionStart = z.infer<typeof executionStartSchema>;

/** `POST /executions/:id/steps`: one finished step; `index` makes a retry rewrite, not add. */
export const stepReportSchema = stepSchema.omit({ executionId: true });
export type StepReport = z.infer<typeof stepReportSchema>;

/** `POST /executions/:id/complete`: how the run ended. */
export const executionCompleteSchema = z.strictObject({
  status: z.enum(FINAL_STATUSES),
  endedAt: timestamp.optional(),
  errorType: z.enum(ERROR_TYPES).optional(),
  errorMessage: message.optional(),
  stepsTotal: count.optional(),
  stepsCompleted: count.optional(),
});
export type ExecutionComplete = z.infer<typeof executionCompleteSchema>;

/** A filter value from the query string: repeated (`?host=a&host=b`) or comma-separated. */
const list = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean),
);

export const executionListQuerySchema = z.strictObject({
  workflow: list.optional(),
  status: list.pipe(z.array(z.enum(EXECUTION_STATUSES))).optional(),
  host: list.optional(),
  robot: list.optional(),
  from: z
    .union([z.string().regex(/^\d+$/).transform(Number), z.string()])
    .pipe(timestamp)
    .optional(),
  to: z
    .union([z.string().regex(/^\d+$/).transform(Number), z.string()])
    .pipe(timestamp)
    .optional(),
  limit: z.string().regex(/^\d+$/, 'expected a whole number').transform(Number).pipe(z.number().min(1).max(1000)).default(100),
  cursor: z.string().max(200).optional(),
});
