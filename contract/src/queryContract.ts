import { z } from 'zod';
import { EXECUTION_STATUSES, ERROR_TYPES } from './types';
import { timestamp } from './schemas';
import { AGGREGATIONS, GROUP_BY, METRICS, QUERY_TYPES } from './queryVocabulary';

export * from './queryVocabulary';

/**
 * The query API's wire contract: what the Grafana plugin sends to `POST /api/v1/query`,
 * `GET /variables/:kind` and `GET /annotations`, and what it gets back. The plugin imports
 * these types (type-only), so both sides compile against one definition.
 */

const nameList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]).filter((s) => s !== ''));

export const queryTargetSchema = z.object({
  refId: z.string().min(1).max(64),
  queryType: z.enum(QUERY_TYPES),
  hide: z.boolean().optional(),
  workflow: nameList.optional(),
  step: nameList.optional(),
  host: nameList.optional(),
  robot: nameList.optional(),
  status: nameList.pipe(z.array(z.enum(EXECUTION_STATUSES))).optional(),
  errorType: nameList.pipe(z.array(z.enum(ERROR_TYPES))).optional(),
  metric: z.enum(METRICS).optional(),
  aggregation: z.enum(AGGREGATIONS).optional(),
  groupBy: z.array(z.enum(GROUP_BY)).max(3).optional(),
  alias: z.string().max(256).optional(),
  topN: z.number().int().min(1).max(10_000).optional(),
  minSeverity: z.number().min(0).max(1).optional(),
  format: z.enum(['table', 'logs']).optional(),
  live: z.boolean().optional(),
  /** Executions queries: these runs by id; as logs, each run's log (its start, steps and end). */
  execution: nameList.pipe(z.array(z.string().max(256)).max(100)).optional(),
});
export type QueryTarget = z.infer<typeof queryTargetSchema>;
export type QueryTargetInput = z.input<typeof queryTargetSchema>;

/** Epoch milliseconds (as a number or a string of digits) or ISO 8601. */
const rangeTime = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))
  .pipe(timestamp);

export const queryRequestSchema = z
  .object({
    range: z.object({ from: rangeTime, to: rangeTime }),
    intervalMs: z
      .number()
      .positive()
      .max(366 * 86_400_000)
      .optional(),
    maxDataPoints: z.number().int().positive().max(100_000).optional(),
    targets: z.array(queryTargetSchema).min(1, 'at least one query').max(50, 'at most 50 queries'),
  })
  .refine((r) => r.range.to > r.range.from, { message: 'must be after range.from', path: ['range', 'to'] });
export type QueryRequest = z.infer<typeof queryRequestSchema>;
export type QueryRequestInput = z.input<typeof queryRequestSchema>;

export type FieldType = 'time' | 'number' | 'string' | 'boolean' | 'other';

export interface FieldConfig {
  unit?: string;
  displayName?: string;
  displayNameFromDS?: string;
  decimals?: number;
  min?: number;
  max?: number;
}

export interface Field {
  name: string;
  type: FieldType;
  labels?: Record<string, string>;
  config?: FieldConfig;
  values: unknown[];
}

export interface Frame {
  name?: string;
  refId: string;
  meta?: {
    preferredVisualisationType?: 'graph' | 'table' | 'logs';
    type?: string;
    typeVersion?: [number, number];
    notices?: Array<{ severity: 'info' | 'warning'; text: string }>;
  };
  fields: Field[];
}

export interface QueryResponse {
  results: Record<string, { frames: Frame[] }>;
}

export interface VariableOption {
  text: string;
  value: string;
}

export interface AnnotationEvent {
  time: number;
  timeEnd?: number;
  title: string;
  text: string;
  tags: string[];
}

export interface HealthResponse {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  database: { ok: boolean; executions?: number; lastExecutionAt?: number; lastSampleAt?: number; error?: string };
  sampler: { enabled: boolean };
}

/** Query types a panel can follow live: executions append rows, the others re-query on change. */
export const LIVE_QUERY_TYPES = ['executions', 'timeseries', 'resources'] as const;

/** `POST /query/changes`: what changed for these panel queries after `cursor`, waiting up to `waitMs`. */
export const liveRequestSchema = z.object({
  cursor: z.number().int().min(0),
  waitMs: z.number().int().min(0).max(30_000).default(0),
  targets: z
    .array(
      queryTargetSchema.refine((t) => (LIVE_QUERY_TYPES as readonly string[]).includes(t.queryType), {
        message: `live panels follow ${LIVE_QUERY_TYPES.join(', ')} queries`,
        path: ['queryType'],
      }),
    )
    .min(1, 'at least one query')
    .max(50, 'at most 50 queries'),
});
export type LiveRequestInput = z.input<typeof liveRequestSchema>;

export interface LiveResponse {
  /** Where to read on from. */
  cursor: number;
  /** More changes are already waiting: ask again at once. */
  more: boolean;
  /**
   * Per query: `changed` when something it shows was written; executions queries get the new or
   * updated rows as a frame, keyed by `Execution` (table) or `id` (logs), newest first.
   */
  results: Record<string, { changed: boolean; frames: Frame[] }>;
}

/** `GET /changes`: everything written after the cursor, each in its current state. */
export interface ChangesResponse {
  cursor: number;
  more: boolean;
  executions: Array<Record<string, unknown>>;
  samples: Array<Record<string, unknown>>;
  anomalies: Array<Record<string, unknown>>;
  insights: Array<Record<string, unknown>>;
}
