import type { Aggregation, Field, Frame, GroupBy } from '../api/queryContract';
import { quantileSorted, sortedCopy } from '../analysis/stats';
import { bucketStarts } from './buckets';

/** One observation to aggregate: its time, value and the dimensions it can be grouped by. */
export interface Observation {
  time: number;
  value: number;
  dims: Partial<Record<GroupBy, string>>;
}

export interface SeriesSpec {
  refId: string;
  /** Field name of the values, e.g. 'run_duration avg'. */
  valueName: string;
  unit: string;
  aggregation: Aggregation;
  groupBy: readonly GroupBy[];
  alias?: string;
  /** Counts are 0 in an empty bucket; averages and the like have no value there. */
  emptyValue: 0 | null;
}

const QUANTILES: Partial<Record<Aggregation, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

export function aggregate(values: readonly number[], aggregation: Aggregation, bucketMs: number): number {
  switch (aggregation) {
    case 'count':
      return values.length;
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'rate':
      // Per minute: runs per minute reads better than per second for robots.
      return values.reduce((a, b) => a + b, 0) / (bucketMs / 60_000);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return quantileSorted(sortedCopy(values), QUANTILES[aggregation]!);
  }
}

/** `{{workflow}} on {{host}}` with the group's labels; unknown labels stay as written. */
export function renderAlias(alias: string, labels: Record<string, string>, valueName: string): string {
  return alias.replace(/\{\{\s*(\w+)\s*\}\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
    const key = a ?? b!;
    if (key === 'metric') return valueName;
    return labels[key] ?? whole;
  });
}

/**
 * Buckets observations by time and group, aggregates each bucket: one frame per group (Grafana's
 * "multi-frame" time series), each with a time field and a value field carrying the group's labels.
 */
export function toTimeSeriesFrames(
  observations: readonly Observation[],
  range: { from: number; to: number },
  bucketMs: number,
  spec: SeriesSpec,
  ratio?: { numerator: (o: Observation) => boolean },
): Frame[] {
  const starts = bucketStarts(range, bucketMs);
  const first = starts[0] ?? range.from;
  const groups = new Map<string, { labels: Record<string, string>; buckets: number[][] }>();
  for (const o of observations) {
    if (o.time < first || o.time >= range.to) continue;
    const labels: Record<string, string> = {};
    for (const dim of spec.groupBy) labels[dim] = o.dims[dim] ?? '';
    const key = JSON.stringify(labels);
    let group = groups.get(key);
    if (!group) {
      group = { labels, buckets: starts.map(() => []) };
      groups.set(key, group);
    }
    group.buckets[Math.floor((o.time - first) / bucketMs)].push(o.value);
  }
  if (groups.size === 0) return [emptyTimeSeries(spec)];
  return [...groups.values()]
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
    .map(({ labels, buckets }) => {
      const values = buckets.map((bucket) => {
        if (bucket.length === 0) return spec.emptyValue;
        // For a ratio (success rate) the values are 1/0 outcomes: the mean is the share, in percent.
        if (ratio) return (100 * bucket.reduce((a, b) => a + b, 0)) / bucket.length;
        return aggregate(bucket, spec.aggregation, bucketMs);
      });
      // Without an alias a grouped series is named by its group ("Invoice Processing"), not
      // "run_duration avg {workflow=...}" as Grafana would make of name and labels.
      const grouped = Object.values(labels).join(' ');
      const displayName = spec.alias ? renderAlias(spec.alias, labels, spec.valueName) : grouped || undefined;
      const valueField: Field = {
        name: spec.valueName,
        type: 'number',
        labels: Object.keys(labels).length ? labels : undefined,
        config: { unit: spec.unit, ...(displayName ? { displayNameFromDS: displayName } : {}) },
        values,
      };
      if (!valueField.labels) delete valueField.labels;
      return {
        refId: spec.refId,
        name: displayName ?? spec.valueName,
        fields: [{ name: 'Time', type: 'time', values: starts }, valueField],
      };
    });
}

export function emptyTimeSeries(spec: Pick<SeriesSpec, 'refId' | 'valueName' | 'unit'>): Frame {
  return {
    refId: spec.refId,
    name: spec.valueName,
    fields: [
      { name: 'Time', type: 'time', values: [] },
      { name: spec.valueName, type: 'number', config: { unit: spec.unit }, values: [] },
    ],
  };
}
