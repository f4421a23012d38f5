// Anomalies, incidents, insights, detector states and analysis values: the PostgreSQL side of `sqlite/resultsRepository.ts`.
import type { ClientBase } from 'pg';
import type { Anomaly, Incident, Insight } from '@rpa-analytics/contract';
import type { AnalysisCommit, AnomalyFilter, IncidentFilter, InsightFilter } from '../store';
import { stateJson } from '../store';
import { activeBetween as sharedActiveBetween, anomalyConditions, insightConditions } from '../conditions';
import { POSTGRES } from './runConditions';
import { Sql, all, writing } from './query';

const activeBetween = (filter: IncidentFilter): Sql => Sql.from(sharedActiveBetween(filter));

async function bodies<T>(client: ClientBase, table: string, sql: Sql, order: string, limit?: number): Promise<T[]> {
  const rows = await all<{ body: string }>(client, `SELECT body FROM ${table} ${sql.clause()} ORDER BY ${order}${limit ? ' LIMIT ?' : ''}`, [
    ...sql.params,
    ...(limit ? [limit] : []),
  ]);
  return rows.map((r) => JSON.parse(r.body) as T);
}

export function listAnomalies(client: ClientBase, filter: AnomalyFilter): Promise<Anomaly[]> {
  return bodies<Anomaly>(client, 'anomalies', Sql.from(anomalyConditions(POSTGRES, filter)), 'started_at DESC', filter.limit);
}

export async function getAnomaly(client: ClientBase, id: string): Promise<Anomaly | undefined> {
  return (await bodies<Anomaly>(client, 'anomalies', new Sql().add('id = ?', id), 'id'))[0];
}

export function listIncidents(client: ClientBase, filter: IncidentFilter): Promise<Incident[]> {
  return bodies<Incident>(client, 'incidents', activeBetween(filter), 'started_at DESC', filter.limit);
}

export function listInsights(client: ClientBase, filter: InsightFilter): Promise<Insight[]> {
  return bodies<Insight>(client, 'insights', Sql.from(insightConditions(POSTGRES, filter)), 'priority DESC, id COLLATE "C"', filter.limit);
}

export async function getInsight(client: ClientBase, id: string): Promise<Insight | undefined> {
  return (await bodies<Insight>(client, 'insights', new Sql().add('id = ?', id), 'id'))[0];
}

async function appendChange(client: ClientBase, column: 'anomalies' | 'insights', ids: readonly string[]): Promise<void> {
  if (ids.length) await client.query(`INSERT INTO changes (at, ${column}) VALUES ($1, $2)`, [Date.now(), JSON.stringify(ids)]);
}

export function saveInsights(client: ClientBase, insights: readonly Insight[]): Promise<void> {
  return writing(client, async () => {
    for (const i of insights) {
      await client.query(
        `INSERT INTO insights (id, key, category, workflow, status, priority, last_seen_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority, last_seen_at = excluded.last_seen_at, body = excluded.body`,
        [i.id, i.key, i.category, i.workflow ?? null, i.status, i.priorityScore, i.lastSeenAt, JSON.stringify(i)],
      );
    }
    await appendChange(
      client,
      'insights',
      insights.map((i) => i.id),
    );
  });
}

export function commitAnalysis(client: ClientBase, commit: AnalysisCommit): Promise<void> {
  return writing(client, async () => {
    if (commit.removedAnomalies?.length) await client.query('DELETE FROM anomalies WHERE id = ANY($1::text[])', [commit.removedAnomalies]);
    if (commit.removedIncidents?.length) await client.query('DELETE FROM incidents WHERE id = ANY($1::text[])', [commit.removedIncidents]);
    for (const a of commit.anomalies) {
      await client.query(
        `INSERT INTO anomalies (id, series_key, metric, workflow, host, status, started_at, last_seen_at, severity, incident_id, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at, severity = excluded.severity, incident_id = excluded.incident_id, body = excluded.body`,
        [
          a.id,
          a.seriesKey,
          a.metric,
          a.workflow ?? null,
          a.host ?? null,
          a.status,
          a.startedAt,
          a.lastSeenAt,
          a.severity,
          a.incidentId ?? null,
          JSON.stringify(a),
        ],
      );
    }
    for (const i of commit.incidents) {
      await client.query(
        `INSERT INTO incidents (id, status, started_at, last_seen_at, severity, body) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, severity = excluded.severity, body = excluded.body`,
        [i.id, i.status, i.startedAt, i.lastSeenAt, i.severity, JSON.stringify(i)],
      );
    }
    const states = [...commit.detectorStates];
    if (states.length) {
      await client.query(
        'INSERT INTO detector_states (series_key, state) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (series_key) DO UPDATE SET state = excluded.state',
        [states.map(([k]) => k), states.map(([, v]) => stateJson(v))],
      );
    }
    for (const [name, value] of Object.entries(commit.values)) {
      await client.query('INSERT INTO analysis_values (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
    }
    await appendChange(
      client,
      'anomalies',
      commit.anomalies.map((a) => a.id),
    );
  });
}

export async function loadDetectorStates(client: ClientBase): Promise<Array<[string, unknown]>> {
  const rows = await all<{ series_key: string; state: string }>(client, 'SELECT series_key, state FROM detector_states');
  return rows.map((r) => [r.series_key, JSON.parse(r.state) as unknown]);
}

export async function workflowArrivals(client: ClientBase): Promise<Array<{ workflow: string; arrivedAt: number }>> {
  const rows = await all<{ workflow: string; arrived_at: string }>(
    client,
    'SELECT name AS workflow, arrived_at FROM workflows WHERE arrived_at IS NOT NULL ORDER BY name COLLATE "C"',
  );
  return rows.map((r) => ({ workflow: r.workflow, arrivedAt: Number(r.arrived_at) }));
}

export async function analysisValue(client: ClientBase, name: string): Promise<string | undefined> {
  return (await all<{ value: string }>(client, 'SELECT value FROM analysis_values WHERE name = ?', [name]))[0]?.value;
}
