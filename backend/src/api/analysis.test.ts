import type { Execution, Step } from '@rpa-analytics/contract';
import { collectorForTests, getJson, postJson } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2, 8);
const HOUR = 3600_000;
const range = `from=${T0 - HOUR}&to=${T0 + 24 * HOUR}`;

/** Payroll: five runs of 1, 2, 3, 4 and 10 s an hour apart ('Post' is 80% of each), and one failure. */
function fixture(): { executions: Execution[]; steps: Step[] } {
  const durations = [1000, 2000, 3000, 4000, 10000];
  const executions: Execution[] = durations.map((durationMs, i) => ({
    id: `p-${i}`,
    workflow: 'Payroll',
    robot: 'bot-1',
    host: 'vm-1',
    startedAt: T0 + i * HOUR,
    endedAt: T0 + i * HOUR + durationMs,
    durationMs,
    status: 'completed',
  }));
  executions.push({
    id: 'p-fail',
    workflow: 'Payroll',
    robot: 'bot-2',
    startedAt: T0 + 5 * HOUR,
    endedAt: T0 + 5 * HOUR + 500,
    durationMs: 500,
    status: 'failed',
    errorType: 'business',
    errorMessage: 'Employee 12345 not found',
  });
  const steps: Step[] = durations.flatMap((d, i) => [
    { executionId: `p-${i}`, index: 0, name: 'Open SAP', startedAt: T0 + i * HOUR, durationMs: 0.2 * d, status: 'completed' as const },
    { executionId: `p-${i}`, index: 1, name: 'Post', startedAt: T0 + i * HOUR + 0.2 * d, durationMs: 0.8 * d, status: 'completed' as const },
  ]);
  steps.push({
    executionId: 'p-fail',
    index: 0,
    name: 'Open SAP',
    startedAt: T0 + 5 * HOUR,
    durationMs: 500,
    status: 'failed',
    error: 'Employee 12345 not found',
  });
  return { executions, steps };
}

describe('analysis API on a small fixture with known answers', () => {
  const ctx = collectorForTests();

  beforeAll(async () => {
    expect((await postJson(`${ctx.base}/ingest`, fixture())).status).toBe(200);
  });

  it('reports the workflow statistics: mean, median, p95 and p99 by linear interpolation, sample SD', async () => {
    const { status, body } = await getJson(`${ctx.base}/analysis/performance?workflow=Payroll&${range}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      workflow: 'Payroll',
      runs: 6,
      completed: 5,
      avgDurationMs: 4000,
      medianDurationMs: 3000,
      p95DurationMs: 8800,
      p99DurationMs: 9760,
      minDurationMs: 1000,
      maxDurationMs: 10000,
    });
    expect(body.successRate).toBeCloseTo(5 / 6, 12);
    expect(body.stdDevDurationMs).toBeCloseTo(Math.sqrt(12.5e6), 6);
    expect(body.slowestSteps[0]).toMatchObject({ step: 'Post', count: 5, totalMs: 16000 });
    expect(body.slowestSteps[0].share).toBeCloseTo(16000 / 20500, 12);
  });

  it('ranks the bottleneck steps by their share of the time', async () => {
    const { body } = await getJson(`${ctx.base}/analysis/bottlenecks?workflow=Payroll&${range}`);
    expect(body.map((b: { step: string; failures: number }) => [b.step, b.failures])).toEqual([
      ['Post', 0],
      ['Open SAP', 1],
    ]);
  });

  it('fits the trend: 2 s more per hour is 48 s per day, r² 0.8', async () => {
    const { body } = await getJson(`${ctx.base}/analysis/trend?workflow=Payroll&${range}`);
    expect(body.slopeMsPerDay).toBeCloseTo(48_000, 6);
    expect(body.r2).toBeCloseTo(0.8, 10);
    expect(body.points).toBe(5);
  });

  it('breaks failures down by error type and fingerprint', async () => {
    const { body } = await getJson(`${ctx.base}/analysis/success?workflow=Payroll&${range}`);
    expect(body).toMatchObject({ runs: 6, failures: 1, byErrorType: { business: 1 } });
    expect(body.patterns).toEqual([
      expect.objectContaining({ fingerprint: 'Employee <n> not found', count: 1, errorType: 'business', firstSeen: T0 + 5 * HOUR }),
    ]);
    expect(body.overTime.filter((b: { runs: number }) => b.runs > 0)).toHaveLength(6);
  });

  it('compares workflows side by side', async () => {
    const { body } = await getJson(`${ctx.base}/analysis/comparison?${range}`);
    expect(body.map((s: { workflow: string }) => s.workflow)).toEqual(['Payroll']);
  });

  it('runs an analysis pass on demand; with this little history nothing is judged yet', async () => {
    const { status, body } = await postJson(`${ctx.base}/analysis/run`, {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ opened: 0 });
    expect((await getJson(`${ctx.base}/anomalies`)).body).toEqual([]);
    // A robot's own anomalies are asked for by its name.
    expect(await getJson(`${ctx.base}/anomalies?robot=bot-1,bot-2`)).toMatchObject({ status: 200, body: [] });
  });

  it.each([
    ['/analysis/performance?from=0', 'workflow'],
    ['/anomalies?metric=latency', 'metric[0]'],
    ['/anomalies?minSeverity=3', 'minSeverity'],
    [`/analysis/performance?workflow=Payroll&from=${T0}&to=${T0 - 1}`, 'to'],
    [`/analysis/degradation?workflow=Payroll&baselineFrom=${T0}`, 'baselineFrom'],
    ['/insights?category=luck', 'category[0]'],
  ])('when asked %s, then 400 names %s', async (path, field) => {
    const { status, body } = await getJson(`${ctx.base}${path}`);
    expect(status).toBe(400);
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('when marking an unknown insight implemented, then 404', async () => {
    const { status, body } = await postJson(`${ctx.base}/insights/ins-nope/implemented`, {});
    expect(status).toBe(404);
    expect(body.error.message).toBe("no insight 'ins-nope'");
  });
});
