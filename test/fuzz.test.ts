import { createHmac } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Random } from '../backend/src/sim/random';
import { traceService } from '../backend/src/integrations/otlp';
import { startCollector, tempDir } from '../backend/src/testing/harness';

const T0 = Date.UTC(2026, 10, 2);
const good = (id: string) => ({ id, workflow: 'Payroll', robot: 'bot-1', host: 'vm-1', startedAt: T0, endedAt: T0 + 1000, status: 'completed' });

/** Values that should never get past validation, or that test its edges. */
const NASTY: unknown[] = [
  null,
  true,
  -1,
  1e308,
  -1e308,
  'NaN',
  '',
  ' ',
  'x'.repeat(5000),
  "Robert'); DROP TABLE executions;--",
  '"; DELETE FROM steps; --',
  '\u0000',
  '\ud800',
  '😀'.repeat(300),
  { $gt: '' },
  [],
  [[[[[]]]]],
  { nested: { deeper: { deepest: [1, 2, 3] } } },
  1.5,
  4102444800001,
  946684799999,
  '2026-13-45T99:00:00Z',
];

function mutate(random: Random): string {
  const batch: Record<string, unknown> = { executions: [good(`f-${random.int(0, 1e9)}`)], steps: [], samples: [] };
  const execution = (batch.executions as Array<Record<string, unknown>>)[0];
  switch (random.int(0, 9)) {
    case 0: // a field with a nasty value
      execution[random.pick(Object.keys(execution))] = random.pick(NASTY);
      break;
    case 1: // an unknown field
      execution[random.pick(['__proto__', 'constructor', 'workflowName', 'x'.repeat(300)])] = random.pick(NASTY);
      break;
    case 2: // a required field missing
      delete execution[random.pick(['id', 'workflow', 'startedAt', 'status'])];
      break;
    case 3: // a step of nothing, or with nasty fields
      batch.steps = [
        {
          executionId: random.pick(['ghost', execution.id, '']),
          index: random.pick(NASTY),
          name: random.pick(NASTY),
          startedAt: T0,
          durationMs: random.pick(NASTY),
        },
      ];
      break;
    case 4: // a sample with values out of range
      batch.samples = [
        {
          host: random.pick(NASTY),
          time: T0,
          cpuPercent: random.pick([101, -5, 'high', null]),
          memoryUsedBytes: -1,
          memoryTotalBytes: 1,
          diskReadBytesPerSec: 0,
          diskWriteBytesPerSec: 0,
          netRxBytesPerSec: 0,
          netTxBytesPerSec: 0,
        },
      ];
      break;
    case 5: // the wrong shape altogether
      return JSON.stringify(random.pick([[], 'batch', 42, null, { executions: 'all of them' }, { executions: [null] }, { executions: {} }]));
    case 6: // broken JSON
      return random.pick(['{', '{"executions": [', '{"executions": [1,]}', "{'single': 'quotes'}", '\u0000\u0001', '{"a":1}{"b":2}']);
    case 7: // deeply nested
      return `${'['.repeat(random.int(20, 5000))}${']'.repeat(10)}`;
    case 8: // a good run and a bad one: all or nothing
      (batch.executions as unknown[]).push({ ...good('partner'), status: random.pick(['done', 7, null]) });
      break;
    default: // too many records
      batch.executions = Array.from({ length: 600 }, (_, i) => good(`many-${i}`));
  }
  return JSON.stringify(batch);
}

describe('hostile input', () => {
  it('when thousands of malformed requests arrive, then each gets a 4xx, the collector lives, and good data is intact', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir, { RPA_MAX_BATCH_RECORDS: '500', RPA_MAX_BODY_BYTES: '100000' });
    try {
      const seed = { executions: [good('keep-1'), good('keep-2')], steps: [{ executionId: 'keep-1', index: 0, name: 'Login', startedAt: T0, durationMs: 5 }] };
      expect(
        (await fetch(`${collector.url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seed) })).status,
      ).toBe(200);
      const before = collector.store.getExecution('keep-1');

      const random = new Random(99);
      const statuses = new Map<number, number>();
      const partial: string[] = [];
      for (let i = 0; i < 2500; i++) {
        const body = mutate(random);
        const route = random.chance(0.8)
          ? '/api/v1/ingest'
          : random.pick(['/api/v1/executions/x/start', '/api/v1/executions/keep-2/complete', '/api/v1/executions/keep-1/steps', '/api/v1/query']);
        const response = await fetch(`${collector.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        if (response.status >= 500) partial.push(`${response.status} ${route} ${body.slice(0, 200)} -> ${text.slice(0, 200)}`);
        if (response.status >= 400) expect(JSON.parse(text).error.message.length).toBeGreaterThan(5);
        if (body.includes('"partner"') && route === '/api/v1/ingest') expect(collector.store.getExecution('partner')).toBeUndefined();
      }
      expect(partial).toEqual([]);
      expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
      expect((statuses.get(400) ?? 0) + (statuses.get(413) ?? 0)).toBeGreaterThan(2000);
      expect(collector.store.getExecution('keep-1')).toEqual(before);
      expect((await fetch(`${collector.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await collector.stop();
    }
    const db = new Database(path.join(tmp.dir, 'rpa-analytics.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare("SELECT count(*) AS n FROM executions WHERE ext_id LIKE 'keep-%'").get() as { n: number }).n).toBe(2);
    db.close();
    tmp.cleanup();
  }, 120_000);
});

/** A UiPath job event (the fields `POST /api/v1/integrations/uipath` reads), then one of its parts made hostile. */
function hostileJobEvent(random: Random): string {
  const job: Record<string, unknown> = {
    Key: `k-${random.int(0, 1e9)}`,
    State: 'Faulted',
    StartTime: '2026-11-02T09:00:00Z',
    EndTime: '2026-11-02T09:01:00Z',
    Info: 'Selector not found',
    Release: { Name: 'Invoice Intake', ProcessVersion: '1.0.0' },
    Robot: { Name: 'unattended-01', MachineName: 'VM-01' },
  };
  const event: Record<string, unknown> = { Type: 'job.faulted', EventId: 'e', Timestamp: '2026-11-02T09:01:01Z', Jobs: [job] };
  switch (random.int(0, 6)) {
    case 0:
      job[random.pick(Object.keys(job))] = random.pick(NASTY);
      break;
    case 1:
      (job.Release as Record<string, unknown>).Name = random.pick(NASTY);
      break;
    case 2:
      event[random.pick(['Type', 'Timestamp', 'Jobs', 'Job'])] = random.pick(NASTY);
      break;
    case 3:
      event.Jobs = Array.from({ length: random.int(2, 5) }, () => ({ ...job, Key: random.pick(NASTY) }));
      break;
    case 4:
      return random.pick(['{', '[]', 'null', '"job.completed"', '\u0000', '{"Type": "job.started", "Jobs": [{}]}']);
    case 5:
      return `${'['.repeat(random.int(20, 5000))}${']'.repeat(10)}`;
    default:
      job.Info = 'x'.repeat(random.int(1, 200_000));
  }
  return JSON.stringify(event);
}

describe('hostile input to the UiPath webhook', () => {
  it('when signed malformed events and unsigned ones arrive, then each gets a 4xx or is taken as its job says, a refused one stores nothing, and the collector lives', async () => {
    const tmp = tempDir();
    const secret = 'orchestrator-webhook-secret-42';
    const collector = await startCollector(tmp.dir, { RPA_UIPATH_WEBHOOK_SECRET: secret, RPA_MAX_BODY_BYTES: '100000' });
    try {
      const random = new Random(7);
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      for (let i = 0; i < 600; i++) {
        const body = hostileJobEvent(random);
        const signed = random.chance(0.85);
        const signature = createHmac('sha256', signed ? secret : 'not-the-secret-000000')
          .update(body)
          .digest('base64');
        const before = collector.store.stats().executions;
        const response = await fetch(`${collector.url}/api/v1/integrations/uipath`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-uipath-signature': signature },
          body,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        const stored = collector.store.stats().executions - before;
        if (response.status >= 500) failures.push(`${response.status} ${body.slice(0, 200)} -> ${text.slice(0, 200)}`);
        // Unsigned: refused (or, past the size limit, refused before it is read whole).
        if (!signed) expect([[401, 413].includes(response.status), stored]).toEqual([true, 0]);
        // Taken: at most a run for each of its jobs (up to 5 here), or nothing (an event about something else).
        if (response.status === 200) expect(stored).toBeLessThanOrEqual(5);
        if (response.status >= 400) {
          expect(stored).toBe(0);
          expect(JSON.parse(text).error.message.length).toBeGreaterThan(5);
        }
      }
      expect(failures).toEqual([]);
      expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(200);
      expect((await fetch(`${collector.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await collector.stop();
    }
    const db = new Database(path.join(tmp.dir, 'rpa-analytics.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    tmp.cleanup();
  }, 120_000);
});

const TRACE_POOL = ['5b8efff798038103d269b633813fc60c', '0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736'];

/** An OTLP trace export (one run span and a step), then one of its parts made hostile: as JSON, or as protobuf. */
function hostileTraces(random: Random): { type: string; body: Buffer } {
  const nanos = (iso: string) => `${BigInt(Date.parse(iso)) * 1_000_000n}`;
  // A few traces, again and again: what one request leaves kept meets the next ones.
  const traceId = TRACE_POOL[random.int(0, TRACE_POOL.length - 1)];
  const run: Record<string, unknown> = {
    traceId,
    spanId: 'eee19b7ec3c1b174',
    name: 'Invoice Intake',
    startTimeUnixNano: nanos('2026-11-02T09:00:00Z'),
    endTimeUnixNano: nanos('2026-11-02T09:01:00Z'),
    attributes: [{ key: 'rpa.workflow', value: { stringValue: 'Invoice Intake' } }],
    status: { code: 2, message: 'Selector not found' },
  };
  const step: Record<string, unknown> = { ...run, spanId: '1000000000000001', parentSpanId: 'eee19b7ec3c1b174', name: 'Log in', attributes: [] };
  const request: Record<string, unknown> = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [run, step] }] }] };
  switch (random.int(0, 6)) {
    case 0:
      run[random.pick(Object.keys(run))] = random.pick(NASTY);
      break;
    case 1:
      step[random.pick(Object.keys(step))] = random.pick(NASTY);
      break;
    case 2:
      request.resourceSpans = random.pick(NASTY);
      break;
    case 3:
      run.attributes = [{ key: 'rpa.workflow', value: { stringValue: random.pick(NASTY) } }];
      break;
    case 4:
      return { type: 'application/json', body: Buffer.from(random.pick(['{', '[]', 'null', '\u0000', `${'['.repeat(random.int(20, 5000))}`])) };
    case 5: {
      // The protobuf of a valid export, bytes flipped or cut.
      const v1 = traceService;
      const hexToBytes = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'hex') : value);
      const message = v1.ExportTraceServiceRequest.fromObject({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [run, step].map((s) => ({
                  ...s,
                  traceId: hexToBytes(s.traceId),
                  spanId: hexToBytes(s.spanId),
                  parentSpanId: hexToBytes(s.parentSpanId),
                })),
              },
            ],
          },
        ],
      });
      const bytes = Buffer.from(v1.ExportTraceServiceRequest.encode(message).finish());
      for (let i = random.int(1, 8); i > 0; i--) bytes[random.int(0, bytes.length - 1)] = random.int(0, 255);
      return { type: 'application/x-protobuf', body: random.chance(0.3) ? bytes.subarray(0, random.int(0, bytes.length)) : bytes };
    }
    default:
      return { type: 'application/x-protobuf', body: Buffer.from(Array.from({ length: random.int(0, 400) }, () => random.int(0, 255))) };
  }
  return { type: 'application/json', body: Buffer.from(JSON.stringify(request)) };
}

describe('hostile input to the OTLP endpoint', () => {
  it('when malformed trace exports arrive as JSON and protobuf, then each gets a 4xx or is taken, a refused one keeps nothing, and the collector lives', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir, { RPA_MAX_BODY_BYTES: '100000' });
    const db = new Database(path.join(tmp.dir, 'rpa-analytics.db'), { readonly: true });
    const kept = () => (db.prepare('SELECT count(*) AS n FROM otlp_spans').get() as { n: number }).n;
    try {
      const random = new Random(11);
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      for (let i = 0; i < 500; i++) {
        const { type, body } = hostileTraces(random);
        const before = [collector.store.stats().executions, kept()];
        const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': type }, body });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = await response.text();
        if (response.status >= 500) failures.push(`${response.status} ${type} ${body.subarray(0, 100).toString('hex')} -> ${text.slice(0, 200)}`);
        const after = [collector.store.stats().executions, kept()];
        // Taken: its two spans as runs at most (a step whose parent was made empty is a run); refused: nothing.
        if (response.status === 200) expect(after[0] - before[0]).toBeLessThanOrEqual(2);
        if (response.status >= 400) {
          expect(after).toEqual(before);
          expect(JSON.parse(text).error.message.length).toBeGreaterThan(5);
        }
      }
      expect(failures).toEqual([]);
      expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(150);
      // What was kept of the hostile requests spoils none of their traces: a well-formed export of each is taken.
      for (const traceId of TRACE_POOL) {
        const nanos = (iso: string) => `${BigInt(Date.parse(iso)) * 1_000_000n}`;
        const span = {
          traceId,
          spanId: 'eee19b7ec3c1b174',
          name: 'run',
          startTimeUnixNano: nanos('2026-11-03T09:00:00Z'),
          endTimeUnixNano: nanos('2026-11-03T09:01:00Z'),
        };
        const response = await fetch(`${collector.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
        });
        expect([traceId, response.status, await response.text()]).toEqual([traceId, 200, '{}']);
      }
      expect(statuses.get(200) ?? 0).toBeGreaterThan(20);
      expect((await fetch(`${collector.url}/api/v1/health`)).status).toBe(200);
    } finally {
      db.close();
      await collector.stop();
    }
    const check = new Database(path.join(tmp.dir, 'rpa-analytics.db'), { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    tmp.cleanup();
  }, 120_000);
});
