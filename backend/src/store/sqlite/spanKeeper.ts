import type Database from 'better-sqlite3';
import { AppError } from '../../domain/errors';
import type { KeptSpan } from '../store';

/** OTLP spans kept until their run's span arrives (`SpanKeeper.keepSpans`, said there); `postgres/spanKeeper.ts` is the same on PostgreSQL. */
export class SpanKeeperTable {
  private readonly expire: Database.Statement<[number]>;
  private readonly keep: Database.Statement<[string, string, number, number, string]>;
  private readonly count: Database.Statement<[string], { n: number }>;
  private readonly hasRun: Database.Statement<[string], { one: number }>;
  private readonly ofTrace: Database.Statement<[string], { traceId: string; spanId: string; run: number; body: string }>;

  constructor(private readonly db: Database.Database) {
    this.expire = db.prepare('DELETE FROM otlp_spans WHERE received_at < ?');
    this.keep = db.prepare('INSERT INTO otlp_spans (trace_id, span_id, run, received_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.count = db.prepare('SELECT count(*) AS n FROM otlp_spans WHERE trace_id = ?');
    this.hasRun = db.prepare('SELECT 1 AS one FROM otlp_spans WHERE trace_id = ? AND run = 1 LIMIT 1');
    this.ofTrace = db.prepare('SELECT trace_id AS traceId, span_id AS spanId, run, body FROM otlp_spans WHERE trace_id = ?');
  }

  keepSpans(spans: readonly KeptSpan[], receivedAt: number, expireBefore: number, maxPerTrace: number): KeptSpan[] {
    return this.db.transaction(() => {
      this.expire.run(expireBefore);
      for (const span of spans) this.keep.run(span.traceId, span.spanId, span.run ? 1 : 0, receivedAt, span.body);
      const traces = [...new Set(spans.map((s) => s.traceId))];
      const full = traces.find((trace) => this.count.get(trace)!.n > maxPerTrace);
      // Thrown inside the transaction: nothing of the request is kept.
      if (full) throw new AppError('payload_too_large', `trace ${full} would hold more than ${maxPerTrace} spans`);
      return traces.filter((trace) => this.hasRun.get(trace)).flatMap((trace) => this.ofTrace.all(trace).map((row) => ({ ...row, run: row.run === 1 })));
    })();
  }
}
