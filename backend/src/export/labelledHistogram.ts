import type { Registry } from 'prom-client';

export interface Observer {
  observe(value: number): void;
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative), in the order of the upper bounds. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram whose children observe in a few operations: prom-client's children
 * validate and hash their labels on every observation, and the ingest path observes every step of
 * every finished run. Exposed exactly as prom-client's `Histogram` with the same name, help,
 * buckets and observations (a test holds them equal).
 */
export class LabelledHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registers: Registry[],
  ) {
    // prom-client's registry takes any object with the Metric shape it reads.
    for (const registry of registers) registry.registerMetric(this as never);
  }

  /** The child for these label values, to keep and observe many times. */
  child(labels: Record<string, string>): Observer {
    const key = JSON.stringify(labels);
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { labels: { ...labels }, counts: new Float64Array(this.upperBounds.length), sum: 0, count: 0 }));
    const { upperBounds } = this;
    const found = series;
    return {
      observe(value: number): void {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        for (let i = 0; i < upperBounds.length; i++) {
          if (value <= upperBounds[i]) {
            found.counts[i]++;
            break;
          }
        }
        found.sum += value;
        found.count++;
      },
    };
  }

  reset(): void {
    this.series = new Map();
  }

  /** The values as prom-client's registry formats them: labels apart from the series' own. */
  getForPromString() {
    const values = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        cumulative += counts[i];
        values.push({ labels: { le: this.upperBounds[i] }, sharedLabels: labels, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: `${this.name}_bucket`, exemplar: null },
        { labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As JSON (`Registry.getMetricsAsJSON`): every value's labels in one object. */
  get() {
    const data = this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, ...value }) => ({ ...value, labels: { ...labels, ...sharedLabels } })) };
  }
}
