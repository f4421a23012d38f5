import { batchRecordCount } from '@rpa-analytics/contract';
import type { Collector } from '../server';
import { getJson, postJson, startCollector, tempDir } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const good = (id: string) => ({ id, workflow: 'Payroll', startedAt: T0, endedAt: T0 + 1000, status: 'completed' });

describe('ingest validation', () => {
  let collector: Collector;
  let base: string;
  const tmp = tempDir();

  beforeAll(async () => {
    collector = await startCollector(tmp.dir, { RPA_MAX_BODY_BYTES: '200000', RPA_MAX_QUERY_BODY_BYTES: '100000', RPA_MAX_BATCH_RECORDS: '500' });
    base = `${collector.url}/api/v1`;
    expect((await postJson(`${base}/ingest`, { executions: [good('kept-1')] })).status).toBe(200);
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  async function expectUnchanged(): Promise<void> {
    expect(collector.store.stats()).toMatchObject({ executions: 1, steps: 0, samples: 0 });
    const { body } = await getJson(`${base}/executions`);
    expect(body.items.map((e: { id: string }) => e.id)).toEqual(['kept-1']);
  }

  it('when a batch has bad fields, then 400 names each of them and nothing of the batch is stored', async () => {
    const response = await postJson(`${base}/ingest`, {
      executions: [good('new-1'), { ...good('new-2'), workflow: '' }, { ...good('new-3'), status: 'exploded', startedAt: 1_700_000_000 }],
      steps: [{ executionId: 'new-1', index: -1, name: 'Open SAP', startedAt: T0, durationMs: 'slow' }],
      samples: [{ host: 'h', time: T0, cpuPercent: 130 }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    const fields = response.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'executions[1].workflow',
        'executions[2].status',
        'executions[2].startedAt',
        'steps[0].index',
        'steps[0].durationMs',
        'samples[0].cpuPercent',
        'samples[0].memoryUsedBytes',
      ]),
    );
    expect(response.body.error.message).toMatch(/executions\[1\]\.workflow: must not be empty/);
    await expectUnchanged();
  });

  it.each([
    ['an unknown top-level key', { execution: [good('x')] }, 'execution'],
    ['an unknown execution field', { executions: [{ ...good('x'), workflowName: 'typo' }] }, 'executions[0].workflowName'],
    ['an end before the start', { executions: [{ ...good('x'), endedAt: T0 - 1 }] }, 'executions[0].endedAt'],
    ['a time in seconds, not milliseconds', { executions: [{ ...good('x'), startedAt: 1_790_000_000 }] }, 'executions[0].startedAt'],
    ['a body that is not an object', [1, 2, 3], '(body)'],
  ])('when the batch has %s, then 400 names %s', async (_what, body, field) => {
    const response = await postJson(`${base}/ingest`, body);
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    await expectUnchanged();
  });

  it('when a step refers to an execution never reported, then 400 names it and the valid rows are not stored either', async () => {
    const response = await postJson(`${base}/ingest`, {
      executions: [good('new-4')],
      steps: [
        { executionId: 'new-4', index: 0, name: 'Login', startedAt: T0, durationMs: 5 },
        { executionId: 'ghost', index: 0, name: 'Login', startedAt: T0, durationMs: 5 },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field: 'steps[1].executionId', message: "unknown execution 'ghost'" }]);
    await expectUnchanged();
  });

  it('when the body is not JSON, then 400 says so', async () => {
    const response = await postJson(`${base}/ingest`, '{"executions": [');
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/not valid JSON/);
    await expectUnchanged();
  });

  it('when a body is valid JSON nested deeper than 16 levels, then 400 says so, on the ingest route and on the others', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    // A run with tags nested too deep: not a usual batch, so its bytes are counted before the schema walks it.
    const batch = `{"executions": [{"id": "deep", "workflow": "Payroll", "startedAt": ${T0}, "status": "completed", "tags": {"a": ${nested(20_000)}}}]}`;
    for (const [route, body] of [
      ['ingest', batch],
      ['query', `{"targets": ${nested(20_000)}}`],
      ['executions/deep/start', `{"tags": ${nested(17)}}`],
    ]) {
      const response = await postJson(`${base}/${route}`, body);
      expect([route, response.status, response.body.error.message]).toEqual([route, 400, 'request body is nested deeper than 16 levels']);
    }
    // Sixteen levels are accepted: refused for what they hold, not for their depth.
    const deepest = await postJson(
      `${base}/ingest`,
      `{"executions": [{"id": "deep", "workflow": "Payroll", "startedAt": ${T0}, "status": "completed", "tags": {"a": ${nested(12)}}}]}`,
    );
    expect(deepest.status).toBe(400);
    expect(deepest.body.error.code).toBe('validation_failed');
    await expectUnchanged();
  });

  it('when the body is larger than the limit, then 413', async () => {
    const huge = { executions: [{ ...good('big'), errorMessage: 'x'.repeat(250_000) }] };
    const response = await postJson(`${base}/ingest`, huge);
    expect(response.status).toBe(413);
    expect(response.body.error.message).toMatch(/larger than the 200000 bytes/);
    await expectUnchanged();
  });

  it('when a body to a route other than ingest is larger than its own small limit, then 413, while ingest takes it', async () => {
    const padding = 'x'.repeat(120_000);
    const query = await postJson(`${base}/query`, { range: { from: T0, to: T0 + 1000 }, targets: [{ refId: padding }] });
    expect([query.status, query.body.error.message]).toEqual([413, 'request body is larger than the 100000 bytes this route accepts; send less at a time']);
    const batch = await postJson(`${base}/ingest`, { executions: [{ ...good('padded'), errorMessage: padding }] });
    expect(batch.status).toBe(400); // refused by the schema (the message is too long), not by the size limit
    expect(batch.body.error.code).toBe('validation_failed');
    await expectUnchanged();
  });

  it('when a body is nested too deep, then its depth is refused before it is parsed', async () => {
    // Not JSON at all past the nesting: parsed first, it would be refused as invalid JSON instead.
    const response = await postJson(`${base}/query`, `{"targets": ${'['.repeat(17)} not json`);
    expect([response.status, response.body.error.message]).toEqual([400, 'request body is nested deeper than 16 levels']);
  });

  it.each([
    ['a NUL', 'Pay\u0000roll'],
    ['a newline', 'Pay\nroll'],
    ['a right-to-left override', 'Payroll\u202Egpj.exe'],
    ['an escape', 'Pay\u001b[31mroll'],
  ])('when a workflow name holds %s, then 400 names the field and nothing is stored', async (_what, workflow) => {
    const response = await postJson(`${base}/ingest`, { executions: [{ ...good('unsafe'), workflow }] });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: 'executions[0].workflow', message: 'must not contain control characters or bidirectional overrides' },
    ]);
    const step = await postJson(`${base}/ingest`, {
      executions: [good('unsafe-step')],
      steps: [{ executionId: 'unsafe-step', index: 0, name: workflow, startedAt: T0, durationMs: 5 }],
    });
    expect(step.body.error.details).toEqual([{ field: 'steps[0].name', message: 'must not contain control characters or bidirectional overrides' }]);
    await expectUnchanged();
  });

  it.each([
    ['gzip', 'ingest'],
    ['deflate', 'ingest'],
    ['br', 'ingest'],
    ['br', 'query'],
  ])('when a %s body to /%s does not decompress, then 400 says so', async (encoding, route) => {
    const response = await fetch(`${base}/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      body: 'not compressed at all',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^request body does not decompress as its Content-Encoding says \((Z|ERR)_[A-Z0-9_]+\)$/,
    );
    await expectUnchanged();
  });

  it('when a path holds a broken percent-escape, then 400 says so', async () => {
    const response = await getJson(`${base}/executions/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe("request path is not valid: Failed to decode param '%E0%A4%A'");
  });

  it('when the batch has more records than the limit, then 413 asks to split it', async () => {
    const executions = Array.from({ length: 501 }, (_, i) => good(`many-${i}`));
    const response = await postJson(`${base}/ingest`, { executions });
    expect(response.status).toBe(413);
    expect(response.body.error.message).toMatch(/501 records; at most 500/);
    await expectUnchanged();
  });

  it('when a batch is counted, then its runs, steps and samples count, and what is no list counts nothing (the schema says why)', () => {
    expect(batchRecordCount({ executions: [1, 2], steps: [3], samples: [4, 5, 6] })).toBe(6);
    expect([batchRecordCount({ executions: 'many', steps: { length: 9 } }), batchRecordCount(null), batchRecordCount([1, 2, 3])]).toEqual([0, 0, 0]);
  });

  it('when a list query has a bad status, then 400 names the parameter', async () => {
    const response = await getJson(`${base}/executions?status=done`);
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toMatch(/^status/);
  });

  it('when a route does not exist, then 404 in the error shape', async () => {
    const response = await getJson(`${base}/nothing-here`);
    expect(response).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no route for GET /api/v1/nothing-here' } } });
  });
});

describe('one-event-at-a-time helpers', () => {
  let collector: Collector;
  let base: string;
  const tmp = tempDir();

  beforeAll(async () => {
    collector = await startCollector(tmp.dir);
    base = `${collector.url}/api/v1`;
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it('when a runner reports start, steps and completion separately, then the execution reads back whole', async () => {
    const started = await postJson(`${base}/executions/run-1/start`, { workflow: 'Onboarding', robot: 'bot-7', host: 'vm-3', startedAt: T0 });
    expect(started.status).toBe(200);
    for (const [index, name] of ['Open HR portal', 'Create account'].entries()) {
      const step = await postJson(`${base}/executions/run-1/steps`, { index, name, startedAt: T0 + index * 1000, durationMs: 900 });
      expect(step.status).toBe(200);
    }
    // A retried step rewrites, it does not add.
    await postJson(`${base}/executions/run-1/steps`, { index: 1, name: 'Create account', startedAt: T0 + 1000, durationMs: 900 });
    const completed = await postJson(`${base}/executions/run-1/complete`, {
      status: 'failed',
      endedAt: T0 + 2500,
      errorType: 'business',
      errorMessage: 'Employee already exists',
    });
    expect(completed.status).toBe(200);
    // A late, retried start does not undo the completion.
    await postJson(`${base}/executions/run-1/start`, { workflow: 'Onboarding', startedAt: T0 });

    const { body } = await getJson(`${base}/executions/run-1`);
    expect(body).toEqual({
      id: 'run-1',
      workflow: 'Onboarding',
      robot: 'bot-7',
      host: 'vm-3',
      startedAt: T0,
      endedAt: T0 + 2500,
      durationMs: 2500,
      status: 'failed',
      errorType: 'business',
      errorMessage: 'Employee already exists',
      steps: [
        { executionId: 'run-1', index: 0, name: 'Open HR portal', startedAt: T0, durationMs: 900, status: 'completed' },
        { executionId: 'run-1', index: 1, name: 'Create account', startedAt: T0 + 1000, durationMs: 900, status: 'completed' },
      ],
    });
  });

  it('when completing an execution never started, then 404', async () => {
    const response = await postJson(`${base}/executions/nobody/complete`, { status: 'completed' });
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe("execution 'nobody' was never started");
  });

  it('when the health endpoint is asked, then it reports version, database and sampler', async () => {
    const { status, body } = await getJson(`${base}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      database: { ok: true, executions: 1, steps: 2, lastExecutionAt: T0 },
      sampler: { enabled: false },
    });
  });
});
