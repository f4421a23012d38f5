import type { Anomaly, Insight } from '@rpa-analytics/contract';
import type { Execution, IngestBatch, ResourceSample, Step } from '@rpa-analytics/contract';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { collectorForTests, getJson, postJson, startCollector, tempDir } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;

function run(id: string, workflow: string, minute: number, status: Execution['status'] = 'completed'): Execution {
  const startedAt = T0 + minute * MIN;
  return status === 'running'
    ? { id, workflow, host: 'host-1', robot: 'bot-1', startedAt, status }
    : { id, workflow, host: 'host-1', robot: 'bot-1', startedAt, endedAt: startedAt + 30_000, durationMs: 30_000, status };
}

function step(executionId: string, index: number, minute: number): Step {
  return { executionId, index, name: `Step ${index}`, startedAt: T0 + minute * MIN + index * 1000, durationMs: 900, status: 'completed' };
}

function sample(host: string, minute: number, cpuPercent: number): ResourceSample {
  return {
    host,
    time: T0 + minute * MIN,
    cpuPercent,
    memoryUsedBytes: 1e9,
    memoryTotalBytes: 8e9,
    diskReadBytesPerSec: 0,
    diskWriteBytesPerSec: 0,
    netRxBytesPerSec: 0,
    netTxBytesPerSec: 0,
  };
}

const batch = (part: Partial<IngestBatch>): IngestBatch => ({ executions: [], steps: [], samples: [], ...part });

describe('change feed over HTTP', () => {
  const ctx = collectorForTests();
  const latest = async () => (await getJson(`${ctx.base}/changes?cursor=latest`)).body.cursor as number;
  const ingest = async (part: Partial<IngestBatch>) => expect((await postJson(`${ctx.base}/ingest`, batch(part))).status).toBe(200);

  it('when a batch lands after a cursor, then reading from it gives its executions with steps and its samples, once', async () => {
    const cursor = await latest();
    await ingest({
      executions: [run('a-1', 'Claims', 0), run('a-2', 'Invoices', 1)],
      steps: [step('a-1', 0, 0), step('a-1', 1, 0)],
      samples: [sample('host-1', 0, 42)],
    });
    const { status, body } = await getJson(`${ctx.base}/changes?cursor=${cursor}`);
    expect(status).toBe(200);
    expect(body.cursor).toBeGreaterThan(cursor);
    expect(body.more).toBe(false);
    expect(body.executions.map((e: Execution) => e.id).sort()).toEqual(['a-1', 'a-2']);
    expect(body.executions.find((e: Execution) => e.id === 'a-1').steps.map((s: Step) => s.name)).toEqual(['Step 0', 'Step 1']);
    expect(body.samples).toEqual([expect.objectContaining({ host: 'host-1', time: T0, cpuPercent: 42 })]);
    const again = await getJson(`${ctx.base}/changes?cursor=${body.cursor}`);
    expect(again.body).toEqual({ cursor: body.cursor, more: false, executions: [], samples: [], anomalies: [], insights: [] });
  });

  it('when a batch is sent again unchanged (a client retrying), then the feed carries nothing new; changed, then only what changed', async () => {
    const same = { executions: [run('r-1', 'Claims', 5), run('r-2', 'Claims', 6)], steps: [step('r-1', 0, 5)], samples: [sample('host-2', 5, 10)] };
    await ingest(same);
    const cursor = await latest();
    await ingest(same);
    expect((await getJson(`${ctx.base}/changes?cursor=${cursor}`)).body).toEqual({
      cursor,
      more: false,
      executions: [],
      samples: [],
      anomalies: [],
      insights: [],
    });
    await ingest({ ...same, executions: [run('r-1', 'Claims', 5), run('r-2', 'Claims', 6, 'failed')] });
    const { body } = await getJson(`${ctx.base}/changes?cursor=${cursor}`);
    expect([body.executions.map((e: Execution) => [e.id, e.status]), body.samples]).toEqual([[['r-2', 'failed']], []]);
  });

  it('when a run is started and completed between two reads, then it comes once, in its final state', async () => {
    const cursor = await latest();
    await ingest({ executions: [run('b-1', 'Claims', 5, 'running')] });
    await ingest({ steps: [step('b-1', 0, 5)] });
    await ingest({ executions: [run('b-1', 'Claims', 5, 'failed')] });
    const { body } = await getJson(`${ctx.base}/changes?cursor=${cursor}`);
    expect(body.executions).toHaveLength(1);
    expect(body.executions[0]).toMatchObject({ id: 'b-1', status: 'failed', durationMs: 30_000 });
    expect(body.executions[0].steps).toHaveLength(1);
  });

  it('when a page holds fewer writes than waited, then more is true and the next page goes on from its cursor', async () => {
    const cursor = await latest();
    for (let i = 0; i < 3; i++) await ingest({ executions: [run(`c-${i}`, 'Claims', 10 + i)] });
    const first = await getJson(`${ctx.base}/changes?cursor=${cursor}&limit=2`);
    expect(first.body.more).toBe(true);
    expect(first.body.executions.map((e: Execution) => e.id)).toEqual(['c-0', 'c-1']);
    const second = await getJson(`${ctx.base}/changes?cursor=${first.body.cursor}&limit=2`);
    expect(second.body.more).toBe(false);
    expect(second.body.executions.map((e: Execution) => e.id)).toEqual(['c-2']);
  });

  it('when a batch is refused, then the feed does not move', async () => {
    const cursor = await latest();
    const refused = await postJson(`${ctx.base}/ingest`, batch({ executions: [run('d-1', 'Claims', 20)], steps: [step('nobody', 0, 20)] }));
    expect(refused.status).toBe(400);
    expect(await latest()).toBe(cursor);
  });

  it('when a long poll waits, then a batch written meanwhile answers it at once', async () => {
    const cursor = await latest();
    const started = Date.now();
    const polled = getJson(`${ctx.base}/changes?cursor=${cursor}&waitMs=20000`);
    await new Promise((r) => setTimeout(r, 300));
    await ingest({ executions: [run('e-1', 'Claims', 30)] });
    const { body } = await polled;
    expect(body.executions.map((e: Execution) => e.id)).toEqual(['e-1']);
    // Woken by the write, not by the 20 s timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('when another connection writes during a long poll (the analysis worker, another collector), then the shared poll of the log wakes it', async () => {
    const cursor = await latest();
    const started = Date.now();
    const polled = getJson(`${ctx.base}/changes?cursor=${cursor}&waitMs=20000`);
    await new Promise((r) => setTimeout(r, 200));
    const other = new SqliteStore({ file: (ctx.collector.store as SqliteStore).file });
    other.ingest(batch({ executions: [run('o-1', 'Claims', 35)] }));
    other.close();
    const { body } = await polled;
    expect(body.executions.map((e: Execution) => e.id)).toEqual(['o-1']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('when nothing is written during a long poll, then it answers empty at its deadline with the same cursor', async () => {
    const cursor = await latest();
    const { body } = await getJson(`${ctx.base}/changes?cursor=${cursor}&waitMs=300`);
    expect(body).toEqual({ cursor, more: false, executions: [], samples: [], anomalies: [], insights: [] });
  });

  it.each([
    ['cursor=abc', 'cursor'],
    ['cursor=-1', 'cursor'],
    ['limit=0', 'limit'],
    ['waitMs=60000', 'waitMs'],
    ['colour=red', 'colour'],
  ])('when the query has %s, then 400 naming %s', async (query, field) => {
    const { status, body } = await getJson(`${ctx.base}/changes?${query}`);
    expect(status).toBe(400);
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('when the cursor is ahead of the feed (another database), then 410: start again', async () => {
    const { status, body } = await getJson(`${ctx.base}/changes?cursor=${(await latest()) + 100}`);
    expect(status).toBe(410);
    expect(body.error.message).toMatch(/ahead/);
  });

  it('when live queries ask what changed, then executions queries get their new rows and time series a changed flag', async () => {
    const cursor = await latest();
    await ingest({ executions: [run('f-1', 'Claims', 40), run('f-2', 'Invoices', 41, 'failed')], samples: [sample('host-9', 41, 12)] });
    const { status, body } = await postJson(`${ctx.base}/query/changes`, {
      cursor,
      targets: [
        { refId: 'A', queryType: 'executions', workflow: ['Invoices'] },
        { refId: 'B', queryType: 'timeseries', workflow: ['Payroll'], metric: 'run_duration' },
        { refId: 'C', queryType: 'resources', host: ['host-9'], metric: 'host_cpu' },
        { refId: 'D', queryType: 'executions', status: ['completed'], format: 'logs' },
        { refId: 'E', queryType: 'timeseries', metric: 'host_cpu', host: ['host-9'] },
        // One run's log, live: that run's lines only, not the fleet's runs.
        { refId: 'F', queryType: 'executions', execution: ['f-2'], format: 'logs' },
        { refId: 'G', queryType: 'executions', execution: ['nobody'] },
      ],
    });
    expect(status).toBe(200);
    expect(body.cursor).toBeGreaterThan(cursor);
    expect(body.results.A.changed).toBe(true);
    const table = body.results.A.frames[0];
    expect(table.fields.find((f: { name: string }) => f.name === 'Execution').values).toEqual(['f-2']);
    expect(table.fields.find((f: { name: string }) => f.name === 'Status').values).toEqual(['failed']);
    expect(body.results.B).toEqual({ changed: false, frames: [] });
    expect(body.results.C).toEqual({ changed: true, frames: [] });
    expect(body.results.E).toEqual({ changed: true, frames: [] });
    expect(body.results.D.frames[0].fields.find((f: { name: string }) => f.name === 'id').values).toEqual(['f-1']);
    const log = body.results.F.frames[0];
    expect(log.name).toBe('Run log');
    expect(log.fields.find((f: { name: string }) => f.name === 'body').values).toEqual([
      expect.stringMatching(/^Invoices started/),
      expect.stringMatching(/^Invoices failed in /),
    ]);
    expect(body.results.G).toEqual({ changed: false, frames: [] });
  });

  it('when a live query is not of a type that can follow changes, then 400', async () => {
    const { status, body } = await postJson(`${ctx.base}/query/changes`, { cursor: 0, targets: [{ refId: 'A', queryType: 'stats' }] });
    expect(status).toBe(400);
    expect(body.error.details[0].field).toBe('targets[0].queryType');
  });

  it('when the event stream is open, then each write arrives as an event with its cursor as id, and Last-Event-ID resumes after it', async () => {
    const cursor = await latest();
    const controller = new AbortController();
    const response = await fetch(`${ctx.base}/changes/stream?cursor=${cursor}`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    await ingest({ executions: [run('g-1', 'Claims', 50)] });
    let text = '';
    while (!/\n\n(id: \d+\nevent: changes\ndata: .*\n\n)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const [, id, data] = /id: (\d+)\nevent: changes\ndata: (.*)\n\n/.exec(text)!;
    expect(JSON.parse(data).executions.map((e: Execution) => e.id)).toEqual(['g-1']);
    controller.abort();

    await ingest({ executions: [run('g-2', 'Claims', 51)] });
    const resumed = new AbortController();
    const again = await fetch(`${ctx.base}/changes/stream`, { headers: { 'last-event-id': id }, signal: resumed.signal });
    const resumedReader = again.body!.getReader();
    let more = '';
    while (!/event: changes\ndata: .*\n\n/.test(more)) more += new TextDecoder().decode((await resumedReader.read()).value);
    const resumedData = /event: changes\ndata: (.*)\n\n/.exec(more)![1];
    expect(JSON.parse(resumedData).executions.map((e: Execution) => e.id)).toEqual(['g-2']);
    resumed.abort();
  });
});

describe('change feed in the store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: SqliteStore;
  beforeEach(() => {
    tmp = tempDir();
    store = new SqliteStore({ file: `${tmp.dir}/feed.db` });
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('when analysis commits anomalies and saves insights, then the feed carries them', () => {
    const cursor = store.latestChange();
    const anomaly = {
      id: 'an-1',
      seriesKey: 'run_duration|Claims',
      metric: 'run_duration',
      workflow: 'Claims',
      direction: 'high',
      status: 'open',
      startedAt: T0,
      lastSeenAt: T0,
      severity: 0.8,
      firstSeverity: 0.8,
      peakScore: 7,
      points: 1,
      expected: 1000,
      observed: 5000,
      escalationLevel: 0,
      description: 'slow',
      recommendedAction: 'look',
    } as Anomaly;
    store.commitAnalysis({ anomalies: [anomaly], incidents: [], detectorStates: new Map(), values: {} });
    store.saveInsights([
      {
        id: 'in-1',
        key: 'k',
        category: 'performance',
        workflow: 'Claims',
        status: 'open',
        priorityScore: 0.5,
        lastSeenAt: T0,
        title: 't',
      } as unknown as Insight,
    ]);
    const changes = store.changes(cursor, 10);
    expect(changes.anomalies.map((a) => a.id)).toEqual(['an-1']);
    expect(changes.insights.map((i) => i.id)).toEqual(['in-1']);
  });

  it('when the feed was pruned past a cursor, then reading from it is refused as gone, and from 0 starts at the oldest kept', () => {
    store.ingest(batch({ executions: [run('p-1', 'Claims', 0)] }));
    const first = store.latestChange();
    store.ingest(batch({ executions: [run('p-2', 'Claims', 1)] }));
    expect(store.pruneChanges(Date.now() + 1)).toBe(2);
    store.ingest(batch({ executions: [run('p-3', 'Claims', 2)] }));
    expect(() => store.changes(first, 10)).toThrow(expect.objectContaining({ code: 'gone' }));
    expect(store.changes(0, 10).executions.map((e) => e.id)).toEqual(['p-3']);
    expect(store.changes(store.latestChange() - 1, 10).executions.map((e) => e.id)).toEqual(['p-3']);
  });

  it('when the database is reopened, then cursors keep their meaning', () => {
    store.ingest(batch({ executions: [run('r-1', 'Claims', 0)] }));
    const cursor = store.latestChange();
    store.close();
    store = new SqliteStore({ file: `${tmp.dir}/feed.db` });
    expect(store.latestChange()).toBe(cursor);
    store.ingest(batch({ executions: [run('r-2', 'Claims', 1)] }));
    expect(store.changes(cursor, 10).executions.map((e) => e.id)).toEqual(['r-2']);
  });
});

describe('change feed when the collector stops', () => {
  it('ends open long polls and event streams, so stopping does not wait for them', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir);
    const base = `${collector.url}/api/v1`;
    const poll = fetch(`${base}/changes?cursor=latest&waitMs=30000`).then((r) => r.json());
    const stream = await fetch(`${base}/changes/stream`);
    const streamEnded = stream.text();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await collector.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await poll).toMatchObject({ executions: [] });
    await expect(streamEnded).resolves.toMatch(/^retry: 2000/);
    tmp.cleanup();
  });
});
