import type { ChildProcess } from 'node:child_process';
import { runSimulation, type GroundTruth } from '../backend/src/sim/simulator';
import { spawnCollector } from '../backend/src/testing/collectorProcess';
import { tempDir } from '../backend/src/testing/harness';
import { type PostgresCluster, startPostgres } from '../backend/src/testing/postgresCluster';
import { breaches, type PrometheusServer, provisionedRules, startPrometheus, until } from '../backend/src/testing/prometheusServer';

/**
 * The alert rules with two collectors on one PostgreSQL (a throwaway cluster of Debian's
 * `postgresql`), both scraped by a real Prometheus (Debian's package), through a failover: the
 * collector that leads the analysis is killed while alerts fire, and the other takes over.
 * Grafana's rule evaluator cannot run here; each rule's query runs on Prometheus and its
 * threshold is applied as Grafana applies it. An alert whose label set leaves the query's result
 * resolves in Grafana, and fires again (after its `for`) when a set comes back: the test asks
 * that every set firing before the failover fires at every second through it and after.
 */
const READ = 'prometheus-read-token-0123';
const INGEST = 'simulator-ingest-token-01';
const ADMIN = 'test-admin-token-01234567';
/** A Thursday, 13:00 UTC: the incidents hit the fleet's busy hours. */
const END = Date.UTC(2026, 10, 19, 13);
const STARTED = Date.now();
const rules = provisionedRules();
const rule = (uid: string) => rules.find((r) => r.uid === uid)!;

describe('alert rules through a failover between two collectors', () => {
  const tmp = tempDir('rpa-failover-');
  let pg: PostgresCluster;
  const collectors: Array<{ child: ChildProcess; url: string }> = [];
  let prometheus: PrometheusServer;
  let truth: GroundTruth;

  const health = async (url: string) =>
    (await (await fetch(`${url}/api/v1/health`, { headers: { authorization: `Bearer ${READ}` } })).json()) as {
      analysis: { leading: boolean; lastPassAt: number | null };
    };
  const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

  beforeAll(async () => {
    pg = await startPostgres();
    for (const name of ['a', 'b']) {
      collectors.push(
        await spawnCollector({
          RPA_STORE: pg.url,
          RPA_DATA_DIR: `${tmp.dir}/${name}`,
          RPA_ANALYSIS: 'on',
          RPA_ANALYSIS_INTERVAL_MS: '1000',
          RPA_READ_TOKEN: READ,
          RPA_INGEST_TOKEN: INGEST,
          RPA_ADMIN_TOKEN: ADMIN,
        }),
      );
    }
    // Four days of the fleet, a failure burst and a latency spike under way at their end.
    truth = await runSimulation({
      url: collectors[0].url,
      token: INGEST,
      seed: 3,
      days: 4,
      end: END,
      workflows: 12,
      hosts: 6,
      robots: 10,
      runsPerHour: 4,
      sampleIntervalMs: 60_000,
      incidents: [
        { kind: 'failure_burst', start: END - 4 * 3_600_000 },
        { kind: 'latency_spike', start: END - 2 * 3_600_000 },
      ],
    });
    prometheus = await startPrometheus({ dir: tmp.dir, targets: collectors.map((c) => new URL(c.url).host), token: READ });
    // The leader's passes judge the backfill; both collectors then export what they stored.
    await until(
      'the alerts to fire, from what both collectors export',
      async () => {
        for (const uid of ['rpa-success-rate-drop', 'rpa-run-p95-high', 'rpa-anomaly-severe'])
          if ((await prometheus.firing(rule(uid))).length === 0) return undefined;
        return (await prometheus.query('up{job="rpa-collector"} == 1')).length === 2 ? true : undefined;
      },
      180_000,
    );
  }, 300_000);

  afterAll(() => {
    prometheus?.stop();
    for (const c of collectors) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    pg?.stop();
    tmp.cleanup();
  });

  it('when the leading collector dies while alerts fire, then every alert keeps firing with the same labels, and only "collector down" fires anew', async () => {
    const incident = (kind: string) => truth.incidents.find((i) => i.kind === kind)!;
    const watched = ['rpa-success-rate-drop', 'rpa-run-p95-high', 'rpa-anomaly-severe'];
    const before = new Map<string, Array<Record<string, string>>>();
    for (const uid of watched) before.set(uid, await prometheus.firing(rule(uid)));
    expect(before.get('rpa-success-rate-drop')!.map((l) => l.workflow)).toContain(incident('failure_burst').workflow);
    expect(before.get('rpa-run-p95-high')!.map((l) => l.workflow)).toContain(incident('latency_spike').workflow);
    // Both collectors export the health the leader stored, the follower too.
    const exporters = await prometheus.query(`count without (instance) (rpa_workflow_success_ratio{workflow="${incident('failure_burst').workflow}"})`);
    expect(exporters.map((e) => e.value)).toEqual([2]);

    const states = await Promise.all(collectors.map((c) => health(c.url)));
    const leader = states.findIndex((h) => h.analysis.leading);
    expect(states.filter((h) => h.analysis.leading)).toHaveLength(1);
    const follower = collectors[1 - leader];
    // Seconds of firing seen before the kill (the alerts fired at the first scrapes).
    const from = Math.floor(Date.now() / 1000) + 1;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    collectors[leader].child.kill('SIGKILL');
    const killedAt = Date.now();
    // The follower leads, and has passed since; Prometheus has seen the dead one down.
    await until('the other collector to lead and pass', async () => {
      const h = await health(follower.url);
      return h.analysis.leading && (h.analysis.lastPassAt ?? 0) > killedAt ? true : undefined;
    });
    const down = await until('the failed scrape', async () => {
      const f = await prometheus.firing(rule('rpa-collector-down'));
      return f.length ? f : undefined;
    });
    expect(down.map((l) => l.instance)).toEqual([new URL(collectors[leader].url).host]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const to = Math.floor(Date.now() / 1000);

    // Every label set firing before fires at each second from before the kill to now.
    for (const uid of watched) {
      const series = await prometheus.range(rule(uid).expr, from, to, 1);
      for (const labels of before.get(uid)!) {
        const values = series.find((s) => key(s.metric) === key(labels))?.values ?? [];
        const firingAt = values.filter(([, v]) => breaches(rule(uid), v)).map(([t]) => t);
        expect({ uid, labels, seconds: firingAt.length }).toEqual({ uid, labels, seconds: to - from + 1 });
      }
      expect({ uid, after: (await prometheus.firing(rule(uid))).map(key).sort() }).toEqual({ uid, after: before.get(uid)!.map(key).sort() });
    }
    // The runs arrived moments ago: the silence rules stay quiet through it, on what the
    // surviving collector reads of every workflow's arrival and schedule.
    const arrived = await prometheus.query('rpa_last_run_ingest_timestamp_seconds');
    expect(arrived.map((a) => a.metric.instance)).toEqual([new URL(follower.url).host]);
    expect(arrived[0].value * 1000).toBeGreaterThanOrEqual(Math.floor(STARTED / 1000) * 1000);
    const overdue = await prometheus.query('rpa_runs_overdue');
    expect(overdue.map((o) => [o.metric.instance, o.value < 10])).toEqual([[new URL(follower.url).host, true]]);
    expect(await prometheus.firing(rule('rpa-collector-silent'))).toEqual([]);
    expect(await prometheus.firing(rule('rpa-workflow-overdue'))).toEqual([]);
  });
});
