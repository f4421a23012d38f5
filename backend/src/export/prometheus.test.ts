import type { Collector } from '../server';
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
    samples: [{ host: 'vm-1', time: T0, cpuPercent: 42, memoryUsedBytes: 4e9, memoryTotalBytes: 16e9, diskReadBytesPerSec: 1, diskWriteBytesPerSec: 2, netRxBytesPerSec: 3, netTxBytesPerSec: 4 }],
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
