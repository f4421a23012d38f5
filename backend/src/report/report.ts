import { z } from 'zod';
import { groupBy } from '../domain/collections';
import { AppError } from '../domain/errors';
import { analyzeWorkflow, isTimedRun } from '../analysis/performance';
import { quantile } from '../analysis/stats';
import { analyzeSuccess, FAILED } from '../analysis/success';
import type { MeasuredImpact } from '@rpa-analytics/contract';
import type { Execution } from '@rpa-analytics/contract';
import type { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import type { StoreReader } from '../store/store';

const DAY = 86_400_000;
const ms = z.number().nullable();
const iso = z.iso.datetime();
const SEVERITY_LABELS = ['critical', 'high', 'medium', 'low'] as const;

/**
 * A report's JSON shape, its single definition: types, the API's JSON, the CSV and the PDF all
 * come from it, and `docs/report.schema.json` is generated from it (a test keeps them equal).
 */
const rate = z.number().min(0).max(1).nullable();
const count = z.number().int();

/** One period's headline figures: the report's own and the one before it, of the same length. */
const periodSchema = z.object({ from: iso, to: iso, runs: count, failures: count, successRate: rate, medianDurationMs: ms, p95DurationMs: ms });

/**
 * A report's JSON shape, its single definition: types, the API's JSON, the CSV and the PDF all
 * come from it, and `docs/report.schema.json` is generated from it (a test keeps them equal). Its
 * sections read top-down: what happened (incidents), how the fleet or workflow performed (over
 * time and against the previous period), where time goes, what failed, what to improve. Lists
 * hold every item up to a bound (`summary` counts them all); the PDF shows the top ones.
 */
export const reportSchema = z
  .object({
    schemaVersion: z.literal(2),
    title: z.string(),
    generatedAt: iso,
    scope: z.object({ workflow: z.string().nullable(), from: iso, to: iso }),
    summary: z.object({
      workflows: count,
      runs: count,
      completed: count,
      failures: count,
      successRate: rate,
      avgDurationMs: ms,
      medianDurationMs: ms,
      p95DurationMs: ms,
      incidents: count,
      anomalies: count,
      previous: periodSchema,
    }),
    incidents: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        status: z.enum(['open', 'closed']),
        severity: z.number(),
        severityLabel: z.enum(SEVERITY_LABELS),
        startedAt: iso,
        lastSeenAt: iso,
        endedAt: iso.nullable(),
        workflows: z.array(z.string()),
        hosts: z.array(z.string()),
        anomalies: count,
        recommendation: z.string().nullable(),
      }),
    ),
    performance: z.object({
      bucketMs: count,
      /** Durations in ms; `medianRelative` and `p95Relative` of each run's duration over its workflow's median in the period (1 = usual). */
      buckets: z.array(
        z.object({ time: iso, runs: count, failures: count, successRate: rate, medianDurationMs: ms, p95DurationMs: ms, medianRelative: ms, p95Relative: ms }),
      ),
    }),
    daily: z.array(z.object({ day: z.iso.date(), runs: count, failures: count, successRate: rate })),
    statistics: z.array(
      z.object({
        workflow: z.string(),
        runs: count,
        completed: count,
        successRate: rate,
        avgDurationMs: ms,
        medianDurationMs: ms,
        p95DurationMs: ms,
        p99DurationMs: ms,
        minDurationMs: ms,
        maxDurationMs: ms,
        stdDevDurationMs: ms,
        previous: z.object({ runs: count, successRate: rate, p95DurationMs: ms }),
      }),
    ),
    bottlenecks: z.array(
      z.object({
        workflow: z.string(),
        step: z.string(),
        share: z.number(),
        runs: count,
        meanMs: z.number(),
        p95Ms: z.number(),
        totalMs: z.number(),
        failures: count,
      }),
    ),
    failures: z.object({
      byErrorType: z.array(z.object({ errorType: z.string(), count })),
      patterns: z.array(
        z.object({ pattern: z.string(), example: z.string(), errorType: z.string().nullable(), count, workflows: z.array(z.string()), isNew: z.boolean() }),
      ),
    }),
    anomalies: z.array(
      z.object({
        id: z.string(),
        metric: z.string(),
        workflow: z.string().nullable(),
        host: z.string().nullable(),
        robot: z.string().nullable(),
        status: z.enum(['open', 'closed']),
        severity: z.number(),
        startedAt: iso,
        lastSeenAt: iso,
        expected: z.number(),
        observed: z.number(),
        description: z.string(),
      }),
    ),
    insights: z.array(
      z.object({
        id: z.string(),
        category: z.string(),
        workflow: z.string().nullable(),
        title: z.string(),
        recommendation: z.string(),
        status: z.enum(['open', 'implemented']),
        priority: z.number(),
        expectedImpact: z.string(),
        expectedImprovementPct: z.number(),
        implementedAt: iso.nullable(),
        measured: z
          .object({
            quantity: z.string(),
            before: z.number(),
            after: z.number(),
            changePct: z.number(),
            pValue: z.number(),
            significant: z.boolean(),
            direction: z.enum(['better', 'worse', 'unchanged']),
            runsBefore: count,
            runsAfter: count,
          })
          .nullable(),
      }),
    ),
  })
  .strict();

export type Report = z.infer<typeof reportSchema>;
export type ReportIncident = Report['incidents'][number];

/** The report schema as JSON Schema (draft 2020-12), for `docs/report.schema.json` and clients. */
export function reportJsonSchema(): Record<string, unknown> {
  return { $id: 'urn:rpa-analytics:report:2', title: 'RPA Analytics report', ...z.toJSONSchema(reportSchema) };
}

export interface ReportRequest {
  /** One workflow, or the whole fleet when absent. */
  workflow?: string;
  from: number;
  to: number;
}

const isoOf = (time: number) => new Date(time).toISOString();
/** How many items a list holds at most (the summary counts them all). */
const BOUND = { bottlenecks: 10, patterns: 100, anomalies: 1000, incidents: 200, insights: 100 };
const HOUR = 3_600_000;
/** Chart buckets: the finest that gives at most 120 points over the range. */
const BUCKETS = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY];

/** A chart bucket for a range: an hour for a day, 3 hours for two weeks, a day for two months. */
export function chartBucketMs(from: number, to: number): number {
  return BUCKETS.find((b) => (to - from) / b <= 120) ?? BUCKETS[BUCKETS.length - 1];
}

/** How an incident's severity reads: from 0.8 critical, from 0.6 high, from 0.4 medium, else low. */
export function severityLabel(severity: number): (typeof SEVERITY_LABELS)[number] {
  return severity >= 0.8 ? 'critical' : severity >= 0.6 ? 'high' : severity >= 0.4 ? 'medium' : 'low';
}

/** Failed, timed out or cancelled: as the summary and the success rate count them. */
const failed = (runs: readonly Execution[]) => runs.filter(FAILED).length;

function periodFigures(runs: readonly Execution[], range: { from: number; to: number }) {
  const stats = analyzeWorkflow('', runs, [], range, 0);
  return {
    from: isoOf(range.from),
    to: isoOf(range.to),
    runs: runs.length,
    failures: failed(runs),
    successRate: stats.successRate,
    medianDurationMs: stats.medianDurationMs,
    p95DurationMs: stats.p95DurationMs,
  };
}

/**
 * A fleet or workflow report over a range, top-down: incidents by cause, the headline figures
 * against the previous period of the same length, success rate and durations over time,
 * per-workflow statistics, bottleneck steps, failures by error type and pattern, anomalies, and
 * insights by priority with the measured impact of implemented ones. A workflow's report holds
 * only the incidents that hit it and its own anomalies.
 * @throws AppError `not_found` when the workflow was never recorded.
 */
export function buildReport(store: StoreReader, performance: PerformanceAnalyzer, request: ReportRequest, now = Date.now()): Report {
  const known = store.names('workflows');
  if (request.workflow !== undefined && !known.includes(request.workflow))
    throw new AppError('not_found', `no workflow '${request.workflow}' has been recorded`);
  const workflows = request.workflow !== undefined ? [request.workflow] : known;
  const only = request.workflow !== undefined ? { workflows: [request.workflow] } : {};
  const range = { from: request.from, to: request.to };
  const previousRange = { from: range.from - (range.to - range.from), to: range.from };
  const runs = store.runs({ ...only, ...range });
  const previousRuns = store.runs({ ...only, ...previousRange });
  const previousByWorkflow = groupBy(previousRuns, (r) => r.workflow);
  // Every workflow that ran in the period or the one before: one that stopped shows 0 runs against its previous count.
  const stats = performance
    .compareWorkflows(workflows, range)
    .filter((s) => s.runs > 0 || previousByWorkflow.has(s.workflow))
    .sort((a, b) => a.workflow.localeCompare(b.workflow));
  // From the runs read above (as PerformanceAnalyzer.analyzeSuccess would read them again): patterns first seen in the last quarter are new.
  const success = analyzeSuccess(request.workflow ?? null, runs, range, DAY, range.to - (range.to - range.from) / 4);
  const current = periodFigures(runs, range);
  const completed = stats.reduce((n, s) => n + s.completed, 0);
  const timed = stats.filter((s) => s.avgDurationMs !== null);
  const bottlenecks = stats
    .flatMap((s) => performance.bottlenecks(s.workflow, range).map((b) => ({ workflow: s.workflow, ...b })))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, BOUND.bottlenecks);

  const bucketMs = chartBucketMs(range.from, range.to);
  const usual = new Map(stats.filter((s) => s.medianDurationMs).map((s) => [s.workflow, s.medianDurationMs!]));
  const byBucket = groupBy(runs, (r) => Math.floor(r.startedAt / bucketMs) * bucketMs);
  const buckets = [];
  for (let time = Math.floor(range.from / bucketMs) * bucketMs; time < range.to; time += bucketMs) {
    const inBucket = byBucket.get(time) ?? [];
    const s = analyzeWorkflow('', inBucket, [], { from: time, to: time + bucketMs }, 0);
    const relative = inBucket.filter((r) => isTimedRun(r) && usual.has(r.workflow)).map((r) => r.durationMs! / usual.get(r.workflow)!);
    buckets.push({
      time: isoOf(time),
      runs: inBucket.length,
      failures: failed(inBucket),
      successRate: s.successRate,
      medianDurationMs: s.medianDurationMs,
      p95DurationMs: s.p95DurationMs,
      medianRelative: relative.length ? quantile(relative, 0.5) : null,
      p95Relative: relative.length ? quantile(relative, 0.95) : null,
    });
  }

  const allAnomalies = store.listAnomalies({ ...range, limit: 10_000 });
  const anomalyById = new Map(allAnomalies.map((a) => [a.id, a]));
  const anomalies = allAnomalies
    .filter((a) => request.workflow === undefined || a.workflow === request.workflow)
    .sort((a, b) => b.severity - a.severity || a.startedAt - b.startedAt);
  const incidents = store
    .listIncidents({ ...range, limit: 10_000 })
    .filter((i) => request.workflow === undefined || i.workflows.includes(request.workflow))
    .sort((a, b) => b.severity - a.severity || a.startedAt - b.startedAt);
  // The insights that held during the period (a report of last month does not show today's), and
  // those implemented before its end, with what they achieved.
  const insights = store
    .listInsights({ ...only, limit: 10_000 })
    .filter(
      (i) =>
        (i.firstSeenAt < range.to && i.lastSeenAt >= range.from) || (i.status === 'implemented' && i.implementedAt !== undefined && i.implementedAt < range.to),
    )
    .sort((a, b) => b.priorityScore - a.priorityScore)
    .slice(0, BOUND.insights);
  return {
    schemaVersion: 2,
    title: request.workflow !== undefined ? `Workflow report: ${request.workflow}` : 'Fleet report',
    generatedAt: isoOf(now),
    scope: { workflow: request.workflow ?? null, from: isoOf(request.from), to: isoOf(request.to) },
    summary: {
      workflows: stats.filter((s) => s.runs > 0).length,
      runs: success.runs,
      completed,
      failures: success.failures,
      successRate: success.successRate,
      avgDurationMs: completed > 0 ? timed.reduce((sum, s) => sum + s.avgDurationMs! * s.completed, 0) / completed : null,
      medianDurationMs: current.medianDurationMs,
      p95DurationMs: current.p95DurationMs,
      incidents: incidents.length,
      anomalies: anomalies.length,
      previous: periodFigures(previousRuns, previousRange),
    },
    incidents: incidents.slice(0, BOUND.incidents).map((i) => {
      const worst = i.anomalyIds
        .map((id) => anomalyById.get(id))
        .filter((a) => a !== undefined)
        .sort((a, b) => b.severity - a.severity)[0];
      return {
        id: i.id,
        title: i.title,
        status: i.status,
        severity: i.severity,
        severityLabel: severityLabel(i.severity),
        startedAt: isoOf(i.startedAt),
        lastSeenAt: isoOf(i.lastSeenAt),
        endedAt: i.endedAt !== undefined ? isoOf(i.endedAt) : null,
        workflows: i.workflows,
        hosts: i.hosts,
        anomalies: i.anomalyIds.length,
        recommendation: worst?.recommendedAction ?? null,
      };
    }),
    performance: { bucketMs, buckets },
    daily: success.overTime.map((b) => ({ day: isoOf(b.time).slice(0, 10), runs: b.runs, failures: b.failures, successRate: b.successRate })),
    statistics: stats.map((s) => {
      const before = analyzeWorkflow(s.workflow, previousByWorkflow.get(s.workflow) ?? [], [], previousRange, 0);
      return {
        workflow: s.workflow,
        runs: s.runs,
        completed: s.completed,
        successRate: s.successRate,
        avgDurationMs: s.avgDurationMs,
        medianDurationMs: s.medianDurationMs,
        p95DurationMs: s.p95DurationMs,
        p99DurationMs: s.p99DurationMs,
        minDurationMs: s.minDurationMs,
        maxDurationMs: s.maxDurationMs,
        stdDevDurationMs: s.stdDevDurationMs,
        previous: { runs: before.runs, successRate: before.successRate, p95DurationMs: before.p95DurationMs },
      };
    }),
    bottlenecks: bottlenecks.map((b) => ({
      workflow: b.workflow,
      step: b.step,
      share: b.share,
      runs: b.count,
      meanMs: b.meanMs,
      p95Ms: b.p95Ms,
      totalMs: b.totalMs,
      failures: b.failures,
    })),
    failures: {
      byErrorType: Object.entries(success.byErrorType)
        .map(([errorType, count]) => ({ errorType, count }))
        .sort((a, b) => b.count - a.count || a.errorType.localeCompare(b.errorType)),
      patterns: success.patterns
        .slice(0, BOUND.patterns)
        .map((p) => ({ pattern: p.fingerprint, example: p.example, errorType: p.errorType, count: p.count, workflows: p.workflows, isNew: p.isNew })),
    },
    anomalies: anomalies.slice(0, BOUND.anomalies).map((a) => ({
      id: a.id,
      metric: a.metric,
      workflow: a.workflow ?? null,
      host: a.host ?? null,
      robot: a.robot ?? null,
      status: a.status,
      severity: a.severity,
      startedAt: isoOf(a.startedAt),
      lastSeenAt: isoOf(a.lastSeenAt),
      expected: a.expected,
      observed: a.observed,
      description: a.description,
    })),
    insights: insights.map((i) => ({
      id: i.id,
      category: i.category,
      workflow: i.workflow ?? null,
      title: i.title,
      recommendation: i.recommendation,
      status: i.status,
      priority: i.priorityScore,
      expectedImpact: i.expectedImpact,
      expectedImprovementPct: i.expectedImprovementPct,
      implementedAt: i.implementedAt !== undefined ? isoOf(i.implementedAt) : null,
      measured: i.measuredImpact
        ? {
            quantity: i.measuredImpact.quantity ?? QUANTITY[i.measuredImpact.metric],
            before: i.measuredImpact.before,
            after: i.measuredImpact.after,
            changePct: i.measuredImpact.changePct,
            pValue: i.measuredImpact.pValue,
            significant: i.measuredImpact.significant,
            direction: i.measuredImpact.direction ?? impactDirection(i.measuredImpact),
            runsBefore: i.measuredImpact.runsBefore,
            runsAfter: i.measuredImpact.runsAfter,
          }
        : null,
    })),
  };
}

/** What an impact measured, in words, for impacts stored before they said so themselves. */
const QUANTITY: Record<MeasuredImpact['metric'], string> = {
  median_duration_ms: 'median run duration',
  step_median_ms: 'median step duration',
  failure_rate: 'failure rate',
  pattern_rate: 'share of runs failing with the pattern',
  saturated_share: 'share of runs on saturated hosts',
};

/** Every measured quantity is one the insight wants lower. */
function impactDirection(m: MeasuredImpact): 'better' | 'worse' | 'unchanged' {
  return !m.significant ? 'unchanged' : m.after < m.before ? 'better' : 'worse';
}

/** The report as CSV rows, one figure per row: `section,workflow,item,measure,value`. */
export function reportCsv(report: Report): string {
  const rows: Array<[string, string | null, string | null, string, string | number | boolean | null]> = [];
  const add = (section: string, workflow: string | null, item: string | null, values: Record<string, string | number | boolean | null>) => {
    for (const [measure, value] of Object.entries(values)) rows.push([section, workflow, item, measure, value]);
  };
  add('scope', report.scope.workflow, null, { from: report.scope.from, to: report.scope.to, generated_at: report.generatedAt });
  const { previous, ...summary } = report.summary;
  add('summary', report.scope.workflow, null, summary);
  add('previous_period', report.scope.workflow, null, previous);
  for (const i of report.incidents) {
    add('incident', i.workflows.join(';'), i.id, {
      title: i.title,
      status: i.status,
      severity: i.severity,
      severity_label: i.severityLabel,
      started_at: i.startedAt,
      ended_at: i.endedAt,
      hosts: i.hosts.join(';'),
      anomalies: i.anomalies,
      recommendation: i.recommendation,
    });
  }
  for (const { time, ...b } of report.performance.buckets) add('performance', report.scope.workflow, time, b);
  for (const { day, ...d } of report.daily) add('daily', report.scope.workflow, day, d);
  for (const { workflow, previous: before, ...s } of report.statistics) {
    add('statistics', workflow, null, s);
    add('statistics_previous', workflow, null, before);
  }
  for (const { workflow, step, ...b } of report.bottlenecks) add('bottleneck', workflow, step, b);
  for (const { errorType, count } of report.failures.byErrorType) add('error_type', report.scope.workflow, errorType, { count });
  for (const p of report.failures.patterns)
    add('error_pattern', p.workflows.join(';'), p.pattern, { count: p.count, error_type: p.errorType, new: p.isNew, example: p.example });
  for (const a of report.anomalies)
    add('anomaly', a.workflow, a.id, {
      metric: a.metric,
      host: a.host,
      robot: a.robot,
      status: a.status,
      severity: a.severity,
      started_at: a.startedAt,
      expected: a.expected,
      observed: a.observed,
      description: a.description,
    });
  for (const i of report.insights) {
    add('insight', i.workflow, i.id, {
      category: i.category,
      title: i.title,
      status: i.status,
      priority: i.priority,
      expected_impact: i.expectedImpact,
      expected_improvement_pct: i.expectedImprovementPct,
      implemented_at: i.implementedAt,
      measured_quantity: i.measured?.quantity ?? null,
      measured_before: i.measured?.before ?? null,
      measured_after: i.measured?.after ?? null,
      measured_change_pct: i.measured?.changePct ?? null,
      measured_p_value: i.measured?.pValue ?? null,
      measured_direction: i.measured?.direction ?? null,
      recommendation: i.recommendation,
    });
  }
  const cell = (value: string | number | boolean | null) => {
    if (value === null) return '';
    // Text that a spreadsheet would run as a formula is quoted with a leading apostrophe.
    const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
    return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return ['section,workflow,item,measure,value', ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}
