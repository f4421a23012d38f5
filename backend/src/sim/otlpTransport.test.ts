import type { Execution, ExecutionDetail, Step } from '@rpa-analytics/contract';
import { collectorForTests } from '../testing/harness';
import { OtlpTransport } from './otlpTransport';

describe("the simulator's OTLP transport, into a real collector", () => {
  const ctx = collectorForTests();
  const T0 = Date.parse('2026-11-30T09:00:00.000Z');
  const run = (id: string, extra: Partial<Execution> = {}): Execution => ({
    id,
    workflow: 'Payroll Reconciliation',
    robot: 'robot-10',
    host: 'rpa-vm-01',
    packageVersion: '2.0.0',
    startedAt: T0,
    endedAt: T0 + 50_000,
    durationMs: 50_000,
    status: 'completed',
    ...extra,
  });
  const step = (executionId: string, index: number, extra: Partial<Step> = {}): Step => ({
    executionId,
    index,
    name: `Step ${index + 1}`,
    startedAt: T0 + 1000 + index * 10_000,
    durationMs: 9_000,
    status: 'completed',
    ...extra,
  });

  it('when a batch of runs and steps is sent as spans, then each run reads back with what the ingest API would have stored', async () => {
    const transport = new OtlpTransport({ url: ctx.collector.url });
    const failed = run('s1-w03-000001', { status: 'failed', errorType: 'system', errorMessage: 'Citrix session disconnected (code 1042)' });
    const timedOut = run('s1-w03-000002', { startedAt: T0 + 60_000, endedAt: T0 + 180_000, durationMs: 120_000, status: 'timeout', errorType: 'timeout' });
    // Steps of the first run come in an earlier batch than the run, as a tracer sends them.
    await transport.send({ executions: [], steps: [step(failed.id, 0), step(failed.id, 1, { status: 'failed', error: 'session lost' })], samples: [] });
    await transport.send({ executions: [failed, timedOut], steps: [step(timedOut.id, 0)], samples: [] });
    const page = (await (await fetch(`${ctx.base}/executions?limit=10`)).json()) as { items: Execution[] };
    const byStart = page.items.sort((a, b) => a.startedAt - b.startedAt);
    expect(byStart.map((e) => [e.workflow, e.robot, e.host, e.packageVersion, e.status, e.errorType, e.errorMessage, e.durationMs])).toEqual([
      ['Payroll Reconciliation', 'robot-10', 'rpa-vm-01', '2.0.0', 'failed', 'system', 'Citrix session disconnected (code 1042)', 50_000],
      ['Payroll Reconciliation', 'robot-10', 'rpa-vm-01', '2.0.0', 'timeout', 'timeout', 'timeout', 120_000],
    ]);
    const detail = (await (await fetch(`${ctx.base}/executions/${byStart[0].id}`)).json()) as ExecutionDetail;
    expect(detail.steps.map((s) => [s.index, s.name, s.startedAt - T0, s.durationMs, s.status, s.error])).toEqual([
      [0, 'Step 1', 1000, 9000, 'completed', undefined],
      [1, 'Step 2', 11_000, 9000, 'failed', 'session lost'],
    ]);
  }, 30_000);
});
