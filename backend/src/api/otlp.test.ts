import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Execution, ExecutionDetail } from '@rpa-analytics/contract';
import { collectorForTests } from '../testing/harness';

const INGEST = 'ingest-token-0123456789';
const READ_TOKEN = 'read-token-0123456789ab';
const READ = { authorization: `Bearer ${READ_TOKEN}` };

describe('POST /v1/traces: OTLP over HTTP, from the OpenTelemetry SDK and its exporters, into a real collector', () => {
  const ctx = collectorForTests({ RPA_INGEST_TOKEN: INGEST, RPA_READ_TOKEN: READ_TOKEN });

  async function runsOf(workflow: string): Promise<Execution[]> {
    const response = await fetch(`${ctx.base}/executions?limit=100&workflow=${encodeURIComponent(workflow)}`, { headers: READ });
    return ((await response.json()) as { items: Execution[] }).items;
  }
  async function detail(id: string): Promise<ExecutionDetail> {
    return (await (await fetch(`${ctx.base}/executions/${id}`, { headers: READ })).json()) as ExecutionDetail;
  }

  /**
   * A robot's run as a runner instrumented with OpenTelemetry records it: a run span naming its
   * workflow, three step spans under it (the second with a span of its own under it, the third
   * failing), at known times. A simple span processor exports each span as it ends: the steps
   * reach the collector before their run, each in a request of its own.
   */
  async function recordRun(exporter: SpanExporter, workflow: string, t0: number, fail: boolean): Promise<void> {
    const provider = new BasicTracerProvider({
      resource: new Resource({ 'service.name': 'invoice-robot', 'service.version': '4.2.0', 'host.name': 'RPA-VM-03', 'rpa.robot': 'unattended-03' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer: Tracer = provider.getTracer('rpa-runner');
    const run = tracer.startSpan('run', { startTime: t0, attributes: { 'rpa.workflow': workflow } });
    const under = (parent: Span) => trace.setSpan(ROOT_CONTEXT, parent);
    const step = (name: string, from: number, to: number, parent: Span = run) => {
      const span = tracer.startSpan(name, { startTime: t0 + from }, under(parent));
      return { span, end: () => span.end(t0 + to) };
    };
    step('Open ERP', 100, 1_100).end();
    const post = step('Post invoices', 1_200, 6_200);
    const http = step('HTTP POST /invoices', 1_300, 6_000, post.span);
    http.end();
    post.end();
    const close = step('Close ERP', 6_300, 6_800);
    if (fail) close.span.setStatus({ code: SpanStatusCode.ERROR, message: 'Logout button not found' });
    close.end();
    if (fail) run.setStatus({ code: SpanStatusCode.ERROR, message: 'Close ERP failed' });
    run.end(t0 + 7_000);
    await provider.shutdown();
  }

  it.each([
    ['protobuf', (url: string) => new ProtobufExporter({ url, headers: { authorization: `Bearer ${INGEST}` } })],
    ['JSON', (url: string) => new JsonExporter({ url, headers: { authorization: `Bearer ${INGEST}` } })],
  ])(
    'when the SDK exports a run over OTLP %s, steps first, then it reads back through /executions as one run with its steps',
    async (encoding, exporter) => {
      const workflow = `Invoice Intake (${encoding})`;
      const t0 = Date.parse('2026-11-30T09:00:00.000Z');
      await recordRun(exporter(`${ctx.collector.url}/v1/traces`), workflow, t0, false);
      await recordRun(exporter(`${ctx.collector.url}/v1/traces`), workflow, t0 + 60_000, true);

      const runs = await runsOf(workflow);
      expect(runs).toHaveLength(2);
      const [failed, ok] = runs.sort((a, b) => b.startedAt - a.startedAt);
      expect(ok).toMatchObject({
        workflow,
        robot: 'unattended-03',
        host: 'RPA-VM-03',
        packageVersion: '4.2.0',
        startedAt: t0,
        endedAt: t0 + 7_000,
        durationMs: 7_000,
        status: 'completed',
        stepsTotal: 3,
        stepsCompleted: 3,
      });
      expect(ok.id).toMatch(/^otel-[0-9a-f]{32}-[0-9a-f]{16}$/);
      // The HTTP call under "Post invoices" is part of that step, not a step of its own.
      expect((await detail(ok.id)).steps.map((s) => [s.index, s.name, s.startedAt - t0, s.durationMs, s.status])).toEqual([
        [0, 'Open ERP', 100, 1_000, 'completed'],
        [1, 'Post invoices', 1_200, 5_000, 'completed'],
        [2, 'Close ERP', 6_300, 500, 'completed'],
      ]);
      expect(failed).toMatchObject({ status: 'failed', errorMessage: 'Close ERP failed', stepsTotal: 3, stepsCompleted: 2 });
      expect((await detail(failed.id)).steps[2]).toMatchObject({ name: 'Close ERP', status: 'failed', error: 'Logout button not found' });
    },
    30_000,
  );

  /** OTLP/JSON as the specification writes it: ids in hex, times in nanoseconds as strings. */
  const otlpJson = (spans: object[], resource: Record<string, string> = { 'service.name': 'ticket-robot', 'host.name': 'RPA-VM-05' }) => ({
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
        scopeSpans: [{ scope: { name: 'rpa-runner' }, spans }],
      },
    ],
  });
  const TRACE = '5b8efff798038103d269b633813fc60c';
  const ms = (iso: string) => `${BigInt(Date.parse(iso)) * 1_000_000n}`;
  const span = (spanId: string, parentSpanId: string, name: string, from: string, to: string, extra: object = {}) => ({
    traceId: TRACE,
    spanId,
    parentSpanId,
    name,
    kind: 1,
    startTimeUnixNano: ms(from),
    endTimeUnixNano: ms(to),
    ...extra,
  });
  const root = span('eee19b7ec3c1b174', '', 'Ticket Triage', '2026-11-30T10:00:00Z', '2026-11-30T10:01:00Z', {
    attributes: [{ key: 'rpa.robot', value: { stringValue: 'unattended-05' } }],
    status: { code: 1 },
  });
  const child = (id: string, name: string, from: string, to: string) => span(id, 'eee19b7ec3c1b174', name, from, to);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${ctx.collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}`, ...headers },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  it('when spans come out of order, twice, and one after its run, then the run is the same one with every step', async () => {
    const first = child('1000000000000001', 'Read queue', '2026-11-30T10:00:01Z', '2026-11-30T10:00:05Z');
    const second = child('1000000000000002', 'Classify', '2026-11-30T10:00:06Z', '2026-11-30T10:00:40Z');
    const late = child('1000000000000003', 'Reply', '2026-11-30T10:00:41Z', '2026-11-30T10:00:59Z');
    const steps: Record<string, unknown> = {};
    for (const body of [otlpJson([second]), otlpJson([first]), otlpJson([root]), otlpJson([root, first]), otlpJson([late])]) {
      const response = await post(body);
      expect([response.status, await response.json()]).toEqual([200, {}]);
      const runs = await runsOf('ticket-robot');
      if (runs.length) steps[String(Object.keys(steps).length)] = (await detail(runs[0].id)).steps.map((s) => s.name);
    }
    const runs = await runsOf('ticket-robot');
    expect(runs).toHaveLength(1);
    // The workflow is the service's name (the run span does not name one), robot and host as given.
    expect(runs[0]).toMatchObject({ id: `otel-${TRACE}-eee19b7ec3c1b174`, robot: 'unattended-05', host: 'RPA-VM-05', status: 'completed', durationMs: 60_000 });
    // Nothing before the run's span; then its two steps; again the same; then the late one too.
    expect(Object.values(steps)).toEqual([
      ['Read queue', 'Classify'],
      ['Read queue', 'Classify'],
      ['Read queue', 'Classify', 'Reply'],
    ]);
  }, 30_000);

  it('when a span names its workflow under another run, fails with an exception or a timeout, or comes with numbers for times, then each reads as the README says', async () => {
    const trace = 'c0ffee00000000000000000000000001';
    const at = (iso: string) => Number(BigInt(Date.parse(iso)) * 1_000_000n);
    const mine = (spanId: string, parentSpanId: string, name: string, extra: object = {}) => ({
      traceId: trace,
      spanId,
      parentSpanId,
      name,
      // Numbers, not strings: beyond 2^53, as OTLP/JSON receivers must take them.
      startTimeUnixNano: at('2026-11-30T11:00:00Z'),
      endTimeUnixNano: at('2026-11-30T11:00:30Z'),
      ...extra,
    });
    const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const body = otlpJson(
      [
        mine('2000000000000001', '', 'dispatch', { attributes: [attr('rpa.workflow', 'Dispatcher')] }),
        // A workflow started by another: a run of its own, not a step of the dispatcher.
        mine('2000000000000002', '2000000000000001', 'performer', {
          attributes: [attr('rpa.workflow', 'Performer'), attr('error.type', 'timeout')],
          status: { code: 2 },
          events: [{ name: 'exception', attributes: [attr('exception.message', 'Queue item took longer than 30 s')] }],
        }),
        mine('2000000000000003', '2000000000000002', 'Get queue item'),
      ],
      { 'service.name': 'unknown_service:node' },
    );
    expect((await post(body)).status).toBe(200);
    const dispatcher = (await runsOf('Dispatcher'))[0];
    expect(dispatcher).toMatchObject({ status: 'completed', stepsTotal: 0 });
    const performer = (await runsOf('Performer'))[0];
    expect(performer).toMatchObject({ status: 'timeout', errorType: 'timeout', errorMessage: 'Queue item took longer than 30 s', durationMs: 30_000 });
    expect((await detail(performer.id)).steps.map((s) => s.name)).toEqual(['Get queue item']);
    // The SDKs' "unknown_service" names no workflow: a run span without one is named by itself.
    const unnamed = { ...root, traceId: 'c0ffee00000000000000000000000002', attributes: [] };
    expect((await post(otlpJson([unnamed], { 'service.name': 'unknown_service:java' }))).status).toBe(200);
    expect(await runsOf('Ticket Triage')).toEqual([expect.objectContaining({ id: `otel-c0ffee00000000000000000000000002-${root.spanId}` })]);
  });

  it('when a span ends after 2100, then the request is refused and nothing kept, and the trace is taken whole afterwards', async () => {
    const trace = 'c0ffee00000000000000000000000003';
    const run = { ...root, traceId: trace, attributes: [{ key: 'rpa.workflow', value: { stringValue: 'Late Checker' } }] };
    const bad = {
      ...child('3000000000000001', 'Check', '2026-11-30T10:00:01Z', '2026-11-30T10:00:05Z'),
      traceId: trace,
      endTimeUnixNano: '4102444800000000001',
    };
    const response = await post(otlpJson([run, bad]));
    expect([response.status, ((await response.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      expect.stringMatching(/between 2000 and 2100/),
    ]);
    expect(await runsOf('Late Checker')).toEqual([]);
    const good = { ...bad, endTimeUnixNano: ms('2026-11-30T10:00:05Z') };
    expect((await post(otlpJson([run, good]))).status).toBe(200);
    expect((await detail((await runsOf('Late Checker'))[0].id)).steps.map((s) => s.name)).toEqual(['Check']);
  });

  it('when a trace would hold more spans than a run has steps, then the request is a 413 and nothing of it is kept', async () => {
    const trace = 'c0ffee00000000000000000000000004';
    const many = Array.from({ length: 10_001 }, (_, i) => ({
      ...child((0x4000000000000000n + BigInt(i)).toString(16), 'Step', '2026-11-30T10:00:01Z', '2026-11-30T10:00:02Z'),
      traceId: trace,
    }));
    const response = await post(otlpJson([{ ...root, traceId: trace, attributes: [{ key: 'rpa.workflow', value: { stringValue: 'Too Many' } }] }, ...many]));
    expect([response.status, ((await response.json()) as { error: { message: string } }).error.message]).toEqual([
      413,
      expect.stringContaining('more than 10000 spans'),
    ]);
    expect(await runsOf('Too Many')).toEqual([]);
  }, 30_000);

  it.each([
    ['a body that is not protobuf', 'application/x-protobuf', Buffer.from('definitely not protobuf \u0000\u0001'), 400, /not an ExportTraceServiceRequest/],
    ['a body that is not JSON', 'application/json', '{"resourceSpans": [', 400, /not JSON/],
    [
      'a trace id that is not 16 bytes of hex',
      'application/json',
      JSON.stringify(otlpJson([{ ...root, traceId: 'abc' }])),
      400,
      /traceId: expected 16 bytes in hex/,
    ],
    [
      'a span that ends before it starts',
      'application/json',
      JSON.stringify(otlpJson([{ ...root, endTimeUnixNano: ms('2026-11-30T09:00:00Z') }])),
      400,
      /start and end must be in order/,
    ],
    [
      'times in seconds',
      'application/json',
      JSON.stringify(otlpJson([{ ...root, startTimeUnixNano: '1796032800', endTimeUnixNano: '1796032860' }])),
      400,
      /between 2000 and 2100/,
    ],
    ['a trace id of all zeros', 'application/json', JSON.stringify(otlpJson([{ ...root, traceId: '0'.repeat(32) }])), 400, /all zeros/],
    ['another content type', 'text/plain', 'hello', 415, /application\/x-protobuf or application\/json/],
  ])('when given %s, then it is refused with a reason and nothing is kept', async (_, type, body, status, reason) => {
    // What is stored, not the file's size: the checkpoint thread empties the write-ahead log when it will.
    const stored = () => {
      const { executions, steps, samples } = ctx.collector.store.stats();
      return { executions, steps, samples };
    };
    const before = stored();
    // Watched, not replaced: the store keeps what it is given, and is given nothing.
    const keep = jest.spyOn(ctx.collector.store, 'keepSpans');
    try {
      const response = await post(body, { 'content-type': type });
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(reason);
      expect(keep).not.toHaveBeenCalled();
      expect(stored()).toEqual(before);
    } finally {
      keep.mockRestore();
    }
  });

  it('when the exporter compresses with gzip, then the spans are read; without the ingest scope, nothing is', async () => {
    const gzip = (body: unknown) => gzipSync(Buffer.from(JSON.stringify(body)));
    const other = { ...root, traceId: 'aaaabbbbccccddddeeeeffff00001111', spanId: 'aaaabbbbccccdddd' };
    expect((await post(gzip(otlpJson([other], { 'service.name': 'gzip-robot' })), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect(await runsOf('gzip-robot')).toHaveLength(1);
    const unsent = { ...other, traceId: 'aaaabbbbccccddddeeeeffff00002222' };
    expect((await post(otlpJson([unsent], { 'service.name': 'no-token' }), { authorization: '' })).status).toBe(401);
    expect((await post(otlpJson([unsent], { 'service.name': 'no-token' }), { authorization: `Bearer ${READ_TOKEN}` })).status).toBe(403);
    expect(await runsOf('no-token')).toHaveLength(0);
  });
});
