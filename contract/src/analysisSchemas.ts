import { z } from 'zod';
import { ANOMALY_METRICS, INSIGHT_CATEGORIES } from './analysis';
import { timestamp } from './schemas';

const DAY = 86_400_000;

/** A filter list from the query string: repeated or comma-separated. */
export const queryList = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A time in the query string: epoch milliseconds or ISO 8601. */
export const queryTime = z.union([z.string().regex(/^\d+$/).transform(Number), z.string()]).pipe(timestamp);

const queryNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `expected a number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/** `from`/`to` with defaults: the last 7 days. */
export const rangeQuery = z.object({ from: queryTime.optional(), to: queryTime.optional() }).transform(({ from, to }, ctx) => {
  const end = to ?? Date.now();
  const start = from ?? end - 7 * DAY;
  if (end <= start) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  return { from: start, to: end };
});

const withRange = <T extends z.ZodRawShape>(shape: T) => z.strictObject({ ...shape, from: z.string().optional(), to: z.string().optional() });

export const workflowAnalysisQuery = withRange({ workflow: z.string().min(1, 'must name a workflow'), top: queryNumber(1, 100).optional() });
export const comparisonQuery = withRange({ workflow: queryList.optional() });
export const degradationQuery = withRange({
  workflow: z.string().min(1, 'must name a workflow'),
  baselineFrom: queryTime.optional(),
  baselineTo: queryTime.optional(),
  currentFrom: queryTime.optional(),
  currentTo: queryTime.optional(),
});
export const successQuery = withRange({ workflow: z.string().min(1).optional(), bucketMs: queryNumber(60_000, 31 * DAY).optional() });

export const anomaliesQuery = withRange({
  status: z.enum(['open', 'closed']).optional(),
  workflow: queryList.optional(),
  host: queryList.optional(),
  robot: queryList.optional(),
  metric: queryList.pipe(z.array(z.enum(ANOMALY_METRICS))).optional(),
  minSeverity: queryNumber(0, 1).optional(),
  limit: queryNumber(1, 10_000).optional(),
});
export const incidentsQuery = withRange({
  status: z.enum(['open', 'closed']).optional(),
  minSeverity: queryNumber(0, 1).optional(),
  limit: queryNumber(1, 10_000).optional(),
});
export const insightsQuery = z.strictObject({
  status: z.enum(['open', 'implemented']).optional(),
  workflow: queryList.optional(),
  category: queryList.pipe(z.array(z.enum(INSIGHT_CATEGORIES))).optional(),
  limit: queryNumber(1, 10_000).optional(),
});
export const implementedBody = z.strictObject({ at: timestamp.optional(), note: z.string().max(2000).optional() });
