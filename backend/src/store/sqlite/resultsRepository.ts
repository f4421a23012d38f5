import type Database from 'better-sqlite3';
import type { Anomaly, Incident, Insight } from '@rpa-analytics/contract';
import type { AnalysisCommit, AnomalyFilter, IncidentFilter, InsightFilter } from '../store';
import { stateJson } from '../store';
import { activeBetween, anomalyConditions, insightConditions } from '../conditions';
import { SQLITE_LISTS } from './runConditions';
import type { ChangeLog } from './changeLog';

/**
 * Analysis results. Each is stored whole as JSON beside the columns that filters use: the
 * shapes evolve with the analysis, the filters do not.
 */
export class ResultsRepository {
  private readonly upsertAnomaly: Database.Statement;
  private readonly upsertIncident: Database.Statement;
  private readonly upsertInsight: Database.Statement;
  private readonly upsertState: Database.Statement;
  private readonly upsertValue: Database.Statement;
  private readonly commitInTransaction: Database.Transaction<(commit: AnalysisCommit) => void>;

  constructor(
    private readonly db: Database.Database,
    private readonly changes: ChangeLog,
  ) {
    this.upsertAnomaly = db.prepare(`
      INSERT INTO anomalies (id, series_key, metric, workflow, host, status, started_at, last_seen_at, severity, incident_id, body)
      VALUES (@id, @seriesKey, @metric, @workflow, @host, @status, @startedAt, @lastSeenAt, @severity, @incidentId, @body)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at,
        severity = excluded.severity, incident_id = excluded.incident_id, body = excluded.body`);
    this.upsertIncident = db.prepare(`
      INSERT INTO incidents (id, status, started_at, last_seen_at, severity, body)
      VALUES (@id, @status, @startedAt, @lastSeenAt, @severity, @body)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
        last_seen_at = excluded.last_seen_at, severity = excluded.severity, body = excluded.body`);
    this.upsertInsight = db.prepare(`
      INSERT INTO insights (id, key, category, workflow, status, priority, last_seen_at, body)
      VALUES (@id, @key, @category, @workflow, @status, @priorityScore, @lastSeenAt, @body)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
        last_seen_at = excluded.last_seen_at, body = excluded.body`);
    this.upsertState = db.prepare(
      'INSERT INTO detector_states (series_key, state) VALUES (?, ?) ON CONFLICT (series_key) DO UPDATE SET state = excluded.state',
    );
    this.upsertValue = db.prepare('INSERT INTO analysis_values (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
    const deleteAnomaly = db.prepare('DELETE FROM anomalies WHERE id = ?');
    const deleteIncident = db.prepare('DELETE FROM incidents WHERE id = ?');
    this.commitInTransaction = db.transaction((commit: AnalysisCommit) => {
      for (const id of commit.removedAnomalies ?? []) deleteAnomaly.run(id);
      for (const id of commit.removedIncidents ?? []) deleteIncident.run(id);
      for (const anomaly of commit.anomalies) this.writeAnomaly(anomaly);
      for (const incident of commit.incidents) {
        this.upsertIncident.run({ ...incident, body: JSON.stringify(incident) });
      }
      for (const [key, state] of commit.detectorStates) this.upsertState.run(key, stateJson(state));
      for (const [name, value] of Object.entries(commit.values)) this.upsertValue.run(name, value);
      this.changes.append({ anomalies: commit.anomalies.map((a) => a.id) });
    });
  }

  commit(commit: AnalysisCommit): void {
    this.commitInTransaction.immediate(commit);
  }

  listAnomalies(filter: AnomalyFilter): Anomaly[] {
    const { where, params } = anomalyConditions(SQLITE_LISTS, filter);
    return this.bodies<Anomaly>('anomalies', where, params, 'started_at DESC', filter.limit);
  }

  getAnomaly(id: string): Anomaly | undefined {
    return this.bodies<Anomaly>('anomalies', ['id = ?'], [id], 'id')[0];
  }

  listIncidents(filter: IncidentFilter): Incident[] {
    const { where, params } = activeBetween(filter);
    return this.bodies<Incident>('incidents', where, params, 'started_at DESC', filter.limit);
  }

  listInsights(filter: InsightFilter): Insight[] {
    const { where, params } = insightConditions(SQLITE_LISTS, filter);
    return this.bodies<Insight>('insights', where, params, 'priority DESC, id', filter.limit);
  }

  getInsight(id: string): Insight | undefined {
    return this.bodies<Insight>('insights', ['id = ?'], [id], 'id')[0];
  }

  saveInsights(insights: readonly Insight[]): void {
    this.db
      .transaction(() => {
        for (const insight of insights) this.upsertInsight.run({ ...insight, workflow: insight.workflow ?? null, body: JSON.stringify(insight) });
        this.changes.append({ insights: insights.map((i) => i.id) });
      })
      .immediate();
  }

  loadDetectorStates(): Map<string, unknown> {
    const rows = this.db.prepare<[], { series_key: string; state: string }>('SELECT series_key, state FROM detector_states').all();
    return new Map(rows.map((r) => [r.series_key, JSON.parse(r.state) as unknown]));
  }

  value(name: string): string | undefined {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM analysis_values WHERE name = ?').get(name)?.value;
  }

  private writeAnomaly(anomaly: Anomaly): void {
    this.upsertAnomaly.run({
      id: anomaly.id,
      seriesKey: anomaly.seriesKey,
      metric: anomaly.metric,
      workflow: anomaly.workflow ?? null,
      host: anomaly.host ?? null,
      status: anomaly.status,
      startedAt: anomaly.startedAt,
      lastSeenAt: anomaly.lastSeenAt,
      severity: anomaly.severity,
      incidentId: anomaly.incidentId ?? null,
      body: JSON.stringify(anomaly),
    });
  }

  private bodies<T>(table: string, where: string[], params: unknown[], order: string, limit?: number): T[] {
    const sql = `SELECT body FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}${limit ? ' LIMIT ?' : ''}`;
    return this.db
      .prepare<unknown[], { body: string }>(sql)
      .all(...params, ...(limit ? [limit] : []))
      .map((r) => JSON.parse(r.body) as T);
  }
}
