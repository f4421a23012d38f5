import { LoadingState, toDataFrame, type DataFrame, type DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';
import type { Frame, LiveResponse, QueryResponse } from '@rpa-analytics/contract/queryContract';
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
  /** Re-queried panels (time series) update at most this often (ms). */
  minRefreshMs?: number;
  /** Waits after failures to load the range grow from the first to the last (ms). */
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
      this.rows.set(
        id,
        frame.fields.map((f) => f.values[i]),
      );
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

/** `promise`, or a rejection as soon as `signal` aborts (a cancelled request may never settle). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = () => reject(new Error('cancelled'));
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}

/** The most queries one change-feed request carries (the collector's limit). */
export const MAX_LIVE_QUERIES = 50;

/** One live query as the feed carries it. */
export interface FeedMember {
  /** Its target as sent, under a refId no other member has. */
  wire: Record<string, unknown> & { refId: string };
  /** Where it has read the change feed up to. */
  cursor: number;
  /** What changed for it (nothing when the long poll ended quiet), and whether the feed was failing before. */
  onResult(result: LiveResponse['results'][string] | undefined, recovered: boolean): void;
  onError(error: Error): void;
  /** The collector's feed no longer reaches back to its cursor (410): it starts over from its range. */
  onReset(): void;
}

/**
 * The change feed of one data source, shared by all its live queries: one long poll at a time,
 * however many live panels a dashboard has. Grafana runs at most 5 data requests at once, for
 * every panel of a page: a long poll each would hold them all and starve the other panels. A
 * query joining or leaving restarts the poll with the queries there are then, from the earliest
 * cursor among them (a query that joined later gets what it already had again: rows are merged,
 * series asked again).
 */
export class LiveFeed {
  private readonly members = new Set<FeedMember>();
  private poll?: AbortController;
  private running = false;
  private nextId = 0;
  private readonly waitMs: number;
  private readonly retryMs: readonly number[];

  constructor(
    readonly transport: LiveTransport,
    options: { waitMs?: number; retryMs?: readonly number[] } = {},
  ) {
    this.waitMs = options.waitMs ?? 10_000;
    this.retryMs = options.retryMs ?? [500, 1000, 2000, 5000];
  }

  /** A refId for a new member's query, unique in this feed (within the collector's 64 characters). */
  refIdFor(refId: string): string {
    return `${++this.nextId}:${refId}`.slice(0, 64);
  }

  /** How many live queries it carries. */
  get size(): number {
    return this.members.size;
  }

  /** Adds `member` to the poll; the function returned takes it off. */
  join(member: FeedMember): () => void {
    if (this.members.size >= MAX_LIVE_QUERIES) throw new Error(`at most ${MAX_LIVE_QUERIES} live queries on one data source at once`);
    this.members.add(member);
    this.restart();
    return () => {
      if (this.members.delete(member)) this.restart();
    };
  }

  private restart(): void {
    this.poll?.abort();
    if (this.running || this.members.size === 0) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.members.size > 0) this.restart();
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.members.size > 0) {
      const members = [...this.members];
      const controller = (this.poll = new AbortController());
      const cursor = Math.min(...members.map((m) => m.cursor));
      try {
        const body = { cursor, waitMs: this.waitMs, targets: members.map((m) => m.wire) };
        const answer = await untilAborted(this.transport.call<LiveResponse>('POST', '/query/changes', body, controller.signal), controller.signal);
        const recovered = failures > 0;
        failures = 0;
        for (const member of members) {
          if (!this.members.has(member)) continue;
          member.cursor = Math.max(member.cursor, answer.cursor);
          member.onResult(answer.results[member.wire.refId], recovered);
        }
      } catch (error) {
        // Aborted: the members changed; ask again with those there are now.
        if (controller.signal.aborted) continue;
        if (error instanceof CollectorRequestError && error.status === 410) {
          for (const member of members) if (this.members.delete(member)) member.onReset();
          continue;
        }
        for (const member of members) if (this.members.has(member)) member.onError(error as Error);
        await sleep(this.retryMs[Math.min(failures, this.retryMs.length - 1)], controller.signal);
        failures++;
      }
    }
  }
}

/**
 * One live query as an Observable of panel data with state Streaming: first the range's answer,
 * then, from the data source's shared change feed (`LiveFeed`), new executions as rows
 * (executions queries) or the query asked again over the moving range (time series). A lost
 * collector pauses it (the panel keeps its data and shows the error) and it resumes from its
 * cursor, so no row comes twice and none is missed. Unsubscribing (the panel goes away) takes it
 * off the feed and cancels its own request in flight.
 */
export function liveQuery(target: RpaQuery, wire: Record<string, unknown>, feed: LiveFeed, options: LiveOptions): Observable<DataQueryResponse> {
  const key = `rpa-live-${target.refId}`;
  const minRefreshMs = options.minRefreshMs ?? 1000;
  const retryMs = options.retryMs ?? [500, 1000, 2000, 5000];
  const transport = feed.transport;
  return new Observable<DataQueryResponse>((subscriber) => {
    const controller = new AbortController();
    const signal = controller.signal;
    let frames: DataFrame[] = [];
    let table = new LiveTable(Math.min(target.topN ?? 100, 1000));
    let leave: (() => void) | undefined;
    let lastRefresh = 0;
    let refreshing = false;
    let refreshAgain = false;
    const emit = (error?: string) =>
      subscriber.next({ key, state: LoadingState.Streaming, data: frames, ...(error ? { errors: [{ message: error, refId: target.refId }] } : {}) });
    const paused = (error: unknown) => emit(`Live updates paused: ${(error as Error).message}. Retrying.`);
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
      const response = await transport.call<QueryResponse>(
        'POST',
        '/query',
        { range: range(), intervalMs: options.intervalMs, maxDataPoints: options.maxDataPoints, targets: [wire] },
        signal,
      );
      const answer = response.results[target.refId]?.frames ?? [];
      if (target.queryType === 'executions') {
        table = new LiveTable(table.limit);
        showTable(answer);
      } else {
        frames = answer.map((f) => toDataFrame(f));
      }
    };
    // A time series is asked again over the moving range, at most every `minRefreshMs`; changes
    // meanwhile make one more.
    const refresh = async () => {
      if (refreshing) {
        refreshAgain = true;
        return;
      }
      refreshing = true;
      try {
        do {
          refreshAgain = false;
          await sleep(Math.max(0, lastRefresh + minRefreshMs - Date.now()), signal);
          if (signal.aborted) return;
          await load();
          lastRefresh = Date.now();
          emit();
        } while (refreshAgain && !signal.aborted);
      } catch (error) {
        // The next change asks again.
        if (!signal.aborted) paused(error);
      } finally {
        refreshing = false;
      }
    };
    const member: Omit<FeedMember, 'cursor'> = {
      wire: { ...wire, refId: feed.refIdFor(target.refId) },
      onResult: (result, recovered) => {
        if (result?.changed && target.queryType === 'executions') {
          showTable(result.frames);
          emit();
        } else if (result?.changed) void refresh();
        else if (recovered) emit();
      },
      onError: paused,
      onReset: () => {
        leave = undefined;
        void start();
      },
    };
    // The cursor first, then the range: a run landing in between comes in both and is merged.
    const start = async () => {
      for (let failures = 0; !signal.aborted; failures++) {
        try {
          const latest = (await transport.call<{ cursor: number }>('GET', '/changes?cursor=latest', undefined, signal)).cursor;
          await load();
          lastRefresh = Date.now();
          if (signal.aborted) return;
          emit();
          leave = feed.join({ ...member, cursor: latest });
          return;
        } catch (error) {
          if (signal.aborted) return;
          paused(error);
          await sleep(retryMs[Math.min(failures, retryMs.length - 1)], signal);
        }
      }
    };
    void start();
    return () => {
      controller.abort();
      leave?.();
    };
  });
}
