import {
  aggregatedUnit,
  COUNTED_METRICS,
  HOST_METRICS,
  type Frame,
  type Metric,
  type QueryRequest,
  type QueryResponse,
  type QueryTarget,
} from '@rpa-analytics/contract';
import { AppError } from '../domain/errors';
import type { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import type { RollupFilter, RunFilter, StoreReader } from '../store/store';
import { buildReport, type Report, type ReportRequest } from '../report/report';
import { bucketSize } from './buckets';
import { addRuns, addSampleBuckets, addSamples, METRIC_UNITS, runRollupFeeder, SAMPLE_MEASURES, stepRollupFeeder } from './observations';
import { analysisTable } from './analysisTables';
import { isQuantile, SeriesBuilder } from './timeseries';

/** The PerformanceAnalyzer methods that only read: what `/analysis/*` asks of the query workers. */
export const ANALYSIS_METHODS = ['analyzeWorkflow', 'bottlenecks', 'compareWorkflows', 'trend', 'detectDegradation', 'analyzeSuccess'] as const;
export type AnalysisMethod = (typeof ANALYSIS_METHODS)[number];

type TimeRange = { from: number; to: number };

/**
 * Answers Grafana's panel queries: each target becomes frames, time series bucketed to the
 * panel's interval, tables for the analyses. A target that cannot be answered as asked is a 400
 * naming the target and the field, which Grafana shows on the panel.
 */
export class QueryEngine {
  constructor(
    private readonly store: StoreReader,
    private readonly performance: PerformanceAnalyzer,
    /** Off only to compare against raw rows (tests, benchmarks). */
    private readonly useRollups = true,
  ) {}

  /** One of the read-only analyses behind `/analysis/*`, by name (so query workers can run it). */
  analysis<M extends AnalysisMethod>(method: M, args: Parameters<PerformanceAnalyzer[M]>): ReturnType<PerformanceAnalyzer[M]> {
    if (!ANALYSIS_METHODS.includes(method)) throw new Error(`not a read-only analysis: ${method}`);
    return (this.performance[method] as (...a: unknown[]) => ReturnType<PerformanceAnalyzer[M]>).apply(this.performance, args);
  }

  /** A fleet or workflow report (`/reports`): reads as much as a heavy panel, so it runs here too. */
  report(request: ReportRequest): Report {
    return buildReport(this.store, this.performance, request);
  }

  run(request: QueryRequest): QueryResponse {
    const range = { from: request.range.from, to: request.range.to };
    const results: QueryResponse['results'] = {};
    request.targets.forEach((target, index) => {
      if (target.hide) return;
      results[target.refId] = { frames: this.frames(target, index, range, request) };
    });
    return { results };
  }

  private frames(target: QueryTarget, index: number, range: TimeRange, request: QueryRequest): Frame[] {
    switch (target.queryType) {
      case 'timeseries':
        return this.timeseries(target, index, range, request, target.metric ?? 'run_duration');
      case 'resources':
        return this.timeseries(target, index, range, request, target.metric ?? 'host_cpu');
      default:
        return [analysisTable(target, range, this.store, this.performance)];
    }
  }

  private timeseries(target: QueryTarget, index: number, range: TimeRange, request: QueryRequest, metric: Metric): Frame[] {
    const invalid = (field: string, message: string) =>
      new AppError('validation_failed', `query ${target.refId}: ${field} ${message}`, [{ field: `targets[${index}].${field}`, message }]);
    const isHost = (HOST_METRICS as readonly string[]).includes(metric);
    if (target.queryType === 'resources' && !isHost) throw invalid('metric', `${metric} is not a host resource metric`);
    const counted = COUNTED_METRICS.includes(metric);
    // Each counted run is a 1: counting them is summing them.
    const aggregation = counted && (target.aggregation ?? 'count') === 'count' ? 'sum' : (target.aggregation ?? 'avg');
    if (aggregation === 'rate' && !counted) throw invalid('aggregation', 'rate applies to runs, successes and failures');
    if (counted && aggregation !== 'sum' && aggregation !== 'rate')
      throw invalid('aggregation', `${aggregation} does not apply to ${metric}: use count or rate`);
    const groupBy = target.groupBy ?? (isHost ? ['host' as const] : []);
    for (const dim of groupBy) {
      if (dim === 'step' && metric !== 'step_duration') throw invalid('groupBy', 'step applies to step_duration only');
      if (isHost && dim !== 'host' && dim !== 'workflow') throw invalid('groupBy', `host metrics group by host or workflow, not ${dim}`);
    }
    const bucketMs = bucketSize(range, request.intervalMs, request.maxDataPoints, isHost ? 1000 : 60_000);
    const valueName = counted || metric === 'success_rate' ? metric : `${metric} ${aggregation}`;
    const builder = new SeriesBuilder(range, bucketMs, {
      refId: target.refId,
      valueName,
      unit: aggregatedUnit(METRIC_UNITS[metric], aggregation),
      aggregation,
      groupBy,
      alias: target.alias,
      emptyValue: counted ? 0 : null,
      ratio: metric === 'success_rate',
    });
    if (isHost) {
      // Quantiles need every value; anything else is summed per bucket by the store, so a panel
      // over weeks of samples a second does not read them one by one.
      const measure = SAMPLE_MEASURES[metric];
      if (measure && this.useRollups && !isQuantile(aggregation))
        addSampleBuckets(builder, this.store.sampleBuckets({ hosts: target.host, ...range }, measure, bucketMs));
      else addSamples(builder, metric, this.store.listSamples({ hosts: target.host, ...range }));
      return builder.frames();
    }
    const resolution = this.useRollups ? rollupResolution(metric, target, groupBy, bucketMs, range) : undefined;
    // Whole rollup buckets come from rollups, the range's ragged edges from raw rows.
    const inner = resolution ? { from: Math.ceil(range.from / resolution) * resolution, to: Math.floor(range.to / resolution) * resolution } : undefined;
    const rawRanges = inner
      ? [
          { from: range.from, to: inner.from },
          { from: inner.to, to: range.to },
        ].filter((r) => r.to > r.from)
      : [range];
    for (const raw of rawRanges) {
      const filter: RunFilter = { workflows: target.workflow, hosts: target.host, robots: target.robot, statuses: target.status, ...raw };
      const runs = this.store.runs(filter);
      if (runs.length === 0) continue;
      addRuns(builder, metric, runs, metric === 'step_duration' ? this.store.stepsOfRuns(filter) : [], target);
    }
    if (resolution && inner) {
      const rollupFilter: RollupFilter = {
        resolution,
        ...inner,
        workflows: target.workflow,
        // Run durations are those of completed runs: the other rows would be read for nothing.
        statuses: metric === 'run_duration' && !target.status?.length ? ['completed'] : target.status,
        steps: target.step,
        digests: aggregation in QUANTILE_AGGREGATIONS,
      };
      if (metric === 'step_duration') this.store.visitStepRollups(rollupFilter, stepRollupFeeder(builder));
      else this.store.visitRunRollups(rollupFilter, runRollupFeeder(builder, metric));
    }
    return builder.frames();
  }
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Aggregations that need the rollups' quantile digests; the others use counts and sums only. */
const QUANTILE_AGGREGATIONS = { p50: true, p90: true, p95: true, p99: true };
/** Ranges up to this long are read from raw rows: few rows, and no rounding to rollup buckets. */
export const RAW_RANGE_MS = 3 * HOUR;

/**
 * The coarsest rollup resolution that serves the panel exactly, or undefined for raw rows:
 * rollups hold runs by workflow and status (steps by workflow and step, hourly), so filters and
 * groupings on anything else (host, robot, error type) need the rows.
 */
export function rollupResolution(metric: Metric, target: QueryTarget, groupBy: readonly string[], bucketMs: number, range: TimeRange): number | undefined {
  if (range.to - range.from <= RAW_RANGE_MS) return undefined;
  if (target.robot?.length || target.errorType?.length || target.host?.length) return undefined;
  if (metric === 'step_duration') {
    if (target.status?.length || groupBy.some((g) => g !== 'workflow' && g !== 'step')) return undefined;
    return bucketMs % HOUR === 0 ? HOUR : undefined;
  }
  if (groupBy.some((g) => g !== 'workflow' && g !== 'status')) return undefined;
  if (bucketMs % HOUR === 0) return HOUR;
  if (bucketMs % MINUTE === 0) return MINUTE;
  return undefined;
}
