import fs from 'node:fs';
import { spawnCollector } from '../backend/src/testing/collectorProcess';
import { tempDir } from '../backend/src/testing/harness';

/**
 * A bounded soak (60 s, loopback only): steady ingest while dashboards query. No errors, nothing
 * lost, the collector's memory flat. It runs with the e2e tests because it takes minutes, not
 * because it needs a browser.
 */
const T0 = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;
const DURATION_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
/** The young generation's size now (from the collector's own metrics): it grows to its configured bound under load. */
const youngGenerationKiB = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(text);
  if (!match) throw new Error('no nodejs_heap_space_size_total_bytes{space="new"} in /metrics');
  return Number(match[1]) / 1024;
};

describe('soak', () => {
  it('when ingest runs steadily for a minute while dashboards query, then nothing fails, nothing is lost and memory stays flat', async () => {
    const tmp = tempDir();
    const { child, url } = await spawnCollector({ RPA_DATA_DIR: tmp.dir, RPA_ANALYSIS_INTERVAL_MS: '10000' });
    try {
      const errors: string[] = [];
      const acknowledged: string[] = [];
      const memory: number[] = [];
      const end = Date.now() + DURATION_MS;
      let retries = 0;
      // As the SDK does: a 503 with Retry-After (busy, or the analysis worker holding the write
      // lock) is waited out and the same batch sent again; anything else is an error.
      const call = async (path: string, body: unknown): Promise<string | undefined> => {
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            const response = await fetch(`${url}${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(15_000),
            });
            await response.arrayBuffer();
            if (response.status === 503 && response.headers.get('retry-after')) {
              retries++;
              await sleep(1000 * Number(response.headers.get('retry-after')));
              continue;
            }
            return response.ok ? undefined : `${path} answered ${response.status}`;
          } catch (error) {
            return `${path} failed: ${(error as Error).message}`;
          }
        }
        return `${path} still busy after 5 attempts`;
      };
      const ingest = (async () => {
        for (let b = 0; Date.now() < end; b++) {
          const ids = Array.from({ length: 20 }, (_, i) => `soak-${b}-${i}`);
          const startedAt = T0 + b * 60_000;
          const error = await call('/api/v1/ingest', {
            executions: ids.map((id, i) => ({
              id,
              workflow: `W${i % 4}`,
              host: `vm-${i % 3}`,
              startedAt: startedAt + i,
              endedAt: startedAt + i + 30_000 + (i % 7) * 1000,
              status: i % 13 ? 'completed' : 'failed',
            })),
            steps: ids.flatMap((id) =>
              Array.from({ length: 5 }, (_, s) => ({ executionId: id, index: s, name: `S${s}`, startedAt: startedAt + s * 6000, durationMs: 5000 + s })),
            ),
          });
          if (error) errors.push(error);
          else acknowledged.push(...ids);
          await sleep(50);
        }
      })();
      const queries = (async () => {
        for (let q = 0; Date.now() < end; q++) {
          const error = await call('/api/v1/query', {
            range: { from: T0, to: T0 + 14 * DAY - q * 1000 },
            intervalMs: 3_600_000,
            maxDataPoints: 500,
            targets: [
              { refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'] },
              { refId: 'B', queryType: 'stats' },
            ],
          });
          if (error) errors.push(error);
          await sleep(200);
        }
      })();
      // Resident memory apart from the young generation, which the collector starts with room to
      // grow into (--max-semi-space-size): that growth is bounded, a leak is not.
      const sampling = (async () => {
        while (Date.now() < end) {
          const young = await youngGenerationKiB(url);
          memory.push(rssKiB(child.pid!) - young);
          await sleep(3000);
        }
      })();
      await Promise.all([ingest, queries, sampling]);

      expect(errors).toEqual([]);
      expect(retries).toBeLessThan(20);
      expect(acknowledged.length).toBeGreaterThan(3000);
      const health = (await (await fetch(`${url}/api/v1/health`)).json()) as { database: { executions: number; steps: number } };
      expect(health.database).toMatchObject({ executions: acknowledged.length, steps: acknowledged.length * 5 });
      // Flat: the last third of the run holds no more than the first third, give or take 64 MiB
      // (the young generation left out, above).
      const third = Math.floor(memory.length / 3);
      expect(Math.max(...memory.slice(-third)) - Math.max(...memory.slice(1, third + 1))).toBeLessThan(64 * 1024);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      tmp.cleanup();
    }
  }, 150_000);
});
