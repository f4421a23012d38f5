import http from 'node:http';
import { MetricsCollector } from '@rpa-analytics/sdk';
import { HttpTransport } from '@rpa-analytics/sdk';
import { collectorForTests } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2);

describe('backpressure on ingest', () => {
  // One batch at a time: the second of two concurrent batches finds the collector busy.
  const ctx = collectorForTests({ RPA_MAX_PENDING_INGEST: '1' });
  const batch = (prefix: string, runs: number) => ({
    executions: Array.from({ length: runs }, (_, i) => ({
      id: `${prefix}-${i}`,
      workflow: 'Load',
      startedAt: T0 + i,
      endedAt: T0 + i + 1000,
      status: 'completed',
    })),
  });

  it('when a batch is in progress, then other batches get 503 with Retry-After and nothing of them is stored', async () => {
    const before = ctx.collector.store.stats().executions;
    // The first batch sends half its body and waits: it stays in progress until the rest is sent.
    const body = JSON.stringify(batch('first', 3000));
    const first = http.request(`${ctx.base}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const firstAnswer = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      first.on('error', reject);
    });
    first.write(body.slice(0, body.length >> 1));
    // Until the collector has the first batch's headers, a probe (with a body it refuses) may get 400.
    const probe = () => fetch(`${ctx.base}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    let status = (await probe()).status;
    for (let tries = 0; status !== 503 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = (await probe()).status;
    }
    expect(status).toBe(503);

    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, n) =>
        fetch(`${ctx.base}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch(`b${n}`, 3000)) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503]);
    expect(answers[0].headers.get('retry-after')).toBe('1');
    expect(((await answers[0].json()) as { error: { message: string } }).error.message).toMatch(
      /^the collector is busy writing \(1 batches in progress\): retry after 1 s$/,
    );
    expect(ctx.collector.store.stats().executions).toBe(before);

    first.end(body.slice(body.length >> 1));
    expect(await firstAnswer).toBe(200);
    expect(ctx.collector.store.stats().executions).toBe(before + 3000);
  });

  it('when the SDK is told to wait, then it waits and delivers everything exactly once', async () => {
    const before = ctx.collector.store.stats().executions;
    const clients = [0, 1, 2].map(
      () => new MetricsCollector({ transport: new HttpTransport({ url: ctx.collector.url }), bufferSize: 1_000_000, maxBatchRecords: 2000 }),
    );
    clients.forEach((sdk, c) => {
      for (let i = 0; i < 4000; i++)
        sdk.recordExecution({ id: `sdk-${c}-${i}`, workflow: 'Load', startedAt: T0 + i, endedAt: T0 + i + 500, status: 'completed' });
    });
    await Promise.all(clients.map((sdk) => sdk.shutdown()));
    expect(clients.map((sdk) => sdk.pending)).toEqual([0, 0, 0]);
    expect(ctx.collector.store.stats().executions - before).toBe(12_000);
  }, 60_000);
});

describe('a body that trickles in', () => {
  // Two slots, and a body must arrive within a second of its request.
  const ctx = collectorForTests({ RPA_MAX_PENDING_INGEST: '2', RPA_INGEST_BODY_TIMEOUT_MS: '1000' });

  /** A client that sends its headers and then a byte every 300 ms, as a slow-loris would; resolves with the answer's status. */
  function trickle(): Promise<{ status: number; closed: boolean }> {
    const body = JSON.stringify({ executions: [{ id: 'slow', workflow: 'Load', startedAt: T0, status: 'running' }] });
    return new Promise((resolve, reject) => {
      const request = http.request(`${ctx.base}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      let sent = 0;
      const timer = setInterval(() => (sent < body.length - 1 ? request.write(body[sent++]) : undefined), 300);
      request.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          clearInterval(timer);
          resolve({ status: res.statusCode!, closed: res.headers.connection === 'close' });
        });
      });
      request.on('error', (error) => {
        clearInterval(timer);
        reject(error);
      });
    });
  }

  it('when slow clients hold every ingest slot, then they get 408 within seconds and the slots are free again', async () => {
    const before = ctx.collector.store.stats().executions;
    const slow = [trickle(), trickle()];
    const started = Date.now();
    // The server's own request timeout is a minute: without a body deadline this waits for it.
    expect(await Promise.all(slow)).toEqual([
      { status: 408, closed: true },
      { status: 408, closed: true },
    ]);
    expect(Date.now() - started).toBeLessThan(20_000);
    const answer = await fetch(`${ctx.base}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ executions: [{ id: 'after-slow', workflow: 'Load', startedAt: T0, status: 'running' }] }),
    });
    expect(answer.status).toBe(200);
    expect(ctx.collector.store.stats().executions).toBe(before + 1);
    expect(ctx.collector.store.getExecution('slow')).toBeUndefined();
  }, 30_000);
});
