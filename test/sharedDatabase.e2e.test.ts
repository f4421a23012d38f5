import type { ChildProcess } from 'node:child_process';
import { HttpTransport } from '../backend/src/collect/transport';
import type { IngestBatch } from '../backend/src/domain/types';
import { INCIDENT_KINDS } from '../backend/src/sim/incidents';
import { runSimulation } from '../backend/src/sim/simulator';
import { spawnCollector } from '../backend/src/testing/collectorProcess';
import { tempDir } from '../backend/src/testing/harness';
import { type PostgresCluster, startPostgres } from '../backend/src/testing/postgresCluster';

/**
 * Two collector processes on one PostgreSQL (Debian's `postgresql`, a throwaway cluster on
 * 127.0.0.1), as behind a load balancer, beside one collector on SQLite fed the same fleet.
 */
describe('two collectors sharing one PostgreSQL', () => {
  const tmp = tempDir();
  let pg: PostgresCluster;
  const collectors: Array<{ child: ChildProcess; url: string }> = [];
  let reference: { child: ChildProcess; url: string };
  const END = Date.UTC(2026, 10, 20);

  const health = async (url: string) => (await (await fetch(`${url}/api/v1/health`)).json()) as { database: { executions: number; steps: number; samples: number }; analysis: { leading: boolean } };
  const query = async (url: string, body: unknown) => (await (await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as unknown;

  beforeAll(async () => {
    pg = await startPostgres();
    for (const name of ['a', 'b']) {
      collectors.push(await spawnCollector({ RPA_STORE: pg.url, RPA_DATA_DIR: `${tmp.dir}/${name}`, RPA_ANALYSIS: 'on', RPA_ANALYSIS_INTERVAL_MS: '1000', RPA_LOG_LEVEL: 'info' }));
    }
    reference = await spawnCollector({ RPA_DATA_DIR: `${tmp.dir}/sqlite`, RPA_ANALYSIS: 'off', RPA_LOG_LEVEL: 'info' });
    const [a, b] = collectors.map((c) => new HttpTransport({ url: c.url }));
    const single = new HttpTransport({ url: reference.url });
    let sent = 0;
    // Each batch goes to one collector and then again to the other, as a client retries a batch
    // whose answer it lost against whichever instance the load balancer picks.
    const crossing = {
      async send(batch: IngestBatch) {
        const [first, second] = sent++ % 2 ? [a, b] : [b, a];
        await first.send(batch);
        await second.send(batch);
        await single.send(batch);
      },
    };
    await runSimulation({ seed: 9, days: 2, end: END, workflows: 4, hosts: 3, robots: 5, runsPerHour: 3, incidents: INCIDENT_KINDS, sampleIntervalMs: 300_000, transport: crossing });
  }, 240_000);

  afterAll(() => {
    for (const c of [...collectors, reference]) c?.child.kill('SIGKILL');
    pg?.stop();
    tmp.cleanup();
  });

  it('when batches are retried across the two, then every run is stored once and panels answer as one SQLite collector does', async () => {
    const [a, b] = await Promise.all(collectors.map((c) => health(c.url)));
    const single = await health(reference.url);
    expect(single.database.executions).toBeGreaterThan(100);
    for (const h of [a, b]) expect(h.database).toMatchObject({ executions: single.database.executions, steps: single.database.steps, samples: single.database.samples });
    const panels = {
      range: { from: END - 2 * 86_400_000, to: END },
      intervalMs: 3_600_000,
      maxDataPoints: 1000,
      targets: [
        { refId: 'A', queryType: 'timeseries', metric: 'runs', groupBy: ['workflow', 'status'] },
        { refId: 'B', queryType: 'timeseries', metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'] },
        { refId: 'C', queryType: 'timeseries', metric: 'step_duration', aggregation: 'avg', groupBy: ['step'] },
        { refId: 'D', queryType: 'timeseries', metric: 'success_rate' },
        { refId: 'E', queryType: 'timeseries', metric: 'host_cpu', groupBy: ['host'] },
      ],
    };
    // Host panels are summed by each database, which adds in its own way: the same to 12 digits.
    const expected = toTwelveDigits(await query(reference.url, panels));
    expect(toTwelveDigits(await query(collectors[0].url, panels))).toEqual(expected);
    expect(toTwelveDigits(await query(collectors[1].url, panels))).toEqual(expected);
  });

  it('when one collector has an answer cached and the other ingests into its range, then the first answers with the new run within seconds', async () => {
    const [a, b] = collectors.map((c) => c.url);
    const panel = {
      range: { from: END - 86_400_000, to: END },
      intervalMs: 86_400_000,
      maxDataPoints: 10,
      targets: [{ refId: 'A', queryType: 'timeseries', metric: 'runs', workflow: ['Cache check'] }],
    };
    const count = async () => {
      const body = (await query(a, panel)) as { results: { A: { frames: Array<{ fields: Array<{ values: number[] }> }> } } };
      return body.results.A.frames[0].fields[1].values.reduce((x, y) => x + y, 0);
    };
    expect(await count()).toBe(0);
    expect(await count()).toBe(0); // now from a's cache
    const run = { id: 'cache-check-1', workflow: 'Cache check', startedAt: END - 3_600_000, endedAt: END - 3_000_000, status: 'completed' };
    const posted = await fetch(`${b}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ executions: [run] }) });
    expect(posted.status).toBe(200);
    const started = Date.now();
    let seen = 0;
    while (seen === 0 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await count();
    }
    expect(seen).toBe(1);
  });

  it('when both run the analysis, then exactly one leads, and when it is killed the other takes the lead', async () => {
    const leads = async () => Promise.all(collectors.map(async (c) => (await health(c.url)).analysis.leading));
    const waitFor = async (check: (l: boolean[]) => boolean, ms: number) => {
      const started = Date.now();
      let last = await leads();
      while (!check(last) && Date.now() - started < ms) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        last = await leads();
      }
      return last;
    };
    // Both have passed at least once (every second): one leads, the other follows.
    const settled = await waitFor((l) => l.filter(Boolean).length === 1, 15_000);
    expect(settled.filter(Boolean)).toHaveLength(1);
    const leader = settled.indexOf(true);
    const follower = 1 - leader;
    collectors[leader].child.kill('SIGKILL');
    const killedAt = Date.now();
    let taken = false;
    while (!taken && Date.now() - killedAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      taken = (await health(collectors[follower].url)).analysis.leading;
    }
    expect(taken).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
  });
});

/** Every number in a JSON value that is not whole to 12 significant digits. */
function toTwelveDigits(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(toTwelveDigits);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toTwelveDigits(v)]));
  return value;
}
