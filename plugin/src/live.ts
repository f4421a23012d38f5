import { LoadingState, toDataFrame, type DataFrame, type DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';
import type { Frame, LiveResponse, QueryResponse } from '../../backend/src/api/queryContract';
import type { RpaQuery } from './types';

/** Query types that can follow the collector live; the collector says the same (LIVE_QUERY_TYPES). */
export const LIVE_TYPES: ReadonlyArray<RpaQuery['queryType']> = ['executions', 'timeseries', 'resources'];

export function isLive(query: RpaQuery): boolean {
  return query.live === true && LIVE_TYPES.includes(query.queryType);
}

/** A failed call to the collector, with the HTTP status when there was an answer. */
export class CollectorRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The request fields the collector named as invalid (its 400's `details`), e.g. `targets[1].aggregation`. */
    readonly fields: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CollectorRequestError';
  }
}

/** What a live query needs from the data source: calls through the proxy route that can be cancelled. */
export interface LiveTransport {
  call<T>(method: 'GET' | 'POST', path: string, data: unknown, signal: AbortSignal): Promise<T>;
}

export interface LiveOptions {
  /** The panel's range; a range ending now moves with the clock on every update. */
  range: { from: number; to: number; followsNow: boolean };
  intervalMs?: number;
  maxDataPoints?: number;
  /** How long one long poll waits at the collector (ms). */
  waitMs?: number;
  /** Re-queried panels (time series) update at most this often (ms). */
  minRefreshMs?: number;
  /** Waits after failures grow from the first to the last (ms). */
  retryMs?: readonly number[];
}

/**
 * A table that live rows are merged into: one row per key (an execution's id), the latest
 * version of each, newest first, at most `limit` rows. A row seen again replaces itself.
 */
export class LiveTable {
  private schema?: Frame;
  private readonly rows = new Map<string, unknown[]>();

  constructor(readonly limit: number) {}

  merge(frame: Frame): void {
    this.schema ??= { ...frame, fields: frame.fields.map((f) => ({ ...f, values: [] })) };
    const key = keyField(frame);
    const length = frame.fields[0]?.values.length ?? 0;
    for (let i = 0; i < length; i++) {
      const id = String(frame.fields[key].values[i]);
      this.rows.delete(id);
      this.rows.set(id, frame.fields.map((f) => f.values[i]));
    }
    const time = frame.fields.findIndex((f) => f.type === 'time');
    const ordered = [...this.rows.entries()].sort((a, b) => Number(b[1][time]) - Number(a[1][time]));
    this.rows.clear();
    for (const [id, values] of ordered.slice(0, this.limit)) this.rows.set(id, values);
  }

  get size(): number {
    return this.rows.size;
  }

  toDataFrame(): DataFrame | undefined {
    if (!this.schema) return undefined;
    const rows = [...this.rows.values()];
    return toDataFrame({ ...this.schema, fields: this.schema.fields.map((f, i) => ({ ...f, values: rows.map((r) => r[i]) })) });
  }
}

/** Executions tables key their rows by `Execution`, log lines by `id`. */
function keyField(frame: Frame): number {
  const index = frame.fields.findIndex((f) => f.name === 'Execution' || f.name === 'id');
  if (index < 0) throw new Error(`live frame ${frame.name ?? ''} has no Execution or id field`);
  return index;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * One live query as an Observable of panel data with state Streaming: first the range's answer,
 * then, from the collector's change feed, new executions as rows (executions queries) or the
 * query asked again over the moving range (time series). A lost collector pauses it (the panel
 * keeps its data and shows the error) and it resumes from its cursor, so no row comes twice and
 * none is missed. Unsubscribing (the panel goes away) cancels the request in flight.
 */
export function liveQuery(target: RpaQuery, wire: Record<string, unknown>, transport: LiveTransport, options: LiveOptions): Observable<DataQueryResponse> {
  const key = `rpa-live-${target.refId}`;
  const waitMs = options.waitMs ?? 10_000;
  const minRefreshMs = options.minRefreshMs ?? 1000;
  const retryMs = options.retryMs ?? [500, 1000, 2000, 5000];
  return new Observable<DataQueryResponse>((subscriber) => {
    const controller = new AbortController();
    const signal = controller.signal;
    let frames: DataFrame[] = [];
    let table = new LiveTable(Math.min(target.topN ?? 100, 1000));
    const emit = (error?: string) => subscriber.next({ key, state: LoadingState.Streaming, data: frames, ...(error ? { errors: [{ message: error, refId: target.refId }] } : {}) });
    const range = () => {
      const width = options.range.to - options.range.from;
      const to = options.range.followsNow ? Date.now() : options.range.to;
      return { from: to - width, to };
    };
    const showTable = (rows: readonly Frame[]) => {
      for (const frame of rows) table.merge(frame);
      const frame = table.toDataFrame();
      frames = frame ? [frame] : [];
    };
    const load = async () => {
      const response = await transport.call<QueryResponse>('POST', '/query', { range: range(), intervalMs: options.intervalMs, maxDataPoints: options.maxDataPoints, targets: [wire] }, signal);
      const answer = response.results[target.refId]?.frames ?? [];
      if (target.queryType === 'executions') {
        table = new LiveTable(table.limit);
        showTable(answer);
      } else {
        frames = answer.map((f) => toDataFrame(f));
      }
    };

    const run = async () => {
      let cursor: number | undefined;
      let failures = 0;
      let lastRefresh = 0;
      while (!signal.aborted) {
        try {
          if (cursor === undefined) {
            // The cursor first, then the range: a run landing in between comes in both and is merged.
            const latest = (await transport.call<{ cursor: number }>('GET', '/changes?cursor=latest', undefined, signal)).cursor;
            await load();
            cursor = latest;
            lastRefresh = Date.now();
            emit();
          }
          const answer = await transport.call<LiveResponse>('POST', '/query/changes', { cursor, waitMs, targets: [wire] }, signal);
          const recovered = failures > 0;
          failures = 0;
          cursor = answer.cursor;
          const result = answer.results[target.refId];
          if (result?.changed && target.queryType === 'executions') {
            showTable(result.frames);
            emit();
          } else if (result?.changed) {
            await sleep(Math.max(0, lastRefresh + minRefreshMs - Date.now()), signal);
            await load();
            lastRefresh = Date.now();
            emit();
          } else if (recovered) {
            emit();
          }
        } catch (error) {
          if (signal.aborted) break;
          if (error instanceof CollectorRequestError && error.status === 410) {
            // The collector's feed no longer reaches back to our cursor: start over from the range.
            cursor = undefined;
            continue;
          }
          emit(`Live updates paused: ${(error as Error).message}. Retrying.`);
          await sleep(retryMs[Math.min(failures, retryMs.length - 1)], signal);
          failures++;
        }
      }
    };
    run().catch((error) => subscriber.error(error));
    return () => controller.abort();
  });
}
