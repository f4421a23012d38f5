import type { Frame, QueryRequest, QueryTarget } from '@rpa-analytics/contract';
import type { IngestBatch } from '@rpa-analytics/contract';

/** Query types whose answer depends only on stored runs and samples, not on analysis passes. */
const CACHEABLE = new Set(['timeseries', 'resources', 'stats', 'comparison', 'bottlenecks', 'trend', 'success', 'degradation']);

interface Entry {
  from: number;
  to: number;
  /** The frames as JSON, with `refId` in them. */
  json: string;
  refId: string;
}

/** Stable JSON: the same query with its keys in another order is the same key. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Answers of panel queries, keyed on the normalised query (target without its refId, range,
 * interval). A batch that lands inside an entry's range drops it, so the cache never answers
 * with data older than what was acknowledged. Least recently used entries go first.
 */
export class QueryCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity = 500) {}

  key(target: QueryTarget, request: QueryRequest): string | undefined {
    if (!CACHEABLE.has(target.queryType) || target.live) return undefined;
    const { refId: _refId, hide: _hide, ...query } = target;
    return canonical({ query, range: request.range, intervalMs: request.intervalMs, maxDataPoints: request.maxDataPoints });
  }

  /** The frames' JSON for a query, with `refId` in them. */
  get(key: string, refId: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    // Another panel asking the same: its own refId in the frames (rare, so parsed again).
    if (entry.refId !== refId) return JSON.stringify((JSON.parse(entry.json) as Frame[]).map((frame) => ({ ...frame, refId })));
    return entry.json;
  }

  set(key: string, range: { from: number; to: number }, refId: string, json: string): void {
    this.entries.set(key, { ...range, refId, json });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Drops every entry whose range the batch's records fall into. */
  invalidate(batch: IngestBatch): void {
    const times: number[] = [];
    for (const e of batch.executions) times.push(e.startedAt, e.endedAt ?? e.startedAt);
    for (const s of batch.steps) times.push(s.startedAt);
    for (const s of batch.samples) times.push(s.time);
    if (times.length === 0 || this.entries.size === 0) return;
    let from = Infinity;
    let to = -Infinity;
    for (const t of times) {
      if (t < from) from = t;
      if (t > to) to = t;
    }
    // Panels bucket from the start of the bucket that holds `range.from`: widen by a day to be safe.
    for (const [key, entry] of this.entries) {
      if (from < entry.to && to >= entry.from - 86_400_000) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
