import { createHmac } from 'node:crypto';
import type { Execution } from '@rpa-analytics/contract';
import { collectorForTests } from '../testing/harness';

const SECRET = 'orchestrator-webhook-secret-42';

/**
 * Job events as Orchestrator's "Types of events" page shows them (the fields a run needs, with
 * some of those it does not: they are ignored).
 */
function jobEvent(type: string, job: Record<string, unknown>, timestamp: string) {
  return {
    Type: type,
    EventId: `${type}-${String(job.Key)}`,
    Timestamp: timestamp,
    Jobs: [
      {
        Id: 38967597,
        Source: 'Manual',
        Type: 'Unattended',
        ReleaseName: 'Invoice Intake',
        Release: { Id: 16090, Key: '39f0a0ea-aa44-406e-9525-a02ae9a92201', ProcessKey: 'InvoiceIntake', ProcessVersion: '1.4.2', Name: 'Invoice Intake' },
        Robot: { Id: 1, Name: 'unattended-07', MachineId: 77, MachineName: 'RPA-VM-07', Type: 'Unattended' },
        InputArguments: null,
        OutputArguments: null,
        ...job,
      },
    ],
    TenantId: 28176,
    OrganizationUnitId: 46832,
  };
}

/** A job that ran from `start` to `end` and succeeded, reported a second after its end. */
const completedJob = (key: string, start: string, end: string) =>
  jobEvent('job.completed', { Key: key, State: 'Successful', StartTime: start, EndTime: end }, new Date(Date.parse(end) + 1000).toISOString());

const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');

describe('UiPath Orchestrator webhooks over a real socket and a real SQLite file', () => {
  const ctx = collectorForTests({ RPA_UIPATH_WEBHOOK_SECRET: SECRET, RPA_INGEST_TOKEN: 'ingest-token-0123456789', RPA_READ_TOKEN: 'read-token-0123456789ab' });
  const read = { authorization: 'Bearer read-token-0123456789ab' };

  async function deliver(event: unknown, signature?: string | null): Promise<{ status: number; body: Record<string, unknown> }> {
    const body = JSON.stringify(event);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== null) headers['x-uipath-signature'] = signature ?? sign(body);
    const response = await fetch(`${ctx.base}/integrations/uipath`, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const run = async (key: string) => {
    const response = await fetch(`${ctx.base}/executions/uipath-${key}`, { headers: read });
    return response.status === 200 ? ((await response.json()) as Execution) : response.status;
  };

  it('when a job starts and then completes, then it is one run: process, robot, machine, version, times and status', async () => {
    const key = '374ba45a-6bf5-4f0a-9ed8-571fe5378db5';
    const started = jobEvent('job.started', { Key: key, State: 'Running', StartTime: '2026-11-02T09:00:00.000Z' }, '2026-11-02T09:00:01.120Z');
    expect(await deliver(started)).toEqual({ status: 200, body: { accepted: expect.objectContaining({ executions: 1 }) } });
    expect(await run(key)).toMatchObject({ workflow: 'Invoice Intake', robot: 'unattended-07', host: 'RPA-VM-07', status: 'running' });
    const completed = jobEvent(
      'job.completed',
      { Key: key, State: 'Successful', StartTime: '2026-11-02T09:00:00.000Z', EndTime: '2026-11-02T09:02:30.500Z', Info: 'Job completed' },
      '2026-11-02T09:02:31.000Z',
    );
    expect((await deliver(completed)).status).toBe(200);
    expect(await run(key)).toMatchObject({
      id: `uipath-${key}`,
      workflow: 'Invoice Intake',
      robot: 'unattended-07',
      host: 'RPA-VM-07',
      packageVersion: '1.4.2',
      startedAt: Date.parse('2026-11-02T09:00:00.000Z'),
      endedAt: Date.parse('2026-11-02T09:02:30.500Z'),
      durationMs: 150_500,
      status: 'completed',
    });
  });

  it('when a job faults or is stopped, then the run failed with its info as the error, or was cancelled', async () => {
    const faulted = jobEvent(
      'job.faulted',
      {
        Key: 'f-1',
        State: 'Faulted',
        StartTime: '2026-11-02T10:00:00Z',
        EndTime: '2026-11-02T10:00:40Z',
        Info: "Could not find the user-interface (UI) element for this action. Selector: <wnd app='saplogon.exe' />",
      },
      '2026-11-02T10:00:41Z',
    );
    const stopped = jobEvent(
      'job.stopped',
      { Key: 's-1', State: 'Stopped', StartTime: '2026-11-02T10:05:00Z', EndTime: '2026-11-02T10:06:00Z' },
      '2026-11-02T10:06:01Z',
    );
    expect([(await deliver(faulted)).status, (await deliver(stopped)).status]).toEqual([200, 200]);
    expect(await run('f-1')).toMatchObject({
      status: 'failed',
      durationMs: 40_000,
      errorMessage: expect.stringContaining('Could not find the user-interface (UI) element'),
    });
    expect(await run('s-1')).toMatchObject({ status: 'cancelled', durationMs: 60_000 });
  });

  it('when events arrive twice and out of order, then the final state wins and the run is stored once', async () => {
    const key = 'o-1';
    const completed = completedJob(key, '2026-11-02T11:00:00Z', '2026-11-02T11:01:00Z');
    const started = jobEvent('job.started', { Key: key, State: 'Running', StartTime: '2026-11-02T11:00:00Z' }, '2026-11-02T11:00:01Z');
    const before = ctx.collector.store.stats().executions;
    for (const event of [completed, started, completed, started]) expect((await deliver(event)).status).toBe(200);
    expect(await run(key)).toMatchObject({ status: 'completed', durationMs: 60_000 });
    expect(ctx.collector.store.stats().executions).toBe(before + 1);
    const listed = await fetch(`${ctx.base}/executions?workflow=Invoice%20Intake&limit=100`, { headers: read });
    expect(((await listed.json()) as { items: Execution[] }).items.filter((e) => e.id === `uipath-${key}`)).toHaveLength(1);
  });

  it("when a job's start arrives after its end with another start time, then the run keeps what its end said", async () => {
    const key = 'late-start-1';
    const completed = completedJob(key, '2026-11-02T11:10:00Z', '2026-11-02T11:12:00Z');
    // No StartTime: the event's own time stands in for it.
    const started = jobEvent('job.started', { Key: key, State: 'Running', StartTime: null }, '2026-11-02T11:10:04Z');
    for (const event of [completed, started]) expect((await deliver(event)).status).toBe(200);
    expect(await run(key)).toMatchObject({ status: 'completed', startedAt: Date.parse('2026-11-02T11:10:00Z'), durationMs: 120_000 });
  });

  it("when one of an event's jobs cannot be a run, then the others are taken and the answer names the one skipped", async () => {
    const event = jobEvent(
      'job.completed',
      { Key: 'two-1', State: 'Successful', StartTime: '2026-11-02T11:20:00Z', EndTime: '2026-11-02T11:21:00Z' },
      '2026-11-02T11:21:01Z',
    );
    const withBroken = { ...event, Jobs: [{ Key: 'two-0', State: 'Successful' }, ...event.Jobs] };
    expect(await deliver(withBroken)).toEqual({
      status: 200,
      body: { accepted: expect.objectContaining({ executions: 1 }), skipped: [{ job: 0, error: 'Release.Name: a job names its process' }] },
    });
    expect([await run('two-0'), (await run('two-1')) as Execution]).toEqual([404, expect.objectContaining({ status: 'completed' })]);
  });

  it('when the signature is missing, forged or made with another secret, then it is 401 and nothing is stored', async () => {
    const event = jobEvent(
      'job.completed',
      { Key: 'forged-1', State: 'Successful', StartTime: '2026-11-02T12:00:00Z', EndTime: '2026-11-02T12:01:00Z' },
      '2026-11-02T12:01:01Z',
    );
    const body = JSON.stringify(event);
    const before = ctx.collector.store.stats().executions;
    for (const signature of [null, '', 'not-base64!', sign(body, 'another-secret-0123456789'), sign(`${body} `)]) {
      const answer = await deliver(event, signature);
      expect([signature, answer.status, answer.body]).toEqual([
        signature,
        401,
        { error: { code: 'unauthorized', message: expect.stringMatching(/x-uipath-signature/) } },
      ]);
    }
    // A bearer token is no signature.
    const withToken = await fetch(`${ctx.base}/integrations/uipath`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ingest-token-0123456789' },
      body,
    });
    expect(withToken.status).toBe(401);
    expect([ctx.collector.store.stats().executions, await run('forged-1')]).toEqual([before, 404]);
  });

  it('when a signed event is not a job starting or ending, then it is acknowledged and stores nothing; a broken job event is 400', async () => {
    const before = ctx.collector.store.stats().executions;
    const created = jobEvent('job.created', { Key: 'c-1', State: 'Pending' }, '2026-11-02T13:00:00Z');
    const queue = { Type: 'queueItem.added', EventId: 'q-1', Timestamp: '2026-11-02T13:00:00Z', QueueItems: [{ Id: 1 }], TenantId: 1 };
    for (const event of [created, queue]) {
      expect(await deliver(event)).toEqual({
        status: 200,
        body: { accepted: { executions: 0, steps: 0, samples: 0 }, ignored: expect.stringContaining(event.Type) },
      });
    }
    const noJob = { Type: 'job.completed', EventId: 'x', Timestamp: '2026-11-02T13:00:00Z' };
    const noProcess = {
      ...jobEvent('job.completed', { Key: 'np-1', State: 'Successful' }, '2026-11-02T13:00:00Z'),
      Jobs: [{ Key: 'np-1', State: 'Successful' }],
    };
    const badTime = jobEvent('job.completed', { Key: 'bt-1', State: 'Successful', StartTime: 'yesterday' }, '2026-11-02T13:00:00Z');
    for (const event of [noJob, noProcess, badTime, 'not an object']) {
      const answer = await deliver(event);
      expect([answer.status, answer.body.error]).toEqual([400, { code: 'bad_request', message: expect.stringMatching(/^UiPath event: /) }]);
    }
    const notJson = await fetch(`${ctx.base}/integrations/uipath`, { method: 'POST', headers: { 'x-uipath-signature': sign('{oops') }, body: '{oops' });
    expect([notJson.status, ((await notJson.json()) as { error: unknown }).error]).toEqual([400, { code: 'bad_request', message: 'the body is not JSON' }]);
    expect(ctx.collector.store.stats().executions).toBe(before);
  });
});

describe('the UiPath route on a collector without the secret', () => {
  const ctx = collectorForTests();

  it('is off: 404, saying which variable turns it on', async () => {
    const response = await fetch(`${ctx.base}/integrations/uipath`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([response.status, ((await response.json()) as { error: unknown }).error]).toEqual([
      404,
      { code: 'not_found', message: expect.stringContaining('RPA_UIPATH_WEBHOOK_SECRET') },
    ]);
  });
});
