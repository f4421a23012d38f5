import type { Router } from 'express';
import { type Execution, ingestBatchSchema, parseUsualBatch, type Step } from '@rpa-analytics/contract';
import { AppError } from '../domain/errors';
import type { IngestService } from '../ingest/ingestService';
import { isRunSpan, MAX_SPANS_PER_TRACE, otlpSuccess, OtlpError, type OtlpSpan, readOtlpTraces, runsOfSpans } from '../integrations/otlp';
import type { SpanKeeper } from '../store/store';
import { type RouteGuards, strictRouter } from './routeGuards';

/** How long spans wait for their run's span: a run longer than this loses the steps it sent first. */
export const OTLP_SPAN_HOLD_MS = 48 * 3600_000;

/**
 * `POST /v1/traces`: OTLP over HTTP, where OpenTelemetry exporters send traces (their
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is the collector's address). Spans are kept until their run's span
 * arrives; each request that brings a run's span, or a span of a run already there, (re)writes the
 * run and its steps through the ingest path.
 */
export function otlpRouter(guards: RouteGuards, service: IngestService, spans: SpanKeeper, options: { maxSpans: number; now?: () => number }): Router {
  const router = strictRouter();
  const now = options.now ?? Date.now;
  router.post('/v1/traces', guards.otlp, (req, res) => {
    const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const encoding = type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
    if (!encoding) throw new AppError('unsupported_media_type', `send OTLP as application/x-protobuf or application/json, not '${type || 'no Content-Type'}'`);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let received: OtlpSpan[];
    try {
      received = readOtlpTraces(body, encoding, options.maxSpans);
    } catch (error) {
      if (error instanceof OtlpError) throw new AppError(error.tooLarge ? 'payload_too_large' : 'bad_request', `OTLP traces: ${error.message}`);
      throw error;
    }
    let rejected: { spans: number; error: string } | undefined;
    if (received.length) {
      const at = now();
      const kept = spans.keepSpans(
        received.map((span) => ({ traceId: span.traceId, spanId: span.spanId, run: isRunSpan(span), body: JSON.stringify(span) })),
        at,
        at - OTLP_SPAN_HOLD_MS,
        MAX_SPANS_PER_TRACE,
      );
      const runs = runsOfSpans(kept.map((k) => JSON.parse(k.body) as OtlpSpan));
      // All at once, as a batch to /ingest is, when they pass the usual check; else each run on its
      // own, so that one the ingest path refuses costs only its spans (OTLP's partial success).
      const whole = parseUsualBatch({ executions: runs.map((r) => r.execution), steps: runs.flatMap((r) => r.steps), samples: [] });
      const batch = whole ?? { executions: [] as Execution[], steps: [] as Step[], samples: [] };
      for (const run of whole ? [] : runs) {
        const parsed = ingestBatchSchema.safeParse({ executions: [run.execution], steps: run.steps });
        if (parsed.success) {
          batch.executions.push(...parsed.data.executions);
          batch.steps.push(...parsed.data.steps);
          continue;
        }
        const issue = parsed.error.issues[0];
        rejected = {
          spans: (rejected?.spans ?? 0) + 1 + run.steps.length,
          error: rejected?.error ?? `run ${run.execution.id}: ${issue.path.join('.')}: ${issue.message}`,
        };
      }
      if (batch.executions.length) service.ingestBatch(batch);
    }
    res
      .status(200)
      .type(encoding === 'json' ? 'application/json' : 'application/x-protobuf')
      .send(otlpSuccess(encoding, rejected));
  });
  return router;
}
