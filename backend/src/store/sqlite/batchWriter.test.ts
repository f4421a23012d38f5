import { SqliteStore } from './sqliteStore';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 8);

describe('batch writer', () => {
  const start = (id: string, at: number) => ({ id, workflow: 'Claims', robot: 'bot-1', startedAt: at, status: 'running' as const });
  const done = (id: string, at: number, status: 'completed' | 'failed' = 'completed') => ({ id, workflow: 'Claims', startedAt: at, endedAt: at + 1000, durationMs: 1000, status });
  const hourRuns = (store: SqliteStore) => store.runRollups({ resolution: HOUR, from: T0 - HOUR, to: T0 + HOUR }).map((r) => [r.status, r.runs, r.sumMs]);

  it('when one batch holds a run several times, then it is written as in order and counted once', () => {
    const store = new SqliteStore({ file: ':memory:' });
    try {
      // Started, completed, the completion retried, and a late start: all in one batch.
      store.ingest({ executions: [start('a', T0), done('a', T0), done('a', T0), start('a', T0)], steps: [], samples: [] });
      expect(store.getExecution('a')).toMatchObject({ status: 'completed', robot: 'bot-1', durationMs: 1000 });
      expect(hourRuns(store)).toEqual([['completed', 1, 1000]]);
      // Another batch with the same completion adds nothing; a new run in it does.
      store.ingest({ executions: [done('a', T0), done('b', T0 + 10, 'failed')], steps: [], samples: [] });
      expect(hourRuns(store).sort()).toEqual([['completed', 1, 1000], ['failed', 1, 0]]);
    } finally {
      store.close();
    }
  });

  it('when a batch brings a run and its steps, then the steps are stored and rolled up with it', () => {
    const store = new SqliteStore({ file: ':memory:' });
    try {
      const steps = [0, 1, 2].map((i) => ({ executionId: 'r', index: i, name: `s${i}`, startedAt: T0 + i, durationMs: 100.25 * (i + 1), status: 'completed' as const }));
      // The second step twice: the later one is what is stored, and what is rolled up.
      store.ingest({ executions: [done('r', T0)], steps: [...steps, { ...steps[1], durationMs: 999, error: 'slow' }], samples: [] });
      expect(store.getExecution('r')!.steps.map((s) => [s.name, s.durationMs, s.error])).toEqual([['s0', 100.25, undefined], ['s1', 999, 'slow'], ['s2', 300.75, undefined]]);
      const rolled = store.stepRollups({ resolution: HOUR, from: T0 - HOUR, to: T0 + HOUR }).map((r) => [r.step, r.steps, r.sumMs]);
      expect(rolled.sort()).toEqual([['s0', 1, 100.25], ['s1', 1, 999], ['s2', 1, 300.75]]);
    } finally {
      store.close();
    }
  });
});
