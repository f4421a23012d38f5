import { AppError } from '../domain/errors';
import type { Execution, IngestBatch, Step } from '@rpa-analytics/contract';
import type { SampleBucket, Store } from '../store/store';

export type ContractStore = Store;

const HOUR = 3_600_000;
export const CONTRACT_T0 = Date.UTC(2026, 10, 2, 8);
const T0 = CONTRACT_T0;

export function contractRun(id: string, startedAt: number, durationMs: number, extra: Partial<Execution> = {}): Execution {
  return {
    id,
    workflow: 'Claims',
    robot: 'bot-1',
    host: 'vm-1',
    packageVersion: '1.2.0',
    startedAt,
    endedAt: startedAt + durationMs,
    durationMs,
    status: 'completed',
    ...extra,
  };
}

export function contractSteps(run: Execution, durations: number[]): Step[] {
  let t = run.startedAt;
  return durations.map((durationMs, index) => {
    const step: Step = { executionId: run.id, index, name: `Step ${index + 1}`, startedAt: t, durationMs, status: 'completed' };
    // Times are whole milliseconds, as the API takes them; durations need not be.
    t += Math.round(durationMs);
    return step;
  });
}

/** Run rollups of one hour as plain rows: [workflow, status, runs, timed, sum, p50]. */
export function hourRuns(store: ContractStore, from = T0, to = T0 + HOUR): Array<[string, string, number, number, number, number | null]> {
  const out: Array<[string, string, number, number, number, number | null]> = [];
  store.visitRunRollups({ resolution: HOUR, from, to }, (r) => {
    const values = r.values ? Array.from(r.values.subarray(0, r.timed)).sort((a, b) => a - b) : [];
    out.push([r.workflow, r.status, r.runs, r.timed, r.sumMs, values.length ? values[(values.length - 1) >> 1] : null]);
  });
  return out.sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));
}

export function hourSteps(store: ContractStore, from = T0, to = T0 + HOUR): Array<[string, string, number, number]> {
  const out: Array<[string, string, number, number]> = [];
  store.visitStepRollups({ resolution: HOUR, from, to }, (r) => out.push([r.workflow, r.step, r.steps, r.sumMs]));
  return out.sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));
}

/**
 * The behaviour every store must have, as tests: the SQLite store runs them in `npm test`, the
 * PostgreSQL store in `npm run test:e2e`. `open` gives an empty store each time.
 */
export function storeContract(open: () => ContractStore): void {
  let stores: ContractStore[] = [];
  const fresh = () => {
    const store = open();
    stores.push(store);
    return store;
  };
  afterEach(() => {
    for (const s of stores) s.close();
    stores = [];
  });

  it('when finished runs are sent again corrected, then the rollups count their final state, as a store that saw only that', () => {
    const corrected = fresh();
    const reference = fresh();
    const a = contractRun('a', T0, 1000);
    const b = contractRun('b', T0 + 60_000, 2000);
    const c = contractRun('c', T0 + 120_000, 3000, { status: 'failed', errorType: 'system' });
    const d = contractRun('d', T0 + 180_000, 4000);
    corrected.ingest({ executions: [a, b, c, d], steps: [...contractSteps(a, [400]), ...contractSteps(d, [900, 100])], samples: [] });
    // Sent again: a unchanged (a retry), b under another workflow, c as completed after all and
    // longer, d with its second step corrected and a third added in a later batch of steps.
    const final = [
      a,
      { ...b, workflow: 'Invoices' },
      { ...c, status: 'completed' as const, errorType: undefined, durationMs: 3500, endedAt: c.startedAt + 3500 },
      d,
    ];
    corrected.ingest({ executions: final.slice(0, 3), steps: contractSteps(a, [400]), samples: [] });
    const dSteps = contractSteps(d, [900, 300, 50]);
    corrected.ingest({ executions: [], steps: dSteps.slice(1), samples: [] });
    reference.ingest({ executions: final, steps: [...contractSteps(a, [400]), ...dSteps], samples: [] });
    expect(hourRuns(corrected)).toEqual(hourRuns(reference));
    expect(hourRuns(corrected)).toEqual([
      ['Claims', 'completed', 3, 3, 1000 + 3500 + 4000, 3500],
      ['Invoices', 'completed', 1, 1, 2000, 2000],
    ]);
    expect(hourSteps(corrected)).toEqual(hourSteps(reference));
    expect(hourSteps(corrected)).toEqual([
      ['Claims', 'Step 1', 2, 1300],
      ['Claims', 'Step 2', 1, 300],
      ['Claims', 'Step 3', 1, 50],
    ]);
  });

  it('when a batch is written, then its runs and steps read back as posted', () => {
    const store = fresh();
    const failed = contractRun('r-2', T0 + 60_000, 4000, {
      status: 'failed',
      errorType: 'application',
      errorMessage: 'Selector not found',
      stepsTotal: 3,
      stepsCompleted: 1,
      tags: { team: 'finance' },
    });
    const steps = [
      ...contractSteps(failed, [1500.5, 2499.5]),
      { executionId: 'r-2', index: 2, name: 'Submit', startedAt: T0 + 64_000, durationMs: 0, status: 'failed' as const, error: 'timeout' },
    ];
    store.ingest({ executions: [contractRun('r-1', T0, 1000), failed], steps, samples: [] });
    expect(store.getExecution('r-2')).toEqual({ ...failed, steps });
    expect(store.getExecution('r-1')).toEqual({ ...contractRun('r-1', T0, 1000), steps: [] });
    expect(store.getExecution('nobody')).toBeUndefined();
    expect(store.stats()).toMatchObject({ executions: 2, steps: 3, samples: 0, lastExecutionAt: T0 + 60_000 });
  });

  it('when runs are read whole, then they and their steps come in the order asked for, by start or by end', () => {
    const store = fresh();
    // Started a, b, c; ended c, a, b: the two orders differ. `a` has a failed step with its error.
    const a = contractRun('a', T0, 5000, { status: 'failed', errorType: 'application', errorMessage: 'Selector not found' });
    const b = contractRun('b', T0 + 1000, 9000);
    const c = contractRun('c', T0 + 2000, 1000);
    const aSteps = [
      ...contractSteps(a, [2000]),
      { executionId: 'a', index: 1, name: 'Submit', startedAt: T0 + 2000, durationMs: 3000, status: 'failed' as const, error: 'timeout' },
    ];
    store.ingest({ executions: [c, a, b], steps: [...contractSteps(c, [400, 600]), ...contractSteps(b, [9000]), ...aSteps], samples: [] });
    const range = { from: T0, to: T0 + HOUR };
    expect(store.runs(range).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(store.runs({ ...range, by: 'end' })).toEqual([c, a, b]);
    const order = (steps: Step[]) => steps.map((s) => `${s.executionId}${s.index}`);
    expect(order(store.stepsOfRuns(range))).toEqual(['a0', 'a1', 'b0', 'c0', 'c1']);
    expect(store.stepsOfRuns({ ...range, by: 'end' })).toEqual([...contractSteps(c, [400, 600]), ...aSteps, ...contractSteps(b, [9000])]);
  });

  it('when an analysis pass reads in bulk, then outlines, hourly starts and host buckets agree with the whole reads', () => {
    const store = fresh();
    // Ended c, a, b; `b` has no steps, `d` runs on no host and is still running, `e` started an hour later.
    const a = contractRun('a', T0, 5000, { status: 'failed', errorType: 'application', errorMessage: 'Selector not found' });
    const b = contractRun('b', T0 + 1000, 9000);
    const c = contractRun('c', T0 + 2000, 1000);
    const d: Execution = { id: 'd', workflow: 'Invoices', startedAt: T0 + 3000, status: 'running' };
    const e = contractRun('e', T0 + HOUR + 10, 1000, { workflow: 'Invoices', host: 'vm-2' });
    const aSteps = [
      ...contractSteps(a, [2000]),
      { executionId: 'a', index: 1, name: 'Submit', startedAt: T0 + 2000, durationMs: 3000, status: 'failed' as const, error: 'timeout' },
    ];
    const sample = (host: string, time: number, cpuPercent: number) => ({
      host,
      time,
      cpuPercent,
      memoryUsedBytes: 2e9,
      memoryTotalBytes: 8e9,
      diskReadBytesPerSec: 0,
      diskWriteBytesPerSec: 0,
      netRxBytesPerSec: 0,
      netTxBytesPerSec: 0,
    });
    // vm-1's agent tells its disk space (30% then 40% of the volume used); vm-2's does not.
    const disk = (used: number) => ({ diskUsedBytes: used * 1e9, diskTotalBytes: 100e9 });
    const samples = [
      sample('vm-2', T0 + 60_000, 10),
      { ...sample('vm-1', T0 + 60_000, 20), ...disk(40) },
      { ...sample('vm-1', T0, 30), ...disk(30) },
      { ...sample('vm-2', T0 + 2 * HOUR, 40), workflow: 'Claims' },
    ];
    store.ingest({ executions: [c, a, b, d, e], steps: [...contractSteps(c, [400, 600.5]), ...aSteps, ...contractSteps(d, [100])], samples });
    const range = { from: T0, to: T0 + 2 * HOUR };
    const outline = (run: Execution, steps: Step[]) => ({
      ...(({ id, packageVersion, errorMessage, stepsTotal, stepsCompleted, tags, ...kept }) => kept)(run),
      completedSteps: {
        names: steps.filter((step) => step.status === 'completed').map((step) => step.name),
        times: steps.filter((step) => step.status === 'completed').flatMap((step) => [step.startedAt, step.durationMs]),
      },
    });
    expect(store.runOutlines({ ...range, by: 'end' })).toEqual([
      outline(c, contractSteps(c, [400, 600.5])),
      outline(a, aSteps),
      outline(b, []),
      outline(e, []),
    ]);
    expect(store.runOutlines(range)).toEqual([
      outline(a, aSteps),
      outline(b, []),
      outline(c, contractSteps(c, [400, 600.5])),
      outline(d, contractSteps(d, [100])),
      outline(e, []),
    ]);
    expect(store.runOutlines({ ...range, workflows: ['Claims'], by: 'end', last: 2 })).toEqual([outline(a, aSteps), outline(b, [])]);
    const byKey = (rows: Array<{ workflow: string; hour: number; runs: number }>) =>
      [...rows].sort((x, y) => x.workflow.localeCompare(y.workflow) || x.hour - y.hour);
    expect(byKey(store.hourlyStarts(T0, T0 + 2 * HOUR))).toEqual([
      { workflow: 'Claims', hour: T0, runs: 3 },
      { workflow: 'Invoices', hour: T0, runs: 1 },
      { workflow: 'Invoices', hour: T0 + HOUR, runs: 1 },
    ]);
    // The ends alone, in the order the runs ended (`d` runs yet); from inclusive, to exclusive.
    expect(store.runEnds(T0, T0 + 2 * HOUR)).toEqual([
      { workflow: 'Claims', endedAt: T0 + 3000 },
      { workflow: 'Claims', endedAt: T0 + 5000 },
      { workflow: 'Claims', endedAt: T0 + 10_000 },
      { workflow: 'Invoices', endedAt: T0 + HOUR + 1010 },
    ]);
    expect(store.runEnds(T0 + 3000, T0 + HOUR + 1010).map((r) => r.endedAt)).toEqual([T0 + 3000, T0 + 5000, T0 + 10_000]);
    // From exclusive of `a`, to exclusive of `e`.
    expect(byKey(store.hourlyStarts(T0 + 1, T0 + HOUR + 10))).toEqual([
      { workflow: 'Claims', hour: T0, runs: 2 },
      { workflow: 'Invoices', hour: T0, runs: 1 },
    ]);
    // Hosts by name, each one's buckets by time; memory is 25% of the total in every sample; the
    // sample at the end of the range is left out.
    expect(store.hostBuckets(T0, T0 + 2 * HOUR, 5 * 60_000)).toEqual([
      { host: 'vm-1', times: [T0], samples: [2], cpuPercent: [50], memoryPercent: [50], diskSamples: [2], diskPercent: [70] },
      { host: 'vm-2', times: [T0], samples: [1], cpuPercent: [10], memoryPercent: [25], diskSamples: [0], diskPercent: [0] },
    ]);
    expect(store.hostBuckets(T0 + 1, T0 + 2 * HOUR + 1, 60_000)).toEqual([
      { host: 'vm-1', times: [T0 + 60_000], samples: [1], cpuPercent: [20], memoryPercent: [25], diskSamples: [1], diskPercent: [40] },
      {
        host: 'vm-2',
        times: [T0 + 60_000, T0 + 2 * HOUR],
        samples: [1, 1],
        cpuPercent: [10, 40],
        memoryPercent: [25, 25],
        diskSamples: [0, 0],
        diskPercent: [0, 0],
      },
    ]);
    expect(store.hostBuckets(T0 + 3 * HOUR, T0 + 4 * HOUR, 60_000)).toEqual([]);
    // Only the hosts asked for: a pass reads them a few at a time.
    expect(store.hostBuckets(T0, T0 + 2 * HOUR, 5 * 60_000, ['vm-2', 'nowhere'])).toEqual([
      { host: 'vm-2', times: [T0], samples: [1], cpuPercent: [10], memoryPercent: [25], diskSamples: [0], diskPercent: [0] },
    ]);
    expect(store.hostBuckets(T0, T0 + 2 * HOUR, 5 * 60_000, [])).toEqual([]);
    // By name whatever the order asked in, each once.
    expect(store.hostBuckets(T0, T0 + 2 * HOUR, 5 * 60_000, ['vm-2', 'vm-1', 'vm-2']).map((h) => [h.host, h.samples])).toEqual([
      ['vm-1', [2]],
      ['vm-2', [1]],
    ]);
    // What host panels read: per host, workflow and bucket, in no order.
    const inOrder = (rows: SampleBucket[]) => [...rows].sort((x, y) => x.host.localeCompare(y.host) || x.time - y.time);
    expect(inOrder(store.sampleBuckets({ from: T0, to: T0 + 2 * HOUR }, 'cpuPercent', HOUR))).toEqual([
      { host: 'vm-1', time: T0, count: 2, sum: 50, min: 20, max: 30 },
      { host: 'vm-2', time: T0, count: 1, sum: 10, min: 10, max: 10 },
    ]);
    expect(inOrder(store.sampleBuckets({ hosts: ['vm-2'], from: T0 }, 'memoryPercent', 60_000))).toEqual([
      { host: 'vm-2', time: T0 + 60_000, count: 1, sum: 25, min: 25, max: 25 },
      { host: 'vm-2', workflow: 'Claims', time: T0 + 2 * HOUR, count: 1, sum: 25, min: 25, max: 25 },
    ]);
    expect(store.sampleBuckets({ from: T0 }, 'gpuPercent', HOUR)).toEqual([]);
    expect(store.sampleBuckets({ from: T0 }, 'diskUsedPercent', HOUR)).toEqual([{ host: 'vm-1', time: T0, count: 2, sum: 70, min: 30, max: 40 }]);
    // Read back as they were sent, those without disk space without it.
    expect(store.listSamples({ hosts: ['vm-1'], from: T0, to: T0 + HOUR, limit: 10 }).map((s) => [s.diskUsedBytes, s.diskTotalBytes])).toEqual([
      [30e9, 100e9],
      [40e9, 100e9],
    ]);
    expect(store.listSamples({ hosts: ['vm-2'], from: T0, to: T0 + HOUR, limit: 10 }).map((s) => 'diskUsedBytes' in s)).toEqual([false]);
    expect(store.sampleBuckets({ hosts: ['nowhere'] }, 'cpuPercent', HOUR)).toEqual([]);
  });

  it('when a batch is sent again, then nothing is stored or counted twice', () => {
    const store = fresh();
    const runs = [contractRun('a', T0, 1000), contractRun('b', T0 + 1, 3000), contractRun('c', T0 + 2, 2000, { status: 'failed' })];
    const batch: IngestBatch = { executions: runs, steps: runs.flatMap((r) => contractSteps(r, [100, 200])), samples: [] };
    store.ingest(batch);
    store.ingest(batch);
    expect(store.stats()).toMatchObject({ executions: 3, steps: 6 });
    expect(hourRuns(store)).toEqual([
      ['Claims', 'completed', 2, 2, 4000, 1000],
      ['Claims', 'failed', 1, 0, 0, null],
    ]);
    expect(hourSteps(store)).toEqual([
      ['Claims', 'Step 1', 3, 300],
      ['Claims', 'Step 2', 3, 600],
    ]);
  });

  it('when writes arrive, then arrivals name what each changed, and a re-send that changed nothing names nothing', () => {
    const store = fresh();
    const sample = (host: string, time: number, cpuPercent: number) => ({
      host,
      time,
      cpuPercent,
      memoryUsedBytes: 1,
      memoryTotalBytes: 2,
      diskReadBytesPerSec: 0,
      diskWriteBytesPerSec: 0,
      netRxBytesPerSec: 0,
      netTxBytesPerSec: 0,
    });
    const start = store.latestChange();
    const done = contractRun('done', T0, 1000);
    const batch: IngestBatch = {
      executions: [done, { id: 'open', workflow: 'Billing', startedAt: T0 + 5, status: 'running' }],
      steps: contractSteps(done, [400]),
      samples: [sample('vm-1', T0 + 2000, 10), sample('vm-1', T0 + 1000, 20), sample('vm-2', T0 + 3000, 30)],
    };
    store.ingest(batch);
    const first = store.latestChange();
    expect(first).toBeGreaterThan(start);
    const arrived = store.arrivals(start, first);
    expect(arrived.runs.sort((a, b) => a.startedAt - b.startedAt)).toEqual([
      { workflow: 'Claims', robot: 'bot-1', startedAt: T0, endedAt: T0 + 1000, status: 'completed', placed: true },
      { workflow: 'Billing', startedAt: T0 + 5, status: 'running', placed: true },
    ]);
    expect(arrived.hosts.sort((a, b) => a.host.localeCompare(b.host))).toEqual([
      { host: 'vm-1', earliest: T0 + 1000 },
      { host: 'vm-2', earliest: T0 + 3000 },
    ]);

    // The same batch again: nothing changed, nothing is logged.
    store.ingest(batch);
    expect(store.latestChange()).toBe(first);
    expect(store.arrivals(first, store.latestChange())).toEqual({ runs: [], hosts: [], vacated: [] });

    // The open run finishes (its start stays placed), a step of the done run is corrected, one sample changes.
    store.ingest({
      executions: [{ id: 'open', workflow: 'Billing', startedAt: T0 + 5, endedAt: T0 + 905, status: 'failed' }],
      steps: [{ ...contractSteps(done, [400])[0], durationMs: 450 }],
      samples: [sample('vm-1', T0 + 2000, 10), sample('vm-2', T0 + 3000, 35)],
    });
    const second = store.arrivals(first, store.latestChange());
    expect(second.runs.sort((a, b) => a.startedAt - b.startedAt)).toEqual([
      { workflow: 'Claims', robot: 'bot-1', startedAt: T0, endedAt: T0 + 1000, status: 'completed', placed: false },
      { workflow: 'Billing', startedAt: T0 + 5, endedAt: T0 + 905, status: 'failed', placed: false },
    ]);
    expect(second.hosts).toEqual([{ host: 'vm-2', earliest: T0 + 3000 }]);

    // A run moved to another start, then to another workflow, is placed again, and where it was is
    // named; arrivals up to an earlier cursor stop there.
    const before = store.latestChange();
    store.ingest({ executions: [{ ...done, startedAt: T0 - HOUR, endedAt: T0 - HOUR + 1000 }], steps: [], samples: [] });
    expect(store.arrivals(before, store.latestChange())).toEqual({
      runs: [{ workflow: 'Claims', robot: 'bot-1', startedAt: T0 - HOUR, endedAt: T0 - HOUR + 1000, status: 'completed', placed: true }],
      vacated: [{ workflow: 'Claims', startedAt: T0 }],
      hosts: [],
    });
    const moved = store.latestChange();
    store.ingest({ executions: [{ ...done, workflow: 'Billing', startedAt: T0 - HOUR, endedAt: T0 - HOUR + 1000 }], steps: [], samples: [] });
    expect(store.arrivals(moved, store.latestChange()).vacated).toEqual([{ workflow: 'Claims', startedAt: T0 - HOUR }]);
    expect(store.arrivals(before, before)).toEqual({ runs: [], hosts: [], vacated: [] });
    expect(() => store.arrivals(store.latestChange() + 5, store.latestChange() + 5)).toThrow(AppError);
  });

  it('when a run is reported running and finishes in a later batch, then it is rolled up once, with its stored steps', () => {
    const store = fresh();
    const run = contractRun('late', T0 + 5, 2500);
    store.ingest({
      executions: [{ id: 'late', workflow: 'Claims', robot: 'bot-1', startedAt: run.startedAt, status: 'running' }],
      steps: contractSteps(run, [700]),
      samples: [],
    });
    expect(hourRuns(store)).toEqual([]);
    store.ingest({ executions: [run], steps: [], samples: [] });
    store.ingest({ executions: [{ id: 'late', workflow: 'Claims', startedAt: run.startedAt, status: 'running' }], steps: [], samples: [] });
    expect(store.getExecution('late')).toMatchObject({ status: 'completed', durationMs: 2500, robot: 'bot-1' });
    expect(hourRuns(store)).toEqual([['Claims', 'completed', 1, 1, 2500, 2500]]);
    expect(hourSteps(store)).toEqual([['Claims', 'Step 1', 1, 700]]);
  });

  it('when a batch has a step of a run nobody reported, then it is refused by field and nothing of it is written', () => {
    const store = fresh();
    const run = contractRun('ok', T0, 1000);
    let refused: unknown;
    try {
      store.ingest({
        executions: [run],
        steps: [{ executionId: 'ghost', index: 0, name: 'x', startedAt: T0, durationMs: 5, status: 'completed' }],
        samples: [],
      });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'validation_failed', details: [{ field: 'steps[0].executionId', message: "unknown execution 'ghost'" }] });
    expect(store.stats()).toMatchObject({ executions: 0, steps: 0 });
    expect(store.getExecution('ok')).toBeUndefined();
    expect(hourRuns(store)).toEqual([]);
  });

  it('when many runs of several workflows land in an hour, then the rollups hold their exact counts, sums and values', () => {
    const store = fresh();
    const runs = Array.from({ length: 90 }, (_, i) => contractRun(`m-${i}`, T0 + i * 1000, 1000 + 10 * i, { workflow: `W${i % 3}` }));
    store.ingest({ executions: runs.slice(0, 45), steps: [], samples: [] });
    store.ingest({ executions: runs.slice(45), steps: [], samples: [] });
    const expected = [0, 1, 2].map((w) => {
      const mine = runs.filter((_, i) => i % 3 === w).map((r) => r.durationMs!);
      return ['W' + w, 'completed', 30, 30, mine.reduce((a, b) => a + b), [...mine].sort((a, b) => a - b)[14]] as const;
    });
    expect(hourRuns(store)).toEqual(expected);
  });

  it('when OTLP spans are kept, then a span kept twice stays as first kept, a trace with its run span reads back whole, expired spans are forgotten, and a trace is bounded', () => {
    const store = fresh();
    const span = (traceId: string, spanId: string, run = false, body = `{"span":"${spanId}"}`) => ({ traceId, spanId, run, body });
    const byId = (spans: Array<{ spanId: string }>) => [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
    // Steps before their run: kept, nothing to build yet.
    expect(store.keepSpans([span('t1', 'a'), span('t2', 'x')], T0, 0, 10)).toEqual([]);
    // The run's span: the trace comes back whole; the one sent again keeps its first body.
    expect(byId(store.keepSpans([span('t1', 'r', true), span('t1', 'a', false, '{"changed":true}')], T0 + 60_000, 0, 10))).toEqual([
      span('t1', 'a'),
      span('t1', 'r', true),
    ]);
    // Spans received before the cutoff are forgotten: t1's first step, and t2's.
    expect(byId(store.keepSpans([span('t1', 'c')], T0 + 120_000, T0 + 30_000, 10))).toEqual([span('t1', 'c'), span('t1', 'r', true)]);
    expect(store.keepSpans([span('t2', 'y', true)], T0 + 120_000, T0 + 30_000, 10)).toEqual([span('t2', 'y', true)]);
    // A trace past its bound is refused, and nothing of the request kept.
    let refused: unknown;
    try {
      store.keepSpans([span('t3', 'ok', true), ...Array.from({ length: 4 }, (_, i) => span('t2', `z${i}`))], T0 + 120_000, 0, 4);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'payload_too_large' });
    expect(store.keepSpans([span('t3', 'late')], T0 + 120_000, 0, 10)).toEqual([]);
    expect(store.keepSpans([], T0 + 120_000, 0, 10)).toEqual([]);
  });
}
