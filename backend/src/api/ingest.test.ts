import type { Execution, Step } from '@rpa-analytics/contract';
import { collectorForTests, getJson, postJson } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function makeBatch(executions: number, stepsEach: number) {
  const execs: Execution[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < executions; i++) {
    const startedAt = T0 + i * 60_000;
    const failed = i % 7 === 3;
    const execution: Execution = {
      id: `exec-${i}`,
      workflow: `Invoice Processing ${i % 5}`,
      robot: `robot-${i % 4}`,
      host: `host-${i % 3}`,
      packageVersion: i < 500 ? '1.4.0' : '1.5.0',
      startedAt,
      endedAt: startedAt + 30_000 + i,
      durationMs: 30_000 + i,
      status: failed ? 'failed' : 'completed',
      stepsTotal: stepsEach,
      stepsCompleted: failed ? stepsEach - 1 : stepsEach,
      tags: { region: i % 2 ? 'emea' : 'amer' },
    };
    if (failed) {
      execution.errorType = 'application';
      execution.errorMessage = `Selector not found: #submit-${i}`;
    }
    execs.push(execution);
    for (let s = 0; s < stepsEach; s++) {
      const step: Step = {
        executionId: execution.id,
        index: s,
        name: `Step ${s}`,
        startedAt: startedAt + s * 3000,
        durationMs: 2500 + s,
        status: failed && s === stepsEach - 1 ? 'failed' : 'completed',
      };
      if (step.status === 'failed') step.error = 'timeout waiting for element';
      steps.push(step);
    }
  }
  return { executions: execs, steps, samples: [] };
}

describe('ingest API over a real socket and a real SQLite file', () => {
  const ctx = collectorForTests();

  it('when 1,000 executions with 10 steps each are posted, then each reads back identically', async () => {
    const batch = makeBatch(1000, 10);
    const posted = await postJson(`${ctx.base}/ingest`, batch);
    expect(posted.status).toBe(200);
    expect(posted.body.accepted).toEqual({ executions: 1000, steps: 10_000, samples: 0 });

    for (const i of [0, 3, 499, 500, 999]) {
      const { status, body } = await getJson(`${ctx.base}/executions/exec-${i}`);
      expect(status).toBe(200);
      const { steps, ...execution } = body;
      expect(execution).toEqual(batch.executions[i]);
      expect(steps).toEqual(batch.steps.slice(i * 10, i * 10 + 10));
    }
    // Every execution, through the paginated list.
    const seen: Execution[] = [];
    let cursor: string | undefined;
    do {
      const page = await getJson(`${ctx.base}/executions?limit=300${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(1000);
    expect([...seen].reverse()).toEqual(batch.executions);
    expect(ctx.collector.store.stats()).toMatchObject({ executions: 1000, steps: 10_000 });
  });

  it('when the same batch is posted again, then nothing is counted twice', async () => {
    const batch = makeBatch(1000, 10);
    expect((await postJson(`${ctx.base}/ingest`, batch)).status).toBe(200);
    expect(ctx.collector.store.stats()).toMatchObject({ executions: 1000, steps: 10_000 });
  });

  it.each([
    ['workflow=Invoice%20Processing%201', 200],
    ['workflow=Invoice%20Processing%201,Invoice%20Processing%202', 400],
    ['workflow=Invoice%20Processing%201&workflow=Invoice%20Processing%202&status=failed', 57],
    ['host=host-0&robot=robot-0', 84],
    [`from=${T0 + 100 * 60_000}&to=${T0 + 200 * 60_000}`, 100],
    ['workflow=nope', 0],
  ])('when listing with %s, then %i executions match', async (query, expected) => {
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await getJson(`${ctx.base}/executions?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      total += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(total).toBe(expected);
  });
});
