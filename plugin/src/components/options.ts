import type { SelectableValue } from '@grafana/data';
import { aggregationsFor, ANNOTATION_TYPES, GROUP_BY, HOST_METRICS, type Metric, RUN_METRICS, VARIABLE_KINDS } from '@rpa-analytics/contract/queryVocabulary';
import type { RpaQueryType } from '../types';

const label = (value: string) => value.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
const toOptions = <T extends string>(values: readonly T[], describe: Partial<Record<T, string>> = {}): Array<SelectableValue<T>> =>
  values.map((value) => ({ label: describe[value] ?? label(value), value }));

export const QUERY_TYPE_OPTIONS = toOptions<RpaQueryType>(
  [
    'timeseries',
    'resources',
    'stats',
    'comparison',
    'bottlenecks',
    'degradation',
    'trend',
    'success',
    'anomalies',
    'incidents',
    'insights',
    'executions',
    'annotations',
  ],
  { timeseries: 'Time series', resources: 'Host resources', stats: 'Statistics', success: 'Success and exceptions' },
);
export const RUN_METRIC_OPTIONS = toOptions(RUN_METRICS);
export const HOST_METRIC_OPTIONS = toOptions(HOST_METRICS, {
  host_cpu: 'Host CPU',
  host_memory: 'Host memory',
  host_gpu: 'Host GPU',
  host_disk: 'Host disk used',
  net_rx: 'Network in',
  net_tx: 'Network out',
});
/** The aggregations the collector accepts for `metric`: a count or a rate of runs, a share, or the statistics of a duration or a resource. */
export const aggregationOptions = (metric: Metric) =>
  toOptions(aggregationsFor(metric), {
    avg: metric === 'success_rate' ? 'Share of runs' : 'Average',
    p50: 'p50',
    p90: 'p90',
    p95: 'p95',
    p99: 'p99',
    rate: 'Rate (per minute)',
  });
export const GROUP_BY_OPTIONS = toOptions(GROUP_BY, { error_type: 'Error type' });
export const ANNOTATION_TYPE_OPTIONS = toOptions(ANNOTATION_TYPES, { insights: 'Implemented insights', versions: 'Version changes' });
export const STATUS_OPTIONS = toOptions(['completed', 'failed', 'cancelled', 'timeout', 'running']);
export const ERROR_TYPE_OPTIONS = toOptions(['business', 'application', 'system', 'timeout']);
export const VARIABLE_KIND_OPTIONS = toOptions(VARIABLE_KINDS, { errorTypes: 'Error types' });
