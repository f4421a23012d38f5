import { createHash } from 'node:crypto';
import type { Execution, IngestBatch, Step } from '@rpa-analytics/contract';
import { HttpTransport, type Transport, TransportError } from '@rpa-analytics/sdk';
import { OTLP_ATTRIBUTES, traceService } from '../integrations/otlp';

const { ExportTraceServiceRequest } = traceService;

/**
 * Sends the simulated fleet as a runner instrumented with OpenTelemetry would: each run is a trace
 * whose root span names its workflow, robot, host and version, each step a child span, exported
 * as OTLP protobuf to `POST /v1/traces`, the steps of a batch in a request before their runs' (a
 * tracer sends each span as it ends). Host samples are no spans: they go to the ingest API.
 */
export class OtlpTransport implements Transport {
  private readonly endpoint: string;
  private readonly samples: HttpTransport;

  constructor(private readonly options: { url: string; token?: string }) {
    this.endpoint = new URL('/v1/traces', options.url).toString();
    this.samples = new HttpTransport(options);
  }

  async send(batch: IngestBatch): Promise<void> {
    if (batch.steps.length) await this.post(batch.steps.map(stepSpan));
    if (batch.executions.length) await this.post(batch.executions.filter((e) => e.status !== 'running').map(runSpan));
    if (batch.samples.length) await this.samples.send({ executions: [], steps: [], samples: batch.samples });
  }

  private async post(spans: Array<Record<string, unknown>>): Promise<void> {
    if (!spans.length) return;
    const body = ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({
        resourceSpans: [
          {
            resource: { attributes: [attribute(OTLP_ATTRIBUTES.service, 'rpa-demo-runner')] },
            scopeSpans: [{ scope: { name: 'rpa-analytics-demo' }, spans }],
          },
        ],
      }),
    ).finish();
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}) },
        body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new TransportError(`collector at ${this.endpoint} unreachable: ${(error as Error).message}`, true);
    }
    if (!response.ok) throw new TransportError(`collector answered ${response.status}: ${await response.text()}`, response.status >= 500, response.status);
    await response.body?.cancel();
  }
}

/** Ids of a run's trace and spans, from its id: the same run is the same trace whenever it is sent. */
const digest = (text: string, bytes: number) => createHash('sha256').update(text).digest().subarray(0, bytes);
const traceId = (executionId: string) => digest(`trace ${executionId}`, 16);
const runSpanId = (executionId: string) => digest(`run ${executionId}`, 8);
const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

function attribute(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

function runSpan(run: Execution): Record<string, unknown> {
  const attributes = [attribute(OTLP_ATTRIBUTES.workflow, run.workflow)];
  if (run.robot) attributes.push(attribute(OTLP_ATTRIBUTES.robot, run.robot));
  if (run.host) attributes.push(attribute(OTLP_ATTRIBUTES.host, run.host));
  if (run.packageVersion) attributes.push(attribute(OTLP_ATTRIBUTES.version, run.packageVersion));
  if (run.errorType) attributes.push(attribute(OTLP_ATTRIBUTES.errorType, run.errorType));
  const failed = run.status !== 'completed';
  return {
    traceId: traceId(run.id),
    spanId: runSpanId(run.id),
    name: run.workflow,
    kind: 1,
    startTimeUnixNano: nanos(run.startedAt),
    endTimeUnixNano: nanos(run.endedAt ?? run.startedAt + (run.durationMs ?? 0)),
    attributes,
    status: failed ? { code: 2, message: run.errorMessage ?? run.status } : { code: 1 },
  };
}

function stepSpan(step: Step): Record<string, unknown> {
  return {
    traceId: traceId(step.executionId),
    spanId: digest(`step ${step.executionId} ${step.index}`, 8),
    parentSpanId: runSpanId(step.executionId),
    name: step.name,
    kind: 1,
    startTimeUnixNano: nanos(step.startedAt),
    endTimeUnixNano: nanos(step.startedAt + step.durationMs),
    status: step.status === 'failed' ? { code: 2, message: step.error ?? 'failed' } : { code: 1 },
  };
}
