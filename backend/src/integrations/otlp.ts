import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root';
import { z } from 'zod';
import { ERROR_TYPES, type ErrorType, type Execution, MAX_DURATION_MS, MAX_TIME, MIN_TIME, type Step } from '@rpa-analytics/contract';
import { asName } from './fields';

/**
 * OpenTelemetry traces (OTLP over HTTP, `ExportTraceServiceRequest` as protobuf or JSON) as runs:
 * a run is a span without a parent, or one that names its workflow (`rpa.workflow`: a run whose
 * tracer was handed a caller's context); its children are its steps. Deeper spans belong to their
 * step. The protobuf is read with OpenTelemetry's own generated code for opentelemetry-proto.
 */

/** The attributes read, on the span or else on its resource (span first), as the README lists them. */
export const OTLP_ATTRIBUTES = {
  workflow: 'rpa.workflow',
  robot: 'rpa.robot',
  host: 'host.name',
  service: 'service.name',
  version: 'service.version',
  /** OpenTelemetry's `error.type`: a failed run's kind when it is one of ours (business, application, system, timeout). */
  errorType: 'error.type',
} as const;

/** What a run or a step needs of a span; kept as JSON until its run can be built. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  /** '' for a span without a parent. */
  parentSpanId: string;
  name: string;
  /** Epoch ms. */
  start: number;
  end: number;
  failed: boolean;
  message?: string;
  errorType?: ErrorType;
  /** The span's own attributes name its workflow. */
  marked?: true;
  workflow?: string;
  robot?: string;
  host?: string;
  service?: string;
  version?: string;
}

/** Thrown for a body that is no OTLP trace export; the route answers 400 (413: `tooLarge`) and keeps nothing. */
export class OtlpError extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

/** The most spans kept of one trace: a run's steps and the spans under them, for a run of an RPA robot plenty. */
export const MAX_SPANS_PER_TRACE = 10_000;

/** A message type of OpenTelemetry's generated code (protobufjs static module). */
export interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): unknown;
}

/** opentelemetry.proto.collector.trace.v1, as OpenTelemetry generated it: the request and response types. */
export const traceService = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { trace: { v1: Record<string, ProtoType> } } } } }).opentelemetry
  .proto.collector.trace.v1;

const MAX_MESSAGE = 4096;
/** A run's most steps, as the contract counts them. */
const MAX_STEPS = 100_000;
// OTLP/JSON writes 64-bit integers as strings, and receivers take numbers too: beyond 2^53 they are
// not exact (nor whole, to zod), and a millisecond is all that is kept of them.
const nanos = z.union([
  z.string().regex(/^\d{1,20}$/, 'expected nanoseconds since the epoch'),
  z.number().nonnegative().refine(Number.isFinite, 'expected nanoseconds since the epoch'),
]);
const keyValues = z
  .array(z.object({ key: z.string().max(1024), value: z.record(z.string(), z.unknown()).nullish() }))
  .max(1000)
  .nullish();
const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes in hex`)
    .refine((id) => !/^0+$/.test(id), 'an id of all zeros is no id (OTLP calls it invalid)');

/** `ExportTraceServiceRequest` in OTLP/JSON's field names (the protobuf's, read, in the same shape). */
const requestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: keyValues }).nullish(),
        scopeSpans: z
          .array(
            z.object({
              spans: z
                .array(
                  z.object({
                    traceId: hex(16),
                    spanId: hex(8),
                    parentSpanId: z.union([hex(8), z.literal('')]).nullish(),
                    name: z.string().max(10_000).nullish(),
                    startTimeUnixNano: nanos,
                    endTimeUnixNano: nanos,
                    attributes: keyValues,
                    events: z
                      .array(z.object({ name: z.string().max(1024).nullish(), attributes: keyValues }))
                      .max(1000)
                      .nullish(),
                    status: z.object({ code: z.union([z.number(), z.string()]).nullish(), message: z.string().max(100_000).nullish() }).nullish(),
                  }),
                )
                .nullish(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish(),
});

/**
 * The spans of an OTLP trace export, `json` (OTLP/JSON: ids in hex, enums as numbers) or
 * `protobuf` (the binary encoding).
 * @throws OtlpError when the body is neither, or a span lacks what it needs (ids, times in order)
 */
export function readOtlpTraces(body: Buffer, encoding: 'json' | 'protobuf', maxSpans: number): OtlpSpan[] {
  let request: unknown;
  if (encoding === 'json') {
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      throw new OtlpError('the body is not JSON');
    }
  } else {
    try {
      request = bytesToHex(
        traceService.ExportTraceServiceRequest.toObject(traceService.ExportTraceServiceRequest.decode(body), { longs: String, enums: Number, bytes: Array }),
      );
    } catch (error) {
      throw new OtlpError(`the body is not an ExportTraceServiceRequest in protobuf: ${(error as Error).message}`);
    }
  }
  const parsed = requestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OtlpError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const spans: OtlpSpan[] = [];
  for (const resourceSpans of parsed.data.resourceSpans ?? []) {
    const resource = attributeMap(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const [index, span] of (scope.spans ?? []).entries()) {
        if (spans.length >= maxSpans) throw new OtlpError(`more than ${maxSpans} spans in one request (RPA_MAX_BATCH_RECORDS)`, true);
        const own = attributeMap(span.attributes);
        const read = (key: string) => asName(own.get(key) ?? resource.get(key));
        const start = toMs(span.startTimeUnixNano);
        const end = toMs(span.endTimeUnixNano);
        // What a run or step must be, checked here: a span the ingest path would refuse is not kept.
        if (!(start >= MIN_TIME && end <= MAX_TIME && end >= start && end - start <= MAX_DURATION_MS)) {
          throw new OtlpError(`span ${index} (${span.spanId}): its start and end must be in order, at most 31 days apart, between 2000 and 2100`);
        }
        const failed = span.status?.code === 2 || span.status?.code === 'STATUS_CODE_ERROR';
        const exception = span.events?.find((e) => e.name === 'exception');
        const message = span.status?.message || (exception ? attributeMap(exception.attributes).get('exception.message') : undefined);
        spans.push(
          dropUndefined({
            traceId: span.traceId.toLowerCase(),
            spanId: span.spanId.toLowerCase(),
            parentSpanId: (span.parentSpanId ?? '').toLowerCase(),
            name: asName(span.name ?? '') ?? 'span',
            start,
            end,
            failed,
            message: failed && message ? message.slice(0, MAX_MESSAGE) : undefined,
            marked: own.has(OTLP_ATTRIBUTES.workflow) ? true : undefined,
            errorType: failed ? errorTypeOf(own.get(OTLP_ATTRIBUTES.errorType)) : undefined,
            workflow: read(OTLP_ATTRIBUTES.workflow),
            robot: read(OTLP_ATTRIBUTES.robot),
            host: read(OTLP_ATTRIBUTES.host),
            // The SDKs' default when no service is named says nothing of the workflow.
            service: unnamedService(read(OTLP_ATTRIBUTES.service)),
            version: read(OTLP_ATTRIBUTES.version),
          }),
        );
      }
    }
  }
  return spans;
}

/**
 * The answer to an export: an `ExportTraceServiceResponse`, empty when it was taken whole, else
 * with its partial success (the spans of runs refused, and why the first was).
 */
export function otlpSuccess(encoding: 'json' | 'protobuf', rejected?: { spans: number; error: string }): Buffer {
  const partial = rejected ? { partialSuccess: { rejectedSpans: String(rejected.spans), errorMessage: rejected.error } } : {};
  if (encoding === 'json') return Buffer.from(JSON.stringify(partial));
  const response = traceService.ExportTraceServiceResponse;
  return Buffer.from(response.encode(response.fromObject(partial)).finish());
}

/**
 * Whether a span is a run's: it has no parent, or it names its workflow itself (a caller's context
 * was handed on, or a workflow started another: a run of its own, not a step).
 */
export function isRunSpan(span: OtlpSpan): boolean {
  return span.parentSpanId === '' || span.marked === true;
}

/**
 * The runs among `spans` (of one or more traces: all their kept spans) with their steps: each run
 * span's children, by start. A run's id is `otel-<trace id>-<span id>`, so the same spans give the
 * same run. Spans whose run span has not arrived give nothing yet.
 */
export function runsOfSpans(spans: readonly OtlpSpan[]): Array<{ execution: Execution; steps: Step[] }> {
  const runs: Array<{ execution: Execution; steps: Step[] }> = [];
  const children = new Map<string, OtlpSpan[]>();
  for (const span of spans) {
    if (isRunSpan(span)) continue;
    const key = `${span.traceId}/${span.parentSpanId}`;
    const list = children.get(key) ?? [];
    list.push(span);
    children.set(key, list);
  }
  for (const run of spans.filter(isRunSpan).sort((a, b) => a.start - b.start || a.spanId.localeCompare(b.spanId))) {
    const id = `otel-${run.traceId}-${run.spanId}`;
    const own = (children.get(`${run.traceId}/${run.spanId}`) ?? []).sort((a, b) => a.start - b.start || a.spanId.localeCompare(b.spanId)).slice(0, MAX_STEPS);
    const execution = dropUndefined({
      id,
      workflow: run.workflow ?? run.service ?? run.name,
      robot: run.robot,
      host: run.host,
      packageVersion: run.version,
      startedAt: run.start,
      endedAt: run.end,
      durationMs: run.end - run.start,
      status: run.failed ? (run.errorType === 'timeout' ? 'timeout' : 'failed') : 'completed',
      errorType: run.errorType,
      errorMessage: run.message,
      stepsTotal: own.length,
      stepsCompleted: own.filter((s) => !s.failed).length,
      tags: { source: 'opentelemetry' },
    }) as Execution;
    const steps = own.map(
      (span, index) =>
        dropUndefined({
          executionId: id,
          index,
          name: span.name,
          startedAt: span.start,
          durationMs: span.end - span.start,
          status: span.failed ? 'failed' : 'completed',
          error: span.message,
        }) as Step,
    );
    runs.push({ execution, steps });
  }
  return runs;
}

function attributeMap(attributes: ReadonlyArray<{ key: string; value?: Record<string, unknown> | null }> | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const { key, value } of attributes ?? []) {
    const v = value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') map.set(key, String(v));
  }
  return map;
}

function unnamedService(name: string | undefined): string | undefined {
  return name === undefined || /^unknown_service(:|$)/.test(name) ? undefined : name;
}

function errorTypeOf(value: string | undefined): ErrorType | undefined {
  return (ERROR_TYPES as readonly string[]).includes(value ?? '') ? (value as ErrorType) : undefined;
}

function toMs(value: string | number): number {
  return typeof value === 'number' ? Math.round(value / 1e6) : Number(BigInt(value) / 1_000_000n);
}

/** The protobuf's ids (bytes, read as arrays) in hex, as OTLP/JSON writes them. */
function bytesToHex(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(bytesToHex);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        /^(traceId|spanId|parentSpanId)$/.test(k) && Array.isArray(v) ? Buffer.from(v as number[]).toString('hex') : bytesToHex(v),
      ]),
    );
  }
  return value;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
