import type { Execution, Step } from '@rpa-analytics/contract';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { Random } from '../sim/random';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import type { QueryRequest, QueryTarget } from '@rpa-analytics/contract';
import { expectSameFrames } from '../testing/frames';
import { QueryEngine, rollupResolution } from './queryEngine';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 1);
const STATUSES = ['completed', 'completed', 'completed', 'completed', 'failed', 'timeout', 'cancelled'] as const;

/** 30 days of random runs of 4 workflows on 3 hosts, with 3 steps each, some still running. */
function randomFleet(seed: number): { executions: Execution[]; steps: Step[] } {
  const random = new Random(seed);
  const executions: Execution[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < 6000; i++) {
    const startedAt = T0 + Math.floor(random.next() * 30 * DAY);
    const durationMs = Math.round(random.logNormal(40_000, 0.7));
    const status = i % 97 === 0 ? 'running' : random.pick(STATUSES);
    const execution: Execution = { id: `r${i}`, workflow: `wf-${i % 4}`, host: `vm-${random.int(1, 3)}`, robot: 'bot', startedAt, status };
    if (status !== 'running') Object.assign(execution, { endedAt: startedAt + durationMs, durationMs });
    executions.push(execution);
    let t = startedAt;
    for (let s = 0; s < 3; s++) {
      const d = Math.round(random.logNormal(8000 * (s + 1), 0.5));
      steps.push({ executionId: execution.id, index: s, name: `step-${s}`, startedAt: t, durationMs: d, status: 'completed' });
      t += d;
    }
  }
  return { executions, steps };
}

describe('rollups answer like raw rows', () => {
  const store = new SqliteStore({ file: ':memory:' });
  const performance = new PerformanceAnalyzer(store);
  const withRollups = new QueryEngine(store, performance);
  const rawOnly = new QueryEngine(store, performance, false);

  beforeAll(() => {
    const { executions, steps } = randomFleet(11);
    // In batches of 500, each sent twice (a retried batch must not count twice). In every other
    // batch runs arrive running first, then finished; in the others new and finished at once.
    for (let i = 0; i < executions.length; i += 500) {
      const chunk = executions.slice(i, i + 500);
      const ids = new Set(chunk.map((e) => e.id));
      const running = chunk.map((e) => ({ id: e.id, workflow: e.workflow, host: e.host, robot: e.robot, startedAt: e.startedAt, status: 'running' as const }));
      if ((i / 500) % 2 === 0) store.ingest({ executions: running, steps: [], samples: [] });
      const batch = { executions: chunk, steps: steps.filter((s) => ids.has(s.executionId)), samples: [] };
      store.ingest(batch);
      store.ingest(batch);
    }
  });
  afterAll(() => store.close());

  const request = (target: QueryTarget, from: number, to: number, intervalMs: number): QueryRequest => ({
    range: { from, to },
    intervalMs,
    maxDataPoints: 10_000,
    targets: [target],
  });

  const cases: Array<[string, Partial<QueryTarget>]> = [
    ['runs by workflow', { metric: 'runs', groupBy: ['workflow'] }],
    ['runs per minute by status', { metric: 'runs', aggregation: 'rate', groupBy: ['status'] }],
    ['successes', { metric: 'successes', workflow: ['wf-1', 'wf-2'] }],
    ['failures by status', { metric: 'failures', groupBy: ['status'] }],
    ['success rate by workflow', { metric: 'success_rate', groupBy: ['workflow'] }],
    ['average run time by workflow and status', { metric: 'run_duration', aggregation: 'avg', groupBy: ['workflow', 'status'] }],
    ['min run time', { metric: 'run_duration', aggregation: 'min' }],
    ['max run time, failed runs excluded by status', { metric: 'run_duration', aggregation: 'max', status: ['completed'] }],
    ['sum of step times by step', { metric: 'step_duration', aggregation: 'sum', groupBy: ['step'] }],
    ['run time p95 by workflow', { metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'] }],
    ['run time p50', { metric: 'run_duration', aggregation: 'p50' }],
    ['step time p99 of one step', { metric: 'step_duration', aggregation: 'p99', step: ['step-2'] }],
  ];

  // Unaligned edges: the range starts and ends mid-hour, so both rollups and rows contribute.
  const ranges: Array<[string, number, number, number]> = [
    ['7 days, hourly buckets', T0 + 10 * DAY + 17 * 60_000, T0 + 17 * DAY + 41 * 60_000, HOUR],
    ['30 days, hourly buckets', T0 - 3 * 60_000, T0 + 30 * DAY + 7 * 60_000, HOUR],
    ['12 hours, 10-minute buckets', T0 + 5 * DAY + 33_000, T0 + 5 * DAY + 12 * HOUR - 9_000, 10 * 60_000],
    // About 200 runs a day: past the digest's exact limit, so quantiles come from merged sketches.
    ['30 days, daily buckets', T0 + 11 * 60_000, T0 + 30 * DAY - 13 * 60_000, DAY],
  ];

  it('really reads rollups for these panels', () => {
    for (const [, from, to, interval] of ranges) {
      expect(rollupResolution('run_duration', { refId: 'A', queryType: 'timeseries' }, ['workflow'], interval, { from, to })).toBe(
        interval % HOUR === 0 ? HOUR : 60_000,
      );
    }
  });

  describe.each(ranges)('%s', (_name, from, to, interval) => {
    it.each(cases)('%s', (_case, target) => {
      const t: QueryTarget = { refId: 'A', queryType: 'timeseries', ...target };
      const fast = withRollups.run(request(t, from, to, interval)).results.A.frames;
      const exact = rawOnly.run(request(t, from, to, interval)).results.A.frames;
      const quantile = /^p\d+$/.test(String(target.aggregation));
      expectSameFrames(fast, exact, (v, exactV) => (quantile ? expect(Math.abs(v / exactV - 1)).toBeLessThanOrEqual(0.01) : expect(v).toBeCloseTo(exactV, 6)));
    });
  });
});
