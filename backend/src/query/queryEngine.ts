import { HOST_METRICS, type Frame, type Metric, type QueryRequest, type QueryResponse, type QueryTarget } from '../api/queryContract';
import { AppError } from '../domain/errors';
import type { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import type { RunFilter, Store } from '../store/store';
import { bucketSize } from './buckets';
import { METRIC_UNITS, runObservations, sampleObservations } from './observations';
import { analysisTable } from './analysisTables';
import { emptyTimeSeries, toTimeSeriesFrames } from './timeseries';

const COUNT_METRICS: readonly Metric[] = ['runs', 'successes', 'failures'];

type TimeRange = { from: number; to: number };

/**
 * Answers Grafana's panel queries: each target becomes frames, time series bucketed to the
 * panel's interval, tables for the analyses. A target that cannot be answered as asked is a 400
 * naming the target and the field, which Grafana shows on the panel.
 */
export class QueryEngine {
  constructor(
    private readonly store: Store,
    private readonly performance: PerformanceAnalyzer,
  ) {}

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
    const counted = COUNT_METRICS.includes(metric);
    // Each run is a 1 (it counts) or a 0: counting them is summing them.
    const aggregation = counted && (target.aggregation ?? 'count') === 'count' ? 'sum' : (target.aggregation ?? 'avg');
    if (aggregation === 'rate' && !counted) throw invalid('aggregation', 'rate applies to runs, successes and failures');
    const groupBy = target.groupBy ?? (isHost ? ['host' as const] : []);
    for (const dim of groupBy) {
      if (dim === 'step' && metric !== 'step_duration') throw invalid('groupBy', 'step applies to step_duration only');
      if (isHost && dim !== 'host' && dim !== 'workflow') throw invalid('groupBy', `host metrics group by host or workflow, not ${dim}`);
    }
    const bucketMs = bucketSize(range, request.intervalMs, request.maxDataPoints, isHost ? 1000 : 60_000);
    const valueName = counted || metric === 'success_rate' ? metric : `${metric} ${aggregation}`;
    const spec = {
      refId: target.refId,
      valueName,
      unit: aggregation === 'rate' ? 'runs/min' : METRIC_UNITS[metric],
      aggregation,
      groupBy,
      alias: target.alias,
      emptyValue: counted && (aggregation === 'sum' || aggregation === 'rate') ? (0 as const) : null,
    };
    if (isHost) {
      const samples = this.store.listSamples({ hosts: target.host, ...range });
      return toTimeSeriesFrames(sampleObservations(metric, samples), range, bucketMs, spec);
    }
    const filter: RunFilter = { workflows: target.workflow, hosts: target.host, robots: target.robot, statuses: target.status, ...range };
    const runs = this.store.runs(filter);
    if (runs.length === 0) return [emptyTimeSeries(spec)];
    const steps = metric === 'step_duration' ? this.store.stepsOfRuns(filter) : [];
    const observations = runObservations(metric, runs, steps, target);
    return toTimeSeriesFrames(observations, range, bucketMs, spec, metric === 'success_rate' ? { numerator: () => true } : undefined);
  }
}
