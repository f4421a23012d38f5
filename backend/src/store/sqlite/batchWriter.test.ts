import { SqliteStore } from './sqliteStore';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 8);

describe('batch writer', () => {
  const start = (id: string, at: number) => ({ id, workflow: 'Claims', robot: 'bot-1', startedAt: at, status: 'running' as const });
  const done = (id: string, at: number, status: 'completed' | 'failed' = 'completed') => ({
    id,
    workflow: 'Claims',
    startedAt: at,
    endedAt: at + 1000,
    durationMs: 1000,
    status,
  });
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
      expect(hourRuns(store).sort()).toEqual([
        ['completed', 1, 1000],
        ['failed', 1, 0],
      ]);
    } finally {
      store.close();
    }
  });

  it('when a batch brings a run and its steps, then the steps are stored and rolled up with it', () => {
    const store = new SqliteStore({ file: ':memory:' });
    try {
      const steps = [0, 1, 2].map((i) => ({
        executionId: 'r',
        index: i,
        name: `s${i}`,
        startedAt: T0 + i,
        durationMs: 100.25 * (i + 1),
        status: 'completed' as const,
      }));
      // The second step twice: the later one is what is stored, and what is rolled up.
      store.ingest({ executions: [done('r', T0)], steps: [...steps, { ...steps[1], durationMs: 999, error: 'slow' }], samples: [] });
      expect(store.getExecution('r')!.steps.map((s) => [s.name, s.durationMs, s.error])).toEqual([
        ['s0', 100.25, undefined],
        ['s1', 999, 'slow'],
        ['s2', 300.75, undefined],
      ]);
      const rolled = store.stepRollups({ resolution: HOUR, from: T0 - HOUR, to: T0 + HOUR }).map((r) => [r.step, r.steps, r.sumMs]);
      expect(rolled.sort()).toEqual([
        ['s0', 1, 100.25],
        ['s1', 1, 999],
        ['s2', 1, 300.75],
      ]);
    } finally {
      store.close();
    }
  });

  it('when a batch is larger than one statement writes, then it stores what the same rows sent one at a time store', () => {
    // 150 runs and 1,200 steps span statements of every size (64, 16, 4, 1 rows); some runs were
    // started in an earlier batch, one comes twice, one has an id that is not well-formed UTF-16, and one step is rewritten 100 steps later.
    const earlier = Array.from({ length: 20 }, (_, i) => start(`r${i * 7}`, T0 + i * 7 * 1000));
    const runs = Array.from({ length: 150 }, (_, i) => ({ ...done(`r${i}`, T0 + i * 1000, i % 9 === 0 ? 'failed' : 'completed'), robot: `bot-${i % 4}` }));
    // A lone surrogate is stored as its bytes, and read back otherwise: runs are still found by id.
    runs.push({ ...runs[40], durationMs: 1234 }, { ...done('lone \ud800', T0 + 5), robot: 'bot-9' });
    const steps = runs.slice(0, 150).flatMap((run, i) =>
      Array.from({ length: 8 }, (_, k) => ({
        executionId: run.id,
        index: k,
        name: `step ${k}`,
        startedAt: run.startedAt + k,
        durationMs: 10 * k + i,
        status: 'completed' as const,
      })),
    );
    steps.push({ ...steps[3], startedAt: steps[103].startedAt, durationMs: 5, error: 'again' } as (typeof steps)[number]);
    // A step sent again later in the batch but with an earlier start: the one that started later stays.
    steps.push({ ...steps[10], startedAt: steps[10].startedAt - 1, durationMs: 7, error: 'stale' } as (typeof steps)[number]);
    const together = new SqliteStore({ file: ':memory:' });
    const oneByOne = new SqliteStore({ file: ':memory:' });
    try {
      for (const store of [together, oneByOne]) store.ingest({ executions: earlier, steps: [], samples: [] });
      const result = together.ingest({ executions: runs, steps, samples: [] });
      // One at a time in the order the writer uses: runs by start, then steps by start.
      const byStart = <T extends { startedAt: number }>(rows: T[]) =>
        rows
          .map((row, i) => ({ row, i }))
          .sort((a, b) => a.row.startedAt - b.row.startedAt || a.i - b.i)
          .map(({ row }) => row);
      for (const run of byStart(runs)) oneByOne.ingest({ executions: [run], steps: [], samples: [] });
      for (const step of byStart(steps)) oneByOne.ingest({ executions: [], steps: [step], samples: [] });
      for (const run of runs) expect(together.getExecution(run.id)).toEqual(oneByOne.getExecution(run.id));
      expect(together.getExecution('r0')!.steps[3]).toMatchObject({ durationMs: 5, error: 'again' });
      expect(together.getExecution('r1')!.steps[2]).toMatchObject({ durationMs: 21 });
      expect(together.getExecution('r40')!.durationMs).toBe(1234);
      expect(result.finished!.map((f) => f.execution.id).sort()).toEqual([...runs.slice(0, 150).map((r) => r.id), 'lone \ud800'].sort());
      expect(hourRuns(together).sort()).toEqual(hourRuns(oneByOne).sort());
    } finally {
      together.close();
      oneByOne.close();
    }
  });
});
