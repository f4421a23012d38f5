import type { Collector } from '../server';
import path from 'node:path';
import { isWeekendDay, localClock } from '../analysis/localClock';
import { postJson, startCollector, tempDir } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2, 8);

/** `name{labels} value` lines of the exposition, as [series, value]. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

describe('GET /metrics', () => {
  let collector: Collector;
  const tmp = tempDir();
  const batch = {
    executions: [
      { id: 'secret-exec-id-1', workflow: 'Claims', host: 'vm-1', startedAt: T0, endedAt: T0 + 30_000, status: 'completed' },
      { id: 'secret-exec-id-2', workflow: 'Claims', host: 'vm-1', startedAt: T0 + 60_000, endedAt: T0 + 62_000, status: 'failed', errorType: 'system' },
      { id: 'secret-exec-id-3', workflow: 'Payroll', startedAt: T0, status: 'running' },
    ],
    steps: [{ executionId: 'secret-exec-id-1', index: 0, name: 'Login', startedAt: T0, durationMs: 4000 }],
    // A current sample: the host gauges show hosts with a recent one.
    samples: [
      {
        host: 'vm-1',
        time: Date.now() - 1000,
        cpuPercent: 42,
        memoryUsedBytes: 4e9,
        memoryTotalBytes: 16e9,
        diskReadBytesPerSec: 1,
        diskWriteBytesPerSec: 2,
        netRxBytesPerSec: 3,
        netTxBytesPerSec: 4,
      },
    ],
  };

  beforeAll(async () => {
    collector = await startCollector(tmp.dir);
    for (let attempt = 0; attempt < 3; attempt++) expect((await postJson(`${collector.url}/api/v1/ingest`, batch)).status).toBe(200);
    // The running execution completes later: counted then, once.
    await postJson(`${collector.url}/api/v1/executions/secret-exec-id-3/complete`, { status: 'completed', endedAt: T0 + 3_600_000 });
    await postJson(`${collector.url}/api/v1/analysis/run`, {});
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it('counts each finished execution once, however often its batch was retried', async () => {
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    const m = samples(text);
    expect(m.get('rpa_executions_total{workflow="Claims",status="completed",error_type=""}')).toBe(1);
    expect(m.get('rpa_executions_total{workflow="Claims",status="failed",error_type="system"}')).toBe(1);
    expect(m.get('rpa_executions_total{workflow="Payroll",status="completed",error_type=""}')).toBe(1);
    expect(m.get('rpa_run_duration_seconds_count{workflow="Claims"}')).toBe(2);
    expect(m.get('rpa_run_duration_seconds_bucket{le="30",workflow="Claims"}')).toBe(2);
    expect(m.get('rpa_run_duration_seconds_bucket{le="10",workflow="Claims"}')).toBe(1);
    expect(m.get('rpa_run_duration_seconds_sum{workflow="Payroll"}')).toBe(3600);
    expect(m.get('rpa_step_duration_seconds_sum{workflow="Claims",step="Login"}')).toBe(4);
    expect(m.get('rpa_ingested_records_total{kind="execution"}')).toBe(10);
  });

  it('exposes host gauges, workflow health and the collector health', async () => {
    const m = samples(await (await fetch(`${collector.url}/metrics`)).text());
    expect(m.get('rpa_host_cpu_percent{host="vm-1"}')).toBe(42);
    expect(m.get('rpa_host_memory_total_bytes{host="vm-1"}')).toBe(16e9);
    expect(m.get('rpa_workflow_success_ratio{workflow="Claims"}')).toBe(0.5);
    expect(m.get('rpa_workflow_run_duration_p95_seconds{workflow="Claims"}')).toBe(30);
    expect(m.get('rpa_anomalies_open')).toBe(0);
    expect(m.get('rpa_database_size_bytes')).toBeGreaterThan(0);
    expect(m.get('rpa_analysis_last_run_timestamp_seconds')! * 1000).toBeGreaterThan(Date.now() - 60_000);
  });

  it('never labels a series with an execution id', async () => {
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    expect(text).not.toContain('secret-exec-id');
    expect(text).toMatch(/^# TYPE rpa_executions_total counter$/m);
    expect(text).toMatch(/^# TYPE rpa_run_duration_seconds histogram$/m);
  });

  it('needs a read token when tokens are configured', async () => {
    const other = tempDir();
    const secured = await startCollector(other.dir, { RPA_READ_TOKEN: 'prometheus-read-token-01' });
    try {
      expect((await fetch(`${secured.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${secured.url}/metrics`, { headers: { authorization: 'Bearer prometheus-read-token-01' } })).status).toBe(200);
    } finally {
      await secured.stop();
      other.cleanup();
    }
  });
});

describe('series budgets of /metrics', () => {
  let collector: Collector;
  const tmp = tempDir();

  beforeAll(async () => {
    collector = await startCollector(tmp.dir, { RPA_METRICS_MAX_WORKFLOWS: '3', RPA_METRICS_MAX_STEPS: '4' });
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it('when more workflows and steps arrive than the budgets allow, then the rest are counted as "other" and the folds counted', async () => {
    // Ten workflows of two runs each, every run with three steps of names of its own.
    const executions = Array.from({ length: 20 }, (_, i) => ({
      id: `b${i}`,
      workflow: `W${i % 10}`,
      startedAt: T0 + i * 1000,
      endedAt: T0 + i * 1000 + 2000,
      status: 'completed',
    }));
    const steps = executions.flatMap((e, i) =>
      [0, 1, 2].map((index) => ({ executionId: e.id, index, name: `S${i}-${index}`, startedAt: e.startedAt, durationMs: 500 })),
    );
    expect((await postJson(`${collector.url}/api/v1/ingest`, { executions, steps, samples: [] })).status).toBe(200);
    const m = samples(await (await fetch(`${collector.url}/metrics`)).text());
    const series = (name: string) => [...m.keys()].filter((k) => k.startsWith(`${name}{`));
    // W0, W1 and W2 keep their names (runs are written in time order: W0 first); seven workflows share "other".
    expect(
      series('rpa_executions_total')
        .map((k) => /workflow="([^"]+)"/.exec(k)![1])
        .sort(),
    ).toEqual(['W0', 'W1', 'W2', 'other']);
    expect(m.get('rpa_executions_total{workflow="other",status="completed",error_type=""}')).toBe(14);
    expect(m.get('rpa_run_duration_seconds_count{workflow="other"}')).toBe(14);
    expect(m.get('rpa_metrics_folded_total{label="workflow"}')).toBe(14);
    // 60 steps: four pairs keep their step names, 56 are "other".
    const stepCounts = series('rpa_step_duration_seconds_count');
    expect(stepCounts.filter((k) => !k.includes('step="other"'))).toHaveLength(4);
    expect(stepCounts.reduce((n, k) => n + m.get(k)!, 0)).toBe(60);
    expect(m.get('rpa_metrics_folded_total{label="step"}')).toBe(56);
  });

  it('when a finished run is sent again corrected, then the counters still count it once', async () => {
    const run = { id: 'corrected-1', workflow: 'W0', startedAt: T0, endedAt: T0 + 1000, status: 'completed' };
    const before = samples(await (await fetch(`${collector.url}/metrics`)).text()).get('rpa_executions_total{workflow="W0",status="completed",error_type=""}')!;
    expect((await postJson(`${collector.url}/api/v1/ingest`, { executions: [run] })).status).toBe(200);
    expect((await postJson(`${collector.url}/api/v1/ingest`, { executions: [{ ...run, endedAt: T0 + 5000 }] })).status).toBe(200);
    const m = samples(await (await fetch(`${collector.url}/metrics`)).text());
    expect(m.get('rpa_executions_total{workflow="W0",status="completed",error_type=""}')).toBe(before + 1);
  });

  it('when samples of days ago arrive (a backfill, a restore), then their hosts stay out of the host gauges', async () => {
    const old = {
      host: 'restored-host',
      time: Date.now() - 2 * 86_400_000,
      cpuPercent: 10,
      memoryUsedBytes: 1,
      memoryTotalBytes: 2,
      diskReadBytesPerSec: 0,
      diskWriteBytesPerSec: 0,
      netRxBytesPerSec: 0,
      netTxBytesPerSec: 0,
    };
    expect((await postJson(`${collector.url}/api/v1/ingest`, { executions: [], steps: [], samples: [old] })).status).toBe(200);
    expect(samples(await (await fetch(`${collector.url}/metrics`)).text()).has('rpa_host_cpu_percent{host="restored-host"}')).toBe(false);
  });

  it('when a host stops sending samples, then it leaves the host gauges', async () => {
    const sample = (host: string) => ({
      host,
      time: Date.now(),
      cpuPercent: 10,
      memoryUsedBytes: 1,
      memoryTotalBytes: 2,
      diskReadBytesPerSec: 0,
      diskWriteBytesPerSec: 0,
      netRxBytesPerSec: 0,
      netTxBytesPerSec: 0,
    });
    const realNow = Date.now;
    expect((await postJson(`${collector.url}/api/v1/ingest`, { executions: [], steps: [], samples: [sample('gone-host')] })).status).toBe(200);
    expect(samples(await (await fetch(`${collector.url}/metrics`)).text()).get('rpa_host_cpu_percent{host="gone-host"}')).toBe(10);
    // Sixteen minutes later (the clock moved on; nothing more from that host), and another host reports.
    const later = realNow() + 16 * 60_000;
    jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      expect((await postJson(`${collector.url}/api/v1/ingest`, { executions: [], steps: [], samples: [sample('live-host')] })).status).toBe(200);
      const m = samples(await (await fetch(`${collector.url}/metrics`)).text());
      expect(m.has('rpa_host_cpu_percent{host="gone-host"}')).toBe(false);
      expect(m.get('rpa_host_cpu_percent{host="live-host"}')).toBe(10);
    } finally {
      jest.restoreAllMocks();
    }
  });
});

describe('freshness, schedule and health of /metrics: read from the database', () => {
  const tmp = tempDir();
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  /** Monday 2026-11-16 00:00 UTC. */
  const MONDAY = Date.UTC(2026, 10, 16);
  // Two weeks of Payroll before that Monday: 4 runs an hour on weekdays, 09:00 to 17:00.
  const executions: Array<{ id: string; workflow: string; startedAt: number; endedAt: number; status: string }> = [];
  for (let day = -14; day < 0; day++) {
    if ((day + 14) % 7 >= 5) continue;
    for (let hour = 9; hour < 17; hour++) {
      for (let k = 0; k < 4; k++) {
        const startedAt = MONDAY + day * DAY + hour * HOUR + k * 15 * 60_000;
        executions.push({ id: `p-${executions.length}`, workflow: 'Payroll', startedAt, endedAt: startedAt + 60_000, status: 'completed' });
      }
    }
  }
  /** The Friday before, 17:30: when the whole backfill arrives. */
  const ARRIVED = MONDAY - 3 * DAY + 17.5 * HOUR;
  const at = async <T>(time: number, read: () => Promise<T>): Promise<T> => {
    jest.spyOn(Date, 'now').mockImplementation(() => time);
    try {
      return await read();
    } finally {
      jest.restoreAllMocks();
    }
  };
  const scrape = async (collector: Collector) => samples(await (await fetch(`${collector.url}/metrics`)).text());

  afterAll(() => tmp.cleanup());

  it('when a backfill of weeks ago arrives, then it counts as arriving now; runs are due only where the schedule has them; a restarted collector says the same', async () => {
    const first = await startCollector(tmp.dir);
    try {
      // Scraped empty first: the schedules it learns then must not hide the workflow that comes next.
      expect((await at(ARRIVED - 1000, () => scrape(first))).get('rpa_runs_overdue')).toBe(0);
      expect((await at(ARRIVED, () => postJson(`${first.url}/api/v1/ingest`, { executions, steps: [], samples: [] }))).status).toBe(200);
      expect((await postJson(`${first.url}/api/v1/analysis/run`, {})).status).toBe(200);

      const justAfter = await at(ARRIVED, () => scrape(first));
      expect(justAfter.get('rpa_last_run_ingest_timestamp_seconds')).toBe(ARRIVED / 1000);
      expect(justAfter.get('rpa_workflow_last_run_arrival_timestamp_seconds{workflow="Payroll"}')).toBe(ARRIVED / 1000);
      expect(justAfter.get('rpa_workflow_runs_overdue{workflow="Payroll"}')).toBe(0);
      // The weekend and Monday's night: no run was due, though none arrived for 63 hours.
      const mondayMorning = await at(MONDAY + 8 * HOUR + 59 * 60_000, () => scrape(first));
      expect(mondayMorning.get('rpa_workflow_runs_overdue{workflow="Payroll"}')).toBe(0);
      expect(mondayMorning.get('rpa_runs_overdue')).toBe(0);
      // Monday 11:00: its 10:00 hour had 4 runs on the two Mondays before (its first hour, 09:00,
      // may come an hour late); by 13:00, 12: past the alert's 10.
      const mondayEleven = await at(MONDAY + 11 * HOUR, () => scrape(first));
      expect(mondayEleven.get('rpa_workflow_runs_overdue{workflow="Payroll"}')).toBeCloseTo(4, 9);
      expect(mondayEleven.get('rpa_runs_overdue')).toBeCloseTo(4, 9);
      expect(mondayEleven.get('rpa_workflow_success_ratio{workflow="Payroll"}')).toBe(1);
      expect((await at(MONDAY + 13 * HOUR, () => scrape(first))).get('rpa_workflow_runs_overdue{workflow="Payroll"}')).toBeCloseTo(12, 9);
    } finally {
      await first.stop();
    }

    // Restarted with its analysis off (no pass of its own): the same freshness, due runs and the
    // health the last pass stored, as another collector on a shared database would say.
    const restarted = await startCollector(tmp.dir, { RPA_ANALYSIS: 'off' });
    try {
      const m = await at(MONDAY + 11 * HOUR, () => scrape(restarted));
      expect(m.get('rpa_last_run_ingest_timestamp_seconds')).toBe(ARRIVED / 1000);
      expect(m.get('rpa_workflow_runs_overdue{workflow="Payroll"}')).toBeCloseTo(4, 9);
      expect(m.get('rpa_workflow_success_ratio{workflow="Payroll"}')).toBe(1);
      expect(m.get('rpa_workflow_run_duration_p95_seconds{workflow="Payroll"}')).toBe(60);
    } finally {
      await restarted.stop();
    }
  });
  it("when RPA_TIME_ZONE is the fleet's, then its schedule keeps the fleet's hours through a daylight-saving change", async () => {
    // An office in Berlin: 4 runs an hour from 09:00 to 17:00 there on weekdays, for March 2026,
    // daylight-saving time starting on Sunday the 29th; all of it sent at 14:46 UTC on Monday the
    // 30th, when 09:00 to 17:00 there is 07:00 to 15:00 UTC (08:00 to 16:00 before).
    const berlin = localClock('Europe/Berlin');
    const office: typeof executions = [];
    for (let startedAt = Date.UTC(2026, 2, 2); startedAt < Date.UTC(2026, 2, 31); startedAt += 15 * 60_000) {
      const hours = berlin.hour(startedAt);
      if (isWeekendDay(Math.floor(hours / 24)) || hours % 24 < 9 || hours % 24 >= 17) continue;
      office.push({ id: `o-${office.length}`, workflow: 'Invoices', startedAt, endedAt: startedAt + 60_000, status: 'completed' });
    }
    const sent = Date.parse('2026-03-30T14:46:00Z');
    const overdueAt1545 = async (timeZone: string) => {
      const dir = path.join(tmp.dir, timeZone.replace('/', '-'));
      const collector = await startCollector(dir, { RPA_TIME_ZONE: timeZone, RPA_ANALYSIS: 'off' });
      try {
        expect((await at(sent, () => postJson(`${collector.url}/api/v1/ingest`, { executions: office, steps: [], samples: [] }))).status).toBe(200);
        return (await at(Date.parse('2026-03-30T15:45:00Z'), () => scrape(collector))).get('rpa_workflow_runs_overdue{workflow="Invoices"}');
      } finally {
        await collector.stop();
      }
    };
    // 17:45 in Berlin: the office's day is over.
    expect(await overdueAt1545('Europe/Berlin')).toBe(0);
    // Learnt in UTC, the 15:00 hour still expects its 4 runs: 3 overdue by 15:45.
    expect(await overdueAt1545('UTC')).toBeCloseTo(3, 9);
  });
});
