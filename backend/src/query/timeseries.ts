import type { Aggregation, Field, Frame, GroupBy } from '../api/queryContract';
import { QuantileDigest } from '../analysis/quantileDigest';
import { quantileSorted, sortedCopy } from '../analysis/stats';
import { bucketStarts } from './buckets';

export type Dims = Partial<Record<GroupBy, string>>;

/** A summary from a rollup row: count, sum, min, max and, for durations, a quantile digest. */
export interface Summary {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  digest?: QuantileDigest;
}

/** What one bucket of one series has gathered, from raw values and rollup summaries alike. */
class Cell {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  // Made when first needed: a month of hourly cells per series is many cells, most of them
  // holding one rollup summary and no raw values.
  values?: number[];
  digests?: QuantileDigest[];

  addValue(value: number): void {
    this.count++;
    this.sum += value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    (this.values ??= []).push(value);
  }

  addSummary(summary: Summary): void {
    this.count += summary.count;
    this.sum += summary.sum;
    if (summary.min !== null) this.min = Math.min(this.min, summary.min);
    if (summary.max !== null) this.max = Math.max(this.max, summary.max);
    if (summary.digest) (this.digests ??= []).push(summary.digest);
  }

  quantile(p: number): number {
    const values = this.values ?? [];
    if (!this.digests) return quantileSorted(sortedCopy(values), p);
    // A whole bucket from one rollup row (the common case of hourly panels): nothing to merge.
    if (this.digests.length === 1 && values.length === 0) return this.digests[0].quantile(p);
    const merged = new QuantileDigest();
    for (const digest of this.digests) merged.merge(digest);
    for (const v of values) merged.add(v);
    return merged.quantile(p);
  }
}

const QUANTILES: Partial<Record<Aggregation, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** The value of a bucket for an aggregation; `rate` is per minute (runs per minute read well). */
export function aggregateCell(cell: Cell, aggregation: Aggregation, bucketMs: number): number {
  switch (aggregation) {
    case 'count':
      return cell.count;
    case 'sum':
      return cell.sum;
    case 'rate':
      return cell.sum / (bucketMs / 60_000);
    case 'min':
      return cell.min;
    case 'max':
      return cell.max;
    case 'avg':
      return cell.sum / cell.count;
    default:
      return cell.quantile(QUANTILES[aggregation]!);
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
 * cells, so a panel can read whole hours from rollups and the range's ragged edges from rows.
 * Each group becomes one frame (Grafana's "multi-frame" time series).
 */
export class SeriesBuilder {
  private readonly starts: number[];
  private readonly first: number;
  private readonly groups = new Map<string, { labels: Record<string, string>; cells: Array<Cell | undefined> }>();

  constructor(
    private readonly range: { from: number; to: number },
    private readonly bucketMs: number,
    private readonly spec: SeriesSpec,
  ) {
    this.starts = bucketStarts(range, bucketMs);
    this.first = this.starts[0] ?? range.from;
  }

  addValue(time: number, dims: Dims, value: number): void {
    this.cell(time, dims)?.addValue(value);
  }

  addSummary(time: number, dims: Dims, summary: Summary): void {
    if (summary.count > 0) this.cell(time, dims)?.addSummary(summary);
  }

  frames(): Frame[] {
    const { spec } = this;
    if (this.groups.size === 0) return [emptyTimeSeries(spec)];
    return [...this.groups.values()]
      .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
      .map(({ labels, cells }) => {
        const values = this.starts.map((_, i) => {
          const cell = cells[i];
          if (!cell || cell.count === 0) return spec.emptyValue;
          if (spec.ratio) return (100 * cell.sum) / cell.count;
          return aggregateCell(cell, spec.aggregation, this.bucketMs);
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

  private cell(time: number, dims: Dims): Cell | undefined {
    if (time < this.first || time >= this.range.to) return undefined;
    const { groupBy } = this.spec;
    const key = groupBy.length === 1 ? (dims[groupBy[0]] ?? '') : groupBy.map((dim) => dims[dim] ?? '').join('\u0000');
    let group = this.groups.get(key);
    if (!group) {
      const labels: Record<string, string> = {};
      for (const dim of groupBy) labels[dim] = dims[dim] ?? '';
      group = { labels, cells: new Array<Cell | undefined>(this.starts.length) };
      this.groups.set(key, group);
    }
    const index = Math.floor((time - this.first) / this.bucketMs);
    return (group.cells[index] ??= new Cell());
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
