/**
 * The query API's vocabulary as plain constants, without zod: the Grafana plugin bundles these
 * (and imports everything else of the contract as types only).
 */

export const QUERY_TYPES = [
  'timeseries',
  'stats',
  'bottlenecks',
  'degradation',
  'comparison',
  'trend',
  'success',
  'anomalies',
  'incidents',
  'insights',
  'executions',
  'resources',
] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

export const RUN_METRICS = ['run_duration', 'step_duration', 'runs', 'successes', 'failures', 'success_rate'] as const;
export const HOST_METRICS = ['host_cpu', 'host_memory', 'host_gpu', 'host_disk', 'disk_read', 'disk_write', 'net_rx', 'net_tx'] as const;
export const METRICS = [...RUN_METRICS, ...HOST_METRICS] as const;
export type Metric = (typeof METRICS)[number];

export const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'p50', 'p90', 'p95', 'p99', 'rate'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Metrics whose every run counts 1: counted (`count`, or `sum`, the same) or as a `rate`. */
export const COUNTED_METRICS: readonly Metric[] = ['runs', 'successes', 'failures'];

/**
 * The aggregations a metric takes, its default first: a count or a rate for counted metrics, the
 * share of successful runs for `success_rate` (whatever the aggregation), and every other one, but
 * `rate`, for durations and host resources.
 */
export function aggregationsFor(metric: Metric): readonly Aggregation[] {
  if (COUNTED_METRICS.includes(metric)) return ['count', 'rate'];
  if (metric === 'success_rate') return ['avg'];
  return AGGREGATIONS.filter((a) => a !== 'rate');
}

/** The unit of an aggregated metric's values: a count is a number of runs or samples, whatever the metric's own unit. */
export function aggregatedUnit(metricUnit: string, aggregation: Aggregation): string {
  if (aggregation === 'rate') return 'runs/min';
  if (aggregation === 'count') return 'short';
  return metricUnit;
}

export const GROUP_BY = ['workflow', 'step', 'host', 'robot', 'status', 'error_type'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const VARIABLE_KINDS = ['workflows', 'steps', 'hosts', 'robots', 'errorTypes', 'versions', 'statuses'] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

export const ANNOTATION_TYPES = ['anomalies', 'incidents', 'versions', 'insights'] as const;
export type AnnotationType = (typeof ANNOTATION_TYPES)[number];
