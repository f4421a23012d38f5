import type Database from 'better-sqlite3';
import { AppError } from '../../domain/errors';
import type { KeptSpan } from '../store';

/** OTLP spans kept until their run's span arrives (`SpanKeeper.keepSpans`, said there); `postgres/spanKeeper.ts` is the same on PostgreSQL. */
export function keepSpans(db: Database.Database, spans: readonly KeptSpan[], receivedAt: number, expireBefore: number, maxPerTrace: number): KeptSpan[] {
  const keep = db.prepare('INSERT INTO otlp_spans (trace_id, span_id, run, received_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM otlp_spans WHERE trace_id = ?');
  const hasRun = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM otlp_spans WHERE trace_id = ? AND run = 1 LIMIT 1');
  const ofTrace = db.prepare<[string], { traceId: string; spanId: string; run: number; body: string }>(
    'SELECT trace_id AS traceId, span_id AS spanId, run, body FROM otlp_spans WHERE trace_id = ?',
  );
  return db.transaction(() => {
    db.prepare('DELETE FROM otlp_spans WHERE received_at < ?').run(expireBefore);
    for (const span of spans) keep.run(span.traceId, span.spanId, span.run ? 1 : 0, receivedAt, span.body);
    const traces = [...new Set(spans.map((s) => s.traceId))];
    const full = traces.find((trace) => count.get(trace)!.n > maxPerTrace);
    // Thrown inside the transaction: nothing of the request is kept.
    if (full) throw new AppError('payload_too_large', `trace ${full} would hold more than ${maxPerTrace} spans`);
    return traces.filter((trace) => hasRun.get(trace)).flatMap((trace) => ofTrace.all(trace).map((row) => ({ ...row, run: row.run === 1 })));
  })();
}
