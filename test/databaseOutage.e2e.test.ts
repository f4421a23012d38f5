import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import type { Execution } from '@rpa-analytics/contract';
import { spawnCollector } from '../backend/src/testing/collectorProcess';
import { tempDir } from '../backend/src/testing/harness';
import { type PostgresCluster, startPostgres } from '../backend/src/testing/postgresCluster';

/**
 * Two collectors on one PostgreSQL (Debian's `postgresql`, a throwaway cluster on 127.0.0.1) while
 * the database goes away: their sessions terminated, then the server shut down and started again.
 */
describe('two collectors through a PostgreSQL outage', () => {
  const tmp = tempDir();
  let pg: PostgresCluster;
  const collectors: Array<{ child: ChildProcess; url: string; said: string; output: () => string }> = [];

  beforeAll(async () => {
    pg = await startPostgres();
    for (const name of ['a', 'b']) {
      const collector = await spawnCollector({
        RPA_STORE: pg.url,
        RPA_DATA_DIR: `${tmp.dir}/${name}`,
        RPA_ANALYSIS: 'on',
        RPA_ANALYSIS_INTERVAL_MS: '1000',
        RPA_LOG_LEVEL: 'info',
      });
      let output = '';
      collector.child.stdout?.on('data', (d) => (output += d));
      collector.child.stderr?.on('data', (d) => (output += d));
      collectors.push({ ...collector, output: () => output });
    }
  }, 120_000);

  afterAll(() => {
    for (const c of collectors) c.child.kill('SIGKILL');
    pg?.stop();
    tmp.cleanup();
  });

  let next = 0;
  const acknowledged: string[] = [];
  /** One run to one collector: its status, and the run's id kept when acknowledged. */
  async function send(url: string): Promise<{ status: number; retryAfter: string | null }> {
    const id = `outage-${++next}`;
    const run: Execution = {
      id,
      workflow: 'Claims',
      startedAt: Date.UTC(2026, 10, 20) + next * 1000,
      endedAt: Date.UTC(2026, 10, 20) + next * 1000 + 500,
      durationMs: 500,
      status: 'completed',
    };
    const response = await fetch(`${url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ executions: [run] }),
    });
    if (response.status === 200) acknowledged.push(id);
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  }
  /** Sends to `url` until an answer has `status` (every half second, at most a minute). */
  async function until(url: string, status: number): Promise<{ status: number; retryAfter: string | null }> {
    for (let i = 0; i < 120; i++) {
      const answer = await send(url);
      if (answer.status === status) return answer;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${url} never answered ${status}`);
  }
  const alive = () => collectors.map((c) => c.child.exitCode === null && c.child.signalCode === null);
  const health = async (url: string) => (await (await fetch(`${url}/api/v1/health`)).json()) as { analysis: { leading: boolean; lastPassAt: number | null } };

  it('says at start-up which database it uses and where its archive is, and then whether it runs the passes', async () => {
    collectors.forEach((c, i) => expect(c.said).toContain(`(database ${pg.url}; archive in ${tmp.dir}/${['a', 'b'][i]}; the fleet's hours in UTC)`));
    const role = (c: (typeof collectors)[number]) =>
      /analysis: (this collector runs the passes now|another collector on the database runs the passes now)/.exec(c.said + c.output())?.[1];
    for (let i = 0; i < 100 && collectors.some((c) => role(c) === undefined); i++) await new Promise((r) => setTimeout(r, 200));
    expect(collectors.map(role).sort()).toEqual(['another collector on the database runs the passes now', 'this collector runs the passes now']);
  });

  it('when their sessions are terminated, then both stay up and the next batches are stored on new sessions', async () => {
    for (const c of collectors) expect((await send(c.url)).status).toBe(200);
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rpa-analytics collector'");
    await admin.end();
    // Each collector holds a session for its requests and one for its analysis.
    expect(rowCount).toBeGreaterThanOrEqual(4);
    for (const c of collectors) await until(c.url, 200);
    expect(alive()).toEqual([true, true]);
  }, 90_000);

  it('when the server is down, then both answer 503 with Retry-After; when it is back, 200, and the lead runs passes again', async () => {
    pg.shutDown();
    for (const c of collectors) expect((await until(c.url, 503)).retryAfter).toBe('5');
    expect((await fetch(`${collectors[0].url}/api/v1/health`)).status).toBe(503);
    expect(alive()).toEqual([true, true]);
    pg.startAgain();
    const back = Date.now();
    for (const c of collectors) await until(c.url, 200);
    expect(alive()).toEqual([true, true]);
    // One of them leads again and its passes go on after the restart.
    for (let i = 0; i < 120; i++) {
      const states = await Promise.all(collectors.map((c) => health(c.url)));
      if (states.some((h) => h.analysis.leading && (h.analysis.lastPassAt ?? 0) > back)) break;
      if (i === 119) throw new Error(`no pass after the restart: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const said = collectors.map((c) => c.output()).join('');
    expect(said).not.toMatch(/Emitted 'error' event|uncaught/i);
    // Each collector says when its connection went and came back, at info.
    for (const c of collectors) {
      const lines = c
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(lines.some((l) => l.level === 30 && /^database connection lost \(/.test(l.msg))).toBe(true);
      expect(lines.some((l) => l.level === 30 && /^database connected again \(session \d+\)$/.test(l.msg))).toBe(true);
    }
  }, 180_000);

  it('keeps every acknowledged batch, exactly once', async () => {
    expect(acknowledged.length).toBeGreaterThanOrEqual(6);
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    const { rows } = await admin.query<{ ext_id: string; n: string }>(
      "SELECT ext_id, count(*) AS n FROM executions WHERE ext_id LIKE 'outage-%' GROUP BY ext_id",
    );
    await admin.end();
    const stored = new Map(rows.map((r) => [r.ext_id, Number(r.n)]));
    for (const id of acknowledged) expect([id, stored.get(id)]).toEqual([id, 1]);
  });
});
