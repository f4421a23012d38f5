// OTLP spans kept until their run's span arrives: the PostgreSQL side of `sqlite/spanKeeper.ts`.
import type { ClientBase } from 'pg';
import { AppError } from '../../domain/errors';
import type { KeptSpan } from '../store';

export async function keepSpans(
  client: ClientBase,
  spans: readonly KeptSpan[],
  receivedAt: number,
  expireBefore: number,
  maxPerTrace: number,
): Promise<KeptSpan[]> {
  const traces = [...new Set(spans.map((s) => s.traceId))].sort();
  await client.query('BEGIN');
  try {
    // Collectors sharing the database take each trace in turn (in one order: no deadlock), so the
    // second of two requests of one trace sees the first's spans, whichever is the run's.
    if (traces.length) {
      await client.query('SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtextextended(t, 7) AS k FROM unnest($1::text[]) AS t ORDER BY 1) AS locks', [
        traces,
      ]);
    }
    await client.query('DELETE FROM otlp_spans WHERE received_at < $1', [expireBefore]);
    if (spans.length) {
      await client.query(
        `INSERT INTO otlp_spans (trace_id, span_id, run, received_at, body)
         SELECT t, s, r, $4, b FROM unnest($1::text[], $2::text[], $3::boolean[], $5::text[]) AS x(t, s, r, b) ON CONFLICT DO NOTHING`,
        [spans.map((s) => s.traceId), spans.map((s) => s.spanId), spans.map((s) => s.run), receivedAt, spans.map((s) => s.body)],
      );
    }
    const counts = await client.query<{ trace_id: string; n: string; runs: string }>(
      'SELECT trace_id, count(*) AS n, count(*) FILTER (WHERE run) AS runs FROM otlp_spans WHERE trace_id = ANY($1::text[]) GROUP BY trace_id',
      [traces],
    );
    const full = counts.rows.find((r) => Number(r.n) > maxPerTrace);
    if (full) throw new AppError('payload_too_large', `trace ${full.trace_id} would hold more than ${maxPerTrace} spans`);
    const withRun = counts.rows.filter((r) => Number(r.runs) > 0).map((r) => r.trace_id);
    const { rows } = await client.query<KeptSpan>(
      'SELECT trace_id AS "traceId", span_id AS "spanId", run, body FROM otlp_spans WHERE trace_id = ANY($1::text[]) ORDER BY trace_id, span_id',
      [withRun],
    );
    await client.query('COMMIT');
    return rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
