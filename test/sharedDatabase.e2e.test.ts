import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { HttpTransport } from '@rpa-analytics/sdk';
import type { IngestBatch } from '@rpa-analytics/contract';
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

  const health = async (url: string) =>
    (await (await fetch(`${url}/api/v1/health`)).json()) as {
      database: { executions: number; steps: number; samples: number };
      analysis: { leading: boolean };
    };
  const query = async (url: string, body: unknown) =>
    (await (
      await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json()) as unknown;

  beforeAll(async () => {
    pg = await startPostgres();
    for (const name of ['a', 'b']) {
      // Passes every second, judging what ended a second ago: fresh runs take the online path.
      collectors.push(
        await spawnCollector({
          RPA_STORE: pg.url,
          RPA_DATA_DIR: `${tmp.dir}/${name}`,
          RPA_ANALYSIS: 'on',
          RPA_ANALYSIS_INTERVAL_MS: '1000',
          RPA_ANALYSIS_LATENESS_MS: '1000',
          RPA_LOG_LEVEL: 'info',
        }),
      );
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
    await runSimulation({
      seed: 9,
      days: 2,
      end: END,
      workflows: 4,
      hosts: 3,
      robots: 5,
      runsPerHour: 3,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
      transport: crossing,
    });
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
    for (const h of [a, b])
      expect(h.database).toMatchObject({ executions: single.database.executions, steps: single.database.steps, samples: single.database.samples });
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
    const posted = await fetch(`${b}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ executions: [run] }),
    });
    expect(posted.status).toBe(200);
    const started = Date.now();
    let seen = 0;
    while (seen === 0 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await count();
    }
    expect(seen).toBe(1);
  });

  it('when the two write interleaved batches while one leads the analysis, then each run is judged exactly once', async () => {
    // The leader passed every second while the history above arrived (all of it late: it is
    // older than the first pass). Now runs that end as they are sent, to both collectors in turn
    // and each batch again to the other, take the online path, some passes judging both.
    const leader = (await Promise.all(collectors.map((c) => health(c.url)))).findIndex((h) => h.analysis.leading);
    expect(leader).toBeGreaterThanOrEqual(0);
    const workflows = ['Invoice Processing', 'Employee Onboarding'];
    const freshFrom = Date.now() - 60_000;
    const transports = collectors.map((c) => new HttpTransport({ url: c.url }));
    for (let i = 0; i < 40; i++) {
      const endedAt = Date.now() - 200;
      // Each start its own (the windows are checked for a time seen twice): runs of 30 to 31 s.
      const executions = workflows.map((workflow, w) => ({
        id: `fresh-${i}-${w}`,
        workflow,
        startedAt: endedAt - 30_000 - 25 * i,
        endedAt,
        status: 'completed' as const,
      }));
      await transports[i % 2].send({ executions, steps: [], samples: [] });
      await transports[(i + 1) % 2].send({ executions, steps: [], samples: [] });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A pass asked for after a second judges the last of them.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const pass = await fetch(`${collectors[leader].url}/api/v1/analysis/run`, { method: 'POST' });
    expect(pass.status).toBe(200);
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    try {
      const { rows: states } = await client.query<{ series_key: string; state: string }>(
        "SELECT series_key, state FROM detector_states WHERE series_key LIKE 'volume|%' OR series_key LIKE 'run_duration|%'",
      );
      const { rows: hours } = await client.query<{ workflow: string; hour: string; runs: string }>(
        'SELECT w.name AS workflow, (e.started_at / 3600000) * 3600000 AS hour, count(*) AS runs FROM executions e JOIN workflows w ON w.id = e.workflow_id GROUP BY 1, 2',
      );
      const counted = new Map(hours.map((h) => [`${h.workflow}@${h.hour}`, Number(h.runs)]));
      // The simulated fleet's four workflows (the cache test above added one of a single run).
      const volumes = states.filter((s) => s.series_key.startsWith('volume|') && s.series_key !== 'volume|Cache check||');
      expect(volumes).toHaveLength(4);
      for (const { series_key: key, state } of volumes) {
        const workflow = key.split('|')[1];
        const window = (JSON.parse(state) as { window: Array<{ time: number; value: number }> }).window;
        // Every hour once, with every run that started in it once.
        expect(new Set(window.map((p) => p.time)).size).toBe(window.length);
        for (const p of window) expect([key, p.time, p.value]).toEqual([key, p.time, counted.get(`${workflow}@${p.time}`) ?? 0]);
      }
      // Each completed run is in its workflow's duration window once, or among the points of an
      // anomaly (kept out of the window), or waiting to be one (pending).
      const { rows: completed } = await client.query<{ workflow: string; runs: string }>(
        'SELECT w.name AS workflow, count(*) AS runs FROM executions e JOIN workflows w ON w.id = e.workflow_id WHERE e.status = 1 AND e.duration_ms IS NOT NULL GROUP BY 1',
      );
      const anomalies = (await (await fetch(`${collectors[leader].url}/api/v1/anomalies?limit=10000`)).json()) as Array<{
        seriesKey: string;
        points: number;
        startedAt: number;
      }>;
      const durations = states.filter((s) => s.series_key.startsWith('run_duration|') && s.series_key !== 'run_duration|Cache check||');
      expect(durations).toHaveLength(4);
      expect(durations.map((s) => s.series_key)).toEqual(expect.arrayContaining(workflows.map((w) => `run_duration|${w}||`)));
      for (const { series_key: key, state } of durations) {
        const { window, pending } = JSON.parse(state) as { window: Array<{ time: number }>; pending: unknown[] };
        const times = window.map((p) => p.time);
        expect([key, new Set(times).size]).toEqual([key, times.length]);
        const workflow = key.split('|')[1];
        if (workflows.includes(workflow)) {
          // Weeks after the history, its older points have left the window: each fresh run is in it
          // once, or among an anomaly's points, or pending.
          const fresh = (time: number) => time >= freshFrom;
          const flaggedFresh = anomalies.filter((a) => a.seriesKey === key && fresh(a.startedAt)).reduce((sum, a) => sum + a.points, 0);
          const pendingFresh = (pending as Array<{ point: { time: number } }>).filter((p) => fresh(p.point.time)).length;
          expect([key, times.filter(fresh).length + flaggedFresh + pendingFresh]).toEqual([key, 40]);
          continue;
        }
        const flagged = anomalies.filter((a) => a.seriesKey === key).reduce((sum, a) => sum + a.points, 0);
        const runs = Number(completed.find((c) => c.workflow === workflow)!.runs);
        expect([key, window.length + flagged + pending.length]).toEqual([key, runs]);
      }
      const report = (await (await fetch(`${collectors[leader].url}/api/v1/health`)).json()) as { analysis: { lastPassAt: number } };
      expect(report.analysis.lastPassAt).toBeGreaterThan(freshFrom);
    } finally {
      await client.end();
    }
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
