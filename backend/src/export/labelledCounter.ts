import type { Registry } from 'prom-client';

export interface Incrementer {
  inc(value?: number): void;
}

/**
 * A Prometheus counter whose children count in one addition: prom-client's children validate and
 * hash their labels on every call, and the ingest path counts every finished run. Exposed exactly
 * as prom-client's `Counter` with the same name, help and increments (a test holds them equal).
 */
export class LabelledCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    registers: Registry[],
  ) {
    // prom-client's registry takes any object with the Metric shape it reads.
    for (const registry of registers) registry.registerMetric(this as never);
  }

  /** The child for these label values, to keep and increment many times. */
  child(labels: Record<string, string>): Incrementer {
    const key = JSON.stringify(labels);
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { labels: { ...labels }, value: 0 }));
    const found = series;
    return {
      inc(value = 1): void {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        if (value < 0) throw new Error('It is not possible to decrease a counter');
        found.value += value;
      },
    };
  }

  reset(): void {
    this.series = new Map();
  }

  /** As prom-client's registry reads a counter, for text and JSON alike. */
  get() {
    const values = [...this.series.values()].map(({ labels, value }) => ({ value, labels: { ...labels } }));
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }
}
