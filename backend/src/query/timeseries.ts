import type { Aggregation, Field, Frame, GroupBy } from '@rpa-analytics/contract';
import { QuantileDigest } from '../analysis/quantileDigest';
import { quantileOfSortedRange, quantileSorted } from '../analysis/stats';
import { bucketStarts } from './buckets';

export type Dims = Partial<Record<GroupBy, string>>;

/**
 * A summary from a rollup: count, sum, min and max and, for quantiles, the values themselves
 * while few (the first `count` of `values`) or a digest past that. Read during the call only,
 * so a caller may reuse one object for every summary it adds.
 */
export interface Summary {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  values?: ArrayLike<number> | null;
  digest?: QuantileDigest | null;
}

const QUANTILES: Partial<Record<Aggregation, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** Whether the aggregation is a quantile: those need each value, or a digest of them. */
export const isQuantile = (aggregation: Aggregation): boolean => QUANTILES[aggregation] !== undefined;

/** Up to this many values a bucket is sorted by insertion, in place, without a view of the pool. */
const SMALL = 16;

/** `quantileSorted` of `data[start, start + n)` after sorting that range in place by insertion. */
function quantileOfFew(data: Float64Array, start: number, n: number, p: number): number {
  if (n === 0) throw new RangeError('quantile needs at least 1 value, got 0');
  for (let i = start + 1; i < start + n; i++) {
    const v = data[i];
    let j = i - 1;
    for (; j >= start && data[j] > v; j--) data[j + 1] = data[j];
    data[j + 1] = v;
  }
  return quantileOfSortedRange(data, start, n, p);
}

/** Values of many cells in one growing array; a cell owns a range of it. */
class ValuePool {
  data = new Float64Array(4096);
  end = 0;

  /** The start of `n` free places at the end (the array may be replaced: read `data` after). */
  reserve(n: number): number {
    if (this.end + n > this.data.length) {
      const grown = new Float64Array(Math.max(2 * this.data.length, this.end + n));
      grown.set(this.data.subarray(0, this.end));
      this.data = grown;
    }
    const at = this.end;
    this.end += n;
    return at;
  }
}

/**
 * One series' buckets as columns: counts, sums and extremes in typed arrays, and for quantile
 * panels each bucket's values as a range of the builder's pool (digests past the exact limit
 * aside). A month of hourly buckets for hundreds of workflows is a hundred thousand buckets: an
 * object and an array for each were most of a panel's time.
 */
class Series {
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly start?: Int32Array;
  readonly length?: Int32Array;
  readonly capacity?: Int32Array;
  digests?: Map<number, QuantileDigest[]>;

  constructor(
    readonly labels: Record<string, string>,
    buckets: number,
    quantiles: boolean,
  ) {
    this.count = new Float64Array(buckets);
    this.sum = new Float64Array(buckets);
    this.min = new Float64Array(buckets).fill(Infinity);
    this.max = new Float64Array(buckets).fill(-Infinity);
    if (quantiles) {
      this.start = new Int32Array(buckets);
      this.length = new Int32Array(buckets);
      this.capacity = new Int32Array(buckets);
    }
  }
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
  /** Ratios (success rate): the cell's sum over its count, in percent. */
  ratio?: boolean;
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
 * Buckets by time and group: values from raw rows and summaries from rollups land in the same
 * buckets, so a panel can read whole hours from rollups and the range's ragged edges from rows.
 * Each group becomes one frame (Grafana's "multi-frame" time series).
 */
export class SeriesBuilder {
  private readonly starts: number[];
  private readonly first: number;
  private readonly groups = new Map<string, Series>();
  /** The panel's quantile, when it asks for one: only then are values kept. */
  private readonly quantile: number | undefined;
  private readonly pool = new ValuePool();

  constructor(
    private readonly range: { from: number; to: number },
    private readonly bucketMs: number,
    private readonly spec: SeriesSpec,
  ) {
    this.starts = bucketStarts(range, bucketMs);
    this.first = this.starts[0] ?? range.from;
    this.quantile = QUANTILES[spec.aggregation];
  }

  addValue(time: number, dims: Dims, value: number): void {
    const series = this.series(time, dims);
    if (!series) return;
    const i = this.index(time);
    series.count[i]++;
    series.sum[i] += value;
    if (value < series.min[i]) series.min[i] = value;
    if (value > series.max[i]) series.max[i] = value;
    if (this.quantile !== undefined) {
      // Placed first: making room may replace the pool's array.
      const at = this.place(series, i, 1);
      this.pool.data[at] = value;
    }
  }

  addSummary(time: number, dims: Dims, summary: Summary): void {
    if (summary.count <= 0) return;
    const series = this.series(time, dims);
    if (!series) return;
    const i = this.index(time);
    series.count[i] += summary.count;
    series.sum[i] += summary.sum;
    if (summary.min !== null && summary.min < series.min[i]) series.min[i] = summary.min;
    if (summary.max !== null && summary.max > series.max[i]) series.max[i] = summary.max;
    if (this.quantile === undefined) return;
    if (summary.values) {
      const at = this.place(series, i, summary.count);
      const data = this.pool.data;
      for (let k = 0; k < summary.count; k++) data[at + k] = summary.values[k];
    } else if (summary.digest) {
      const digests = (series.digests ??= new Map());
      const list = digests.get(i);
      if (list) list.push(summary.digest);
      else digests.set(i, [summary.digest]);
    }
  }

  frames(): Frame[] {
    const { spec } = this;
    if (this.groups.size === 0) return [emptyTimeSeries(spec)];
    return [...this.groups.values()]
      .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
      .map((series) => {
        const { labels } = series;
        const values = this.starts.map((_, i) => {
          const count = series.count[i];
          if (count === 0) return spec.emptyValue;
          if (spec.ratio) return (100 * series.sum[i]) / count;
          return this.aggregate(series, i);
        });
        // Without an alias a grouped series is named by its group ("Invoice Processing"), not
        // "run_duration avg {workflow=...}" as Grafana would make of name and labels.
        const grouped = Object.values(labels).join(' ');
        const displayName = spec.alias ? renderAlias(spec.alias, labels, spec.valueName) : grouped || undefined;
        const valueField: Field = {
          name: spec.valueName,
          type: 'number',
          config: { unit: spec.unit, ...(displayName ? { displayNameFromDS: displayName } : {}) },
          values,
        };
        if (Object.keys(labels).length) valueField.labels = labels;
        return { refId: spec.refId, name: displayName ?? spec.valueName, fields: [{ name: 'Time', type: 'time', values: this.starts }, valueField] };
      });
  }

  /** The value of a bucket for the panel's aggregation; `rate` is per minute (runs per minute read well). */
  private aggregate(series: Series, i: number): number {
    switch (this.spec.aggregation) {
      case 'count':
        return series.count[i];
      case 'sum':
        return series.sum[i];
      case 'rate':
        return series.sum[i] / (this.bucketMs / 60_000);
      case 'min':
        return series.min[i];
      case 'max':
        return series.max[i];
      case 'avg':
        return series.sum[i] / series.count[i];
      default:
        return this.bucketQuantile(series, i, this.quantile!);
    }
  }

  private bucketQuantile(series: Series, i: number, p: number): number {
    const start = series.start![i];
    const n = series.length![i];
    const digests = series.digests?.get(i);
    if (!digests) {
      // The bucket's own range of the pool: sorting it in place disturbs no other bucket.
      if (n > SMALL) return quantileSorted(this.pool.data.subarray(start, start + n).sort(), p);
      return quantileOfFew(this.pool.data, start, n, p);
    }
    if (digests.length === 1 && n === 0) return digests[0].quantile(p);
    const merged = new QuantileDigest();
    for (const digest of digests) merged.merge(digest);
    for (let k = 0; k < n; k++) merged.add(this.pool.data[start + k]);
    return merged.quantile(p);
  }

  /** Makes room for `n` more values in bucket `i` of `series`; where the first of them goes. */
  private place(series: Series, i: number, n: number): number {
    const start = series.start!;
    const length = series.length!;
    const capacity = series.capacity!;
    const used = length[i];
    if (used + n > capacity[i]) {
      // Most buckets get one summary: room for exactly that; a bucket that grows doubles.
      const room = used === 0 ? n : 2 * (used + n);
      const at = this.pool.reserve(room);
      if (used > 0) this.pool.data.copyWithin(at, start[i], start[i] + used);
      start[i] = at;
      capacity[i] = room;
    }
    length[i] = used + n;
    return start[i] + used;
  }

  private index(time: number): number {
    return Math.floor((time - this.first) / this.bucketMs);
  }

  private series(time: number, dims: Dims): Series | undefined {
    if (time < this.first || time >= this.range.to) return undefined;
    const { groupBy } = this.spec;
    const key = groupBy.length === 1 ? (dims[groupBy[0]] ?? '') : groupBy.map((dim) => dims[dim] ?? '').join('\u0000');
    let series = this.groups.get(key);
    if (!series) {
      const labels: Record<string, string> = {};
      for (const dim of groupBy) labels[dim] = dims[dim] ?? '';
      series = new Series(labels, this.starts.length, this.quantile !== undefined);
      this.groups.set(key, series);
    }
    return series;
  }
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
