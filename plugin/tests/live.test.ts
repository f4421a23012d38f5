import { dateTime, LoadingState, type DataFrame, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import { setBackendSrv, setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { isObservable, type Subscription } from 'rxjs';
import { DataSource } from '../src/datasource';
import { LiveTable } from '../src/live';
import type { RpaQuery } from '../src/types';
import { httpRequest, startCollectorProcess, type CollectorProcess } from './collectorProcess';
import { asBackendSrv, ProxyBackendSrv, StandInTemplateSrv, dataSourceSettings } from './grafanaStandIns';

const HOUR = 3_600_000;

/** "Last 6 hours": a range that ends now, as a dashboard's default time picker gives. */
function lastHours(targets: RpaQuery[], hours = 6): DataQueryRequest<RpaQuery> {
  const to = dateTime(Date.now());
  const from = dateTime(Date.now() - hours * HOUR);
  return {
    requestId: 'live',
    interval: '1m',
    intervalMs: 60_000,
    maxDataPoints: 500,
    range: { from, to, raw: { from: `now-${hours}h`, to: 'now' } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  } as DataQueryRequest<RpaQuery>;
}

function execution(id: string, minutesAgo: number, status = 'completed') {
  const startedAt = Date.now() - minutesAgo * 60_000;
  return status === 'running'
    ? { id, workflow: 'Claims', host: 'host-1', robot: 'bot-1', startedAt, status }
    : { id, workflow: 'Claims', host: 'host-1', robot: 'bot-1', startedAt, endedAt: startedAt + 20_000, durationMs: 20_000, status };
}

/** Every emission of a live query, and a way to wait for one that satisfies a condition. */
class Recorder {
  readonly emissions: Array<{ at: number; response: DataQueryResponse }> = [];
  private waiters: Array<() => void> = [];
  subscription?: Subscription;

  record = (response: DataQueryResponse) => {
    this.emissions.push({ at: Date.now(), response });
    for (const wake of this.waiters.splice(0)) wake();
  };

  async until(test: (response: DataQueryResponse) => boolean, timeoutMs = 20_000): Promise<{ at: number; response: DataQueryResponse }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.emissions.find((e) => test(e.response));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no such emission within ${timeoutMs} ms; last: ${JSON.stringify(this.emissions.at(-1)?.response.errors ?? ids(this.emissions.at(-1)?.response))}`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

function ids(response?: DataQueryResponse): string[] {
  const frame = response?.data[0] as DataFrame | undefined;
  return (frame?.fields.find((f) => f.name === 'Execution')?.values ?? []) as string[];
}

/**
 * That live queries are done with: their poll cancelled (none in flight, polled for up to 10 s; a
 * poll still going would be sent again at once), and nothing sent to the collector after a run
 * lands in it (`land`).
 */
async function expectNoMoreRequests(proxy: ProxyBackendSrv, land: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 100 && (proxy.inFlight.get('/query/changes') ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(proxy.inFlight.get('/query/changes')).toBe(0);
  const sent = proxy.sent.length;
  await land();
  await new Promise((r) => setTimeout(r, 1000));
  expect(proxy.sent.length).toBe(sent);
}

describe('a live executions panel against a real collector (Grafana proxy stood in: no Grafana server here)', () => {
  let collector: CollectorProcess;
  let proxy: ProxyBackendSrv;
  let ds: DataSource;
  const post = (body: unknown) => httpRequest('POST', `${collector.url}/api/v1/ingest`, {}, body);

  beforeAll(async () => {
    collector = await startCollectorProcess();
    proxy = new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: collector.url }, {});
    setBackendSrv(asBackendSrv(proxy));
    setTemplateSrv(new StandInTemplateSrv() as unknown as TemplateSrv);
    ds = new DataSource(dataSourceSettings(collector.url));
    expect((await post({ executions: [execution('old-1', 30), execution('old-2', 20)] })).status).toBe(200);
  }, 60_000);
  afterAll(async () => collector?.stop());

  it('streams new runs through the change feed, never twice, and resumes after the collector restarts', async () => {
    const answer = ds.query(lastHours([{ refId: 'L', queryType: 'executions', live: true }]));
    expect(isObservable(answer)).toBe(true);
    const recorder = new Recorder();
    if (!isObservable(answer)) return;
    recorder.subscription = answer.subscribe(recorder.record);
    try {
      const first = await recorder.until((r) => ids(r).length === 2);
      expect(first.response.state).toBe(LoadingState.Streaming);
      expect(first.response.key).toBe('rpa-live-L');
      expect(ids(first.response)).toEqual(['old-2', 'old-1']);

      // Recorded after the query started: it arrives through the change feed's long poll, with no
      // new read of the range (how soon is the feed's business: a poll answers on the change).
      const before = proxy.sent.length;
      expect((await post({ executions: [execution('new-1', 1, 'running')] })).status).toBe(200);
      await recorder.until((r) => ids(r).includes('new-1'));
      expect(new Set(proxy.sent.slice(before).map((r) => new URL(r.url).pathname))).toEqual(new Set(['/api/v1/query/changes']));

      // The same run completed, and then the same batch retried: one row, in its latest state.
      expect((await post({ executions: [execution('new-1', 1, 'completed')] })).status).toBe(200);
      expect((await post({ executions: [execution('new-1', 1, 'completed')] })).status).toBe(200);
      const updated = await recorder.until((r) => {
        const frame = r.data[0] as DataFrame;
        const at = ids(r).indexOf('new-1');
        return at >= 0 && frame.fields.find((f) => f.name === 'Status')!.values[at] === 'completed';
      });
      expect(ids(updated.response)).toEqual(['new-1', 'old-2', 'old-1']);

      // The collector goes away: the panel keeps its rows and says it is paused.
      const port = new URL(collector.url).port;
      await collector.stop();
      const paused = await recorder.until((r) => (r.errors?.length ?? 0) > 0);
      expect(paused.response.errors![0].message).toMatch(/Live updates paused/);
      expect(ids(paused.response)).toEqual(['new-1', 'old-2', 'old-1']);

      // Back on the same port and database file: runs recorded since then arrive, nothing twice.
      collector = await startCollectorProcess({ RPA_PORT: port, RPA_DATA_DIR: collector.dataDir });
      expect((await post({ executions: [execution('after-restart', 0)] })).status).toBe(200);
      const resumed = await recorder.until((r) => ids(r).includes('after-restart') && !r.errors);
      expect(ids(resumed.response)).toEqual(['after-restart', 'new-1', 'old-2', 'old-1']);
      for (const { response } of recorder.emissions) expect(new Set(ids(response)).size).toBe(ids(response).length);
    } finally {
      recorder.subscription?.unsubscribe();
    }

    // Unsubscribed (the panel went away): its poll is cancelled and no more requests reach the
    // collector (a poll still going would be sent again at once).
    await expectNoMoreRequests(proxy, () => post({ executions: [execution('unseen', 0)] }));
  }, 90_000);

  it('re-asks a live time series over the moving range when runs land in it', async () => {
    const answer = ds.query(lastHours([{ refId: 'T', queryType: 'timeseries', metric: 'runs', aggregation: 'count', groupBy: ['workflow'], live: true }]));
    if (!isObservable(answer)) throw new Error('expected a live stream');
    const recorder = new Recorder();
    recorder.subscription = answer.subscribe(recorder.record);
    const total = (r: DataQueryResponse) =>
      (r.data as DataFrame[]).reduce((sum, f) => sum + (f.fields[1]?.values as number[]).reduce((a, b) => a + (b ?? 0), 0), 0);
    try {
      const first = await recorder.until(() => true);
      const before = total(first.response);
      expect(before).toBeGreaterThanOrEqual(4);
      await post({ executions: [execution('ts-1', 2), execution('ts-2', 3)] });
      const after = await recorder.until((r) => total(r) === before + 2);
      expect(after.response.state).toBe(LoadingState.Streaming);
    } finally {
      recorder.subscription.unsubscribe();
    }
  }, 60_000);

  it('answers queries without the Live switch once, as before', async () => {
    const answer = ds.query(lastHours([{ refId: 'A', queryType: 'executions' }]));
    expect(isObservable(answer)).toBe(false);
    expect(ids(await (answer as Promise<DataQueryResponse>))).toContain('old-1');
  });

  it('starts again from the range when the collector comes back with another database', async () => {
    const answer = ds.query(lastHours([{ refId: 'R', queryType: 'executions', live: true }]));
    if (!isObservable(answer)) throw new Error('expected a live stream');
    const recorder = new Recorder();
    recorder.subscription = answer.subscribe(recorder.record);
    try {
      await recorder.until((r) => ids(r).includes('old-1'));
      const port = new URL(collector.url).port;
      await collector.stop();
      await recorder.until((r) => (r.errors?.length ?? 0) > 0);
      // A fresh data directory: the panel's cursor is ahead of this feed (410), so it reloads.
      collector = await startCollectorProcess({ RPA_PORT: port });
      expect((await post({ executions: [execution('fresh-1', 0)] })).status).toBe(200);
      const reloaded = await recorder.until((r) => ids(r).includes('fresh-1') && !r.errors);
      expect(ids(reloaded.response)).toEqual(['fresh-1']);
    } finally {
      recorder.subscription.unsubscribe();
    }
  }, 60_000);
});

describe("live panels sharing a dashboard under Grafana's fetch queue (5 requests at once; modelled, no Grafana server here)", () => {
  let collector: CollectorProcess;
  const post = (body: unknown) => httpRequest('POST', `${collector.url}/api/v1/ingest`, {}, body);

  beforeAll(async () => {
    collector = await startCollectorProcess();
    setTemplateSrv(new StandInTemplateSrv() as unknown as TemplateSrv);
    expect((await post({ executions: [execution('q-old', 30)] })).status).toBe(200);
  }, 60_000);
  afterAll(async () => collector?.stop());

  it('when five live panels follow the collector, then one long poll serves them all, every panel gets new runs, and a plain panel is answered meanwhile', async () => {
    const proxy = new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: collector.url }, {}, 5);
    setBackendSrv(asBackendSrv(proxy));
    // One data source instance, as Grafana keeps one per data source for every panel of a page.
    const ds = new DataSource(dataSourceSettings(collector.url));
    const panels = Array.from({ length: 5 }, (_, i) => {
      const answer = ds.query(lastHours([{ refId: 'A', queryType: 'executions', live: true, topN: 10 + i }]));
      if (!isObservable(answer)) throw new Error('expected a live stream');
      const recorder = new Recorder();
      recorder.subscription = answer.subscribe(recorder.record);
      return recorder;
    });
    try {
      for (const panel of panels) await panel.until((r) => ids(r).includes('q-old'));
      // Every panel joined: the feed's poll is out (waiting at the collector for a change).
      const polling = async () => {
        for (let i = 0; i < 100 && (proxy.inFlight.get('/query/changes') ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 100));
        return proxy.inFlight.get('/query/changes') ?? 0;
      };
      expect(await polling()).toBe(1);

      // A plain panel while the poll waits: sent at once, never waiting in the queue (its time is
      // its time alone, whatever the live panels), and answered without a long poll coming back.
      // Five polls, one a panel, would fill the queue and hold it until one returned.
      const mark = proxy.events.length;
      const plain = ds.query(lastHours([{ refId: 'B', queryType: 'executions' }]));
      expect(ids(await (plain as Promise<DataQueryResponse>))).toContain('q-old');
      expect(proxy.events.slice(mark)).toEqual([
        { type: 'sent', path: '/query' },
        { type: 'done', path: '/query' },
      ]);

      // A new run reaches every panel through the one poll.
      expect((await post({ executions: [execution('q-new', 0)] })).status).toBe(200);
      for (const panel of panels) await panel.until((r) => ids(r).includes('q-new'));

      // A panel closed: the others follow on, still through one poll.
      panels[0].subscription!.unsubscribe();
      expect((await post({ executions: [execution('q-later', 0)] })).status).toBe(200);
      for (const panel of panels.slice(1)) await panel.until((r) => ids(r).includes('q-later'));
      expect(ids(panels[0].emissions.at(-1)!.response)).not.toContain('q-later');
      // Never more than one long poll at once, with five panels live.
      expect(proxy.mostInFlight.get('/query/changes')).toBe(1);
    } finally {
      for (const panel of panels) panel.subscription?.unsubscribe();
    }
    // All closed: nothing more is asked of the collector.
    await expectNoMoreRequests(proxy, () => post({ executions: [execution('q-unseen', 0)] }));
  }, 90_000);
});

describe('LiveTable', () => {
  const frame = (rows: Array<[number, string, string]>) => ({
    refId: 'L',
    name: 'Executions',
    fields: [
      { name: 'Time', type: 'time' as const, values: rows.map((r) => r[0]) },
      { name: 'Execution', type: 'string' as const, values: rows.map((r) => r[1]) },
      { name: 'Status', type: 'string' as const, values: rows.map((r) => r[2]) },
    ],
  });

  it('keeps one row per execution, the latest version, newest first, at most its limit', () => {
    const table = new LiveTable(3);
    table.merge(
      frame([
        [10, 'a', 'running'],
        [5, 'b', 'completed'],
      ]),
    );
    table.merge(
      frame([
        [10, 'a', 'failed'],
        [20, 'c', 'completed'],
        [30, 'd', 'completed'],
      ]),
    );
    const out = table.toDataFrame()!;
    expect(out.fields[1].values).toEqual(['d', 'c', 'a']);
    expect(out.fields[2].values).toEqual(['completed', 'completed', 'failed']);
    expect(table.size).toBe(3);
  });

  it('refuses a frame without a key field', () => {
    expect(() => new LiveTable(5).merge({ refId: 'X', fields: [{ name: 'Time', type: 'time', values: [1] }] })).toThrow(/no Execution or id field/);
  });
});
