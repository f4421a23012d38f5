import type { Collector } from '../server';
import { postJson, startCollector, tempDir } from '../testing/harness';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);

describe('query cache', () => {
  let collector: Collector;
  const tmp = tempDir();
  const run = (id: string, startedAt: number) => ({ id, workflow: 'Claims', startedAt, endedAt: startedAt + 60_000, status: 'completed' });
  const runsIn7Days = async () => {
    const { body } = await postJson(`${collector.url}/api/v1/query`, {
      range: { from: T0, to: T0 + 7 * DAY },
      intervalMs: DAY,
      maxDataPoints: 100,
      targets: [{ refId: 'A', queryType: 'timeseries', metric: 'runs' }],
    });
    return (body.results.A.frames[0].fields[1].values as number[]).reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    collector = await startCollector(tmp.dir);
    await postJson(`${collector.url}/api/v1/ingest`, { executions: [run('a', T0 + DAY), run('b', T0 + 2 * DAY)] });
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it('answers a repeated panel query from the cache', async () => {
    const cache = collector.queries.cache;
    expect(await runsIn7Days()).toBe(2);
    const hits = cache.hits;
    expect(await runsIn7Days()).toBe(2);
    expect(cache.hits).toBe(hits + 1);
  });

  it('when another panel asks the same query under another refId, then the cached answer comes under its refId', async () => {
    const cache = collector.queries.cache;
    const ask = (refId: string) =>
      postJson(`${collector.url}/api/v1/query`, {
        range: { from: T0, to: T0 + 7 * DAY },
        intervalMs: DAY,
        maxDataPoints: 100,
        targets: [{ refId, queryType: 'timeseries', metric: 'runs', groupBy: ['workflow'] }],
      });
    const first = await ask('A');
    const hits = cache.hits;
    const second = await ask('Other');
    expect(cache.hits).toBe(hits + 1);
    expect(Object.keys(second.body.results)).toEqual(['Other']);
    expect(second.body.results.Other.frames).toEqual(first.body.results.A.frames.map((f: object) => ({ ...f, refId: 'Other' })));
  });

  it('when a batch lands inside the cached range, then the next answer includes it (never stale)', async () => {
    await postJson(`${collector.url}/api/v1/ingest`, { executions: [run('c', T0 + 3 * DAY)] });
    expect(await runsIn7Days()).toBe(3);
  });

  it('when a batch lands outside every cached range, then cached answers stay', async () => {
    const cache = collector.queries.cache;
    expect(await runsIn7Days()).toBe(3);
    await postJson(`${collector.url}/api/v1/ingest`, { executions: [run('far', T0 + 60 * DAY)] });
    const hits = cache.hits;
    expect(await runsIn7Days()).toBe(3);
    expect(cache.hits).toBe(hits + 1);
  });

  it('when a step is added to a cached range, then step queries see it', async () => {
    const steps = async () => {
      const { body } = await postJson(`${collector.url}/api/v1/query`, {
        range: { from: T0, to: T0 + 7 * DAY },
        intervalMs: DAY,
        maxDataPoints: 100,
        targets: [{ refId: 'S', queryType: 'timeseries', metric: 'step_duration', aggregation: 'sum' }],
      });
      return (body.results.S.frames[0].fields[1].values as Array<number | null>).reduce<number>((a, b) => a + (b ?? 0), 0);
    };
    expect(await steps()).toBe(0);
    await postJson(`${collector.url}/api/v1/ingest`, {
      executions: [{ ...run('d', T0 + 4 * DAY), status: 'running', endedAt: undefined }],
      steps: [{ executionId: 'd', index: 0, name: 'Login', startedAt: T0 + 4 * DAY, durationMs: 500 }],
    });
    await postJson(`${collector.url}/api/v1/executions/d/complete`, { status: 'completed', endedAt: T0 + 4 * DAY + 60_000 });
    expect(await steps()).toBe(500);
  });
});
