import { MetricsCollector } from '../collect/metricsCollector';
import { HttpTransport } from '../collect/transport';
import { collectorForTests } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2);

describe('backpressure on ingest', () => {
  // One batch at a time: the second of two concurrent batches finds the collector busy.
  const ctx = collectorForTests({ RPA_MAX_PENDING_INGEST: '1' });
  const batch = (prefix: string, runs: number) => ({
    executions: Array.from({ length: runs }, (_, i) => ({ id: `${prefix}-${i}`, workflow: 'Load', startedAt: T0 + i, endedAt: T0 + i + 1000, status: 'completed' })),
  });

  it('when writes fall behind, then extra batches get 503 with Retry-After and nothing of them is stored', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        fetch(`${ctx.base}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch(`b${n}`, 3000)) }),
      ),
    );
    const busy = answers.filter((a) => a.status === 503);
    const accepted = answers.filter((a) => a.status === 200);
    expect(busy.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(busy[0].headers.get('retry-after')).toBe('1');
    expect(((await busy[0].json()) as { error: { message: string } }).error.message).toMatch(/^the collector is busy writing \(1 batches in progress\): retry after 1 s$/);
    expect(ctx.collector.store.stats().executions).toBe(3000 * accepted.length);
  });

  it('when the SDK is told to wait, then it waits and delivers everything exactly once', async () => {
    const before = ctx.collector.store.stats().executions;
    const clients = [0, 1, 2].map(() => new MetricsCollector({ transport: new HttpTransport({ url: ctx.collector.url }), bufferSize: 1_000_000, maxBatchRecords: 2000 }));
    clients.forEach((sdk, c) => {
      for (let i = 0; i < 4000; i++) sdk.recordExecution({ id: `sdk-${c}-${i}`, workflow: 'Load', startedAt: T0 + i, endedAt: T0 + i + 500, status: 'completed' });
    });
    await Promise.all(clients.map((sdk) => sdk.shutdown()));
    expect(clients.map((sdk) => sdk.pending)).toEqual([0, 0, 0]);
    expect(ctx.collector.store.stats().executions - before).toBe(12_000);
  }, 60_000);
});
