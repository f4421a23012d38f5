import type { IngestBatch } from '@rpa-analytics/contract';
import type { Collector } from '../server';
import { startCollector, tempDir } from '../testing/harness';
import { MetricsCollector } from '@rpa-analytics/sdk';
import { HttpTransport, type Transport, TransportError } from '@rpa-analytics/sdk';
import { StoreTransport } from './storeTransport';
import { SqliteStore } from '../store/sqlite/sqliteStore';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

/** Records one run with `steps` steps at a fixed time so the test knows every stored value. */
function recordRun(sdk: MetricsCollector, n: number, steps = 3): void {
  const startedAt = T0 + n * 10_000;
  sdk.recordExecutionStart(`run-${n}`, 'Claims', { robot: 'bot-1', host: 'vm-1', startedAt });
  for (let s = 0; s < steps; s++) sdk.recordStep(`run-${n}`, `step ${s}`, 100, { startedAt: startedAt + s * 100 });
  sdk.recordExecutionComplete(`run-${n}`, { status: 'completed', stepsTotal: steps, stepsCompleted: steps, endedAt: startedAt + steps * 100 });
}

describe('MetricsCollector (the runner SDK)', () => {
  it('when the collector is stopped and restarted mid-stream, then every record is stored exactly once', async () => {
    const tmp = tempDir();
    let collector: Collector = await startCollector(tmp.dir);
    const port = collector.port;
    const failures: string[] = [];
    const sdk = new MetricsCollector({
      transport: new HttpTransport({ url: collector.url, timeoutMs: 2000 }),
      bufferSize: 20,
      flushIntervalMs: 50,
      initialBackoffMs: 20,
      maxBackoffMs: 100,
      onError: (error) => failures.push(error.message),
    }).start();
    try {
      for (let n = 0; n < 100; n++) recordRun(sdk, n);
      await sdk.flush();
      await collector.stop();
      // Recorded while the collector is down: buffered and retried.
      for (let n = 100; n < 200; n++) recordRun(sdk, n);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sdk.pending).toBeGreaterThan(0);
      collector = await startCollector(tmp.dir, {}, { port });
      for (let n = 200; n < 300; n++) recordRun(sdk, n);
      await sdk.shutdown();

      expect(failures).toEqual([]);
      expect(sdk.pending).toBe(0);
      expect(collector.store.stats()).toMatchObject({ executions: 300, steps: 900 });
      for (const n of [0, 150, 299]) {
        const run = collector.store.getExecution(`run-${n}`)!;
        expect(run).toMatchObject({ status: 'completed', durationMs: 300, stepsCompleted: 3 });
        expect(run.steps.map((s) => s.index)).toEqual([0, 1, 2]);
      }
    } finally {
      await collector.stop();
      tmp.cleanup();
    }
  });

  it('when a send times out after the collector stored the batch, then the retry does not duplicate it', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    const inner = new StoreTransport(store);
    let calls = 0;
    // Stores the batch, then loses the acknowledgement, as a dropped connection would.
    const flaky: Transport = {
      async send(batch: IngestBatch) {
        await inner.send(batch);
        if (++calls <= 2) throw new TransportError('socket hang up', true);
      },
    };
    const sdk = new MetricsCollector({ transport: flaky, initialBackoffMs: 1 });
    for (let n = 0; n < 10; n++) recordRun(sdk, n);
    await sdk.flush();
    expect(calls).toBe(3);
    expect(store.stats()).toMatchObject({ executions: 10, steps: 30 });
    store.close();
  });

  it('when the collector answers 503 with Retry-After, then the SDK waits that long before retrying', async () => {
    const attempts: number[] = [];
    const transport: Transport = {
      async send() {
        attempts.push(Date.now());
        if (attempts.length === 1) throw new TransportError('busy', true, 503, 400);
      },
    };
    const sdk = new MetricsCollector({ transport, initialBackoffMs: 1 });
    recordRun(sdk, 0);
    await sdk.flush();
    expect(attempts).toHaveLength(2);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(390);
  });

  it('when the collector rejects some records as invalid, then the others are still delivered and the bad ones reported', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir);
    const rejected: IngestBatch[] = [];
    const sdk = new MetricsCollector({ transport: new HttpTransport({ url: collector.url }), onError: (_e, batch) => batch && rejected.push(batch) });
    try {
      recordRun(sdk, 0);
      sdk.recordExecutionStart('bad', '', { startedAt: T0 });
      recordRun(sdk, 1);
      await sdk.flush();
      expect(collector.store.stats()).toMatchObject({ executions: 2, steps: 6 });
      expect(rejected).toHaveLength(1);
      expect(rejected[0].executions.map((e) => e.id)).toEqual(['bad']);
      expect(sdk.dropped).toBe(1);
    } finally {
      await collector.stop();
      tmp.cleanup();
    }
  });

  it('when the buffer reaches bufferSize, then a flush starts without waiting for the interval', async () => {
    const sent: number[] = [];
    const sdk = new MetricsCollector({
      transport: { send: async (b) => void sent.push(b.executions.length + b.steps.length) },
      bufferSize: 5,
      flushIntervalMs: 60_000,
    });
    recordRun(sdk, 0, 4); // 1 execution (start merged with completion) + 4 steps = 5 records
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([5]);
  });

  it('when a flush with a time limit cannot deliver, then it gives up, says so and keeps the records', async () => {
    const errors: string[] = [];
    const down: Transport = { send: () => Promise.reject(new TransportError('connect ECONNREFUSED 127.0.0.1:9', true)) };
    const sdk = new MetricsCollector({ transport: down, initialBackoffMs: 20, maxBackoffMs: 50, onError: (error) => errors.push(error.message) });
    recordRun(sdk, 1);
    await sdk.flush({ timeoutMs: 300 });
    expect(errors).toEqual([`giving up this flush with ${sdk.pending} records unsent: connect ECONNREFUSED 127.0.0.1:9`]);
    expect(sdk.pending).toBe(4); // the run (its start and completion as one record) and its three steps
  });

  it('when a script awaits a flush that keeps failing, then the retries keep it alive until the flush gives up', async () => {
    // Retries waited on timers that did not hold the process: a script awaiting delivery ended with exit 0 and nothing sent.
    const script = `
      const { MetricsCollector } = require('./sdk/src/metricsCollector');
      const { HttpTransport } = require('./sdk/src/transport');
      const sdk = new MetricsCollector({ transport: new HttpTransport({ url: 'http://127.0.0.1:9' }), initialBackoffMs: 50, maxBackoffMs: 100, onError: (e) => console.log('error: ' + e.message.split(':')[0]) });
      sdk.recordExecution({ id: 'r1', workflow: 'Claims', startedAt: ${T0}, status: 'running' });
      sdk.flush({ timeoutMs: 1000 }).then(() => console.log('flush returned'));
    `;
    const { execFile } = await import('node:child_process');
    const path = await import('node:path');
    const root = path.resolve(__dirname, '../../..');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root }, (error, out) => (error ? reject(error) : resolve(out))),
    );
    expect(stdout).toBe('error: giving up this flush with 1 records unsent\nflush returned\n');
  }, 60_000);

  it('when a run starts and completes, then the sampler context follows it', () => {
    const context: string[] = [];
    const sdk = new MetricsCollector({
      transport: { send: async () => undefined },
      context: { setContext: (w, id) => context.push(`set ${w}/${id}`), clearContext: (id) => context.push(`clear ${id}`) },
    });
    sdk.recordExecutionStart('r1', 'Claims');
    expect(sdk.currentExecution?.id).toBe('r1');
    sdk.recordExecutionComplete('r1');
    expect(context).toEqual(['set Claims/r1', 'clear r1']);
    expect(sdk.currentExecution).toBeUndefined();
  });

  it.each([
    ['no transport', {}, 'options.transport is required'],
    ['a zero buffer', { transport: { send: async () => undefined }, bufferSize: 0 }, 'bufferSize must be a positive number, got 0'],
  ])('when constructed with %s, then it throws a precise error', (_what, options, message) => {
    expect(() => new MetricsCollector(options as never)).toThrow(message);
  });

  it('when completing a run that was never started, then it throws', () => {
    const sdk = new MetricsCollector({ transport: { send: async () => undefined } });
    expect(() => sdk.recordExecutionComplete('nope')).toThrow("execution 'nope' was not started");
  });
});
