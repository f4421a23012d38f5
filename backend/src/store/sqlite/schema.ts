import type Database from 'better-sqlite3';
import { AppError } from '../../domain/errors';
import { packRollups } from './rollupMigration';
import { packSteps } from './stepMigration';
import { rollUpStoredSamples, SAMPLE_ROLLUPS_TABLE } from './sampleRollups';

/**
 * Versioned schema. Each migration runs once, in order, inside a transaction, and sets
 * `PRAGMA user_version`; a database file written by an older collector opens and is brought
 * up to date. Never edit a migration that has shipped: add a new one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Work that SQL alone cannot do, run after `sql` in the same transaction. */
  run?: (db: Database.Database) => void;
}

const dictionary = (table: string) => `
  CREATE TABLE ${table} (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  );`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'dictionaries, executions and steps',
    sql: `
      ${dictionary('workflows')}
      ${dictionary('robots')}
      ${dictionary('hosts')}
      ${dictionary('versions')}
      ${dictionary('step_names')}
      ${dictionary('error_messages')}
      CREATE TABLE executions (
        id INTEGER PRIMARY KEY,
        ext_id TEXT NOT NULL UNIQUE,
        workflow_id INTEGER NOT NULL REFERENCES workflows(id),
        robot_id INTEGER REFERENCES robots(id),
        host_id INTEGER REFERENCES hosts(id),
        version_id INTEGER REFERENCES versions(id),
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        duration_ms REAL,
        status INTEGER NOT NULL,
        error_type INTEGER,
        error_id INTEGER REFERENCES error_messages(id),
        steps_total INTEGER,
        steps_completed INTEGER,
        tags TEXT
      );
      CREATE INDEX executions_by_time ON executions(started_at);
      CREATE INDEX executions_by_workflow_time ON executions(workflow_id, started_at);
      CREATE TABLE steps (
        execution_id INTEGER NOT NULL REFERENCES executions(id),
        idx INTEGER NOT NULL,
        name_id INTEGER NOT NULL REFERENCES step_names(id),
        started_at INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        status INTEGER NOT NULL,
        error_id INTEGER REFERENCES error_messages(id),
        PRIMARY KEY (execution_id, idx)
      ) WITHOUT ROWID;
      CREATE INDEX steps_by_name_time ON steps(name_id, started_at);
    `,
  },
  {
    version: 2,
    description: 'host resource samples, and executions by host for attributing samples to runs',
    sql: `
      CREATE TABLE resource_samples (
        host_id INTEGER NOT NULL REFERENCES hosts(id),
        ts INTEGER NOT NULL,
        cpu_percent REAL NOT NULL,
        memory_used INTEGER NOT NULL,
        memory_total INTEGER NOT NULL,
        gpu_percent REAL,
        gpu_memory_used INTEGER,
        disk_read REAL NOT NULL,
        disk_write REAL NOT NULL,
        net_rx REAL NOT NULL,
        net_tx REAL NOT NULL,
        workflow_id INTEGER REFERENCES workflows(id),
        execution_ext_id TEXT,
        PRIMARY KEY (host_id, ts)
      ) WITHOUT ROWID;
      CREATE INDEX resource_samples_by_time ON resource_samples(ts);
      CREATE INDEX executions_by_host_time ON executions(host_id, started_at);
    `,
  },
  {
    version: 3,
    description: 'analysis results: anomalies, incidents, insights, detector states',
    sql: `
      CREATE INDEX executions_by_end ON executions(ended_at);
      CREATE TABLE anomalies (
        id TEXT PRIMARY KEY,
        series_key TEXT NOT NULL,
        metric TEXT NOT NULL,
        workflow TEXT,
        host TEXT,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        severity REAL NOT NULL,
        incident_id TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX anomalies_by_time ON anomalies(started_at);
      CREATE INDEX anomalies_by_status ON anomalies(status, started_at);
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        severity REAL NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX incidents_by_time ON incidents(started_at);
      CREATE TABLE insights (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        category TEXT NOT NULL,
        workflow TEXT,
        status TEXT NOT NULL,
        priority REAL NOT NULL,
        last_seen_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX insights_by_priority ON insights(priority);
      CREATE TABLE detector_states (
        series_key TEXT PRIMARY KEY,
        state TEXT NOT NULL
      );
      CREATE TABLE analysis_values (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    description: 'minute and hour rollups of finished runs, hour rollups of their steps',
    sql: `
      CREATE TABLE run_rollups (
        resolution INTEGER NOT NULL,
        workflow_id INTEGER NOT NULL REFERENCES workflows(id),
        bucket INTEGER NOT NULL,
        status INTEGER NOT NULL,
        runs INTEGER NOT NULL,
        timed INTEGER NOT NULL,
        sum_ms REAL NOT NULL,
        min_ms REAL,
        max_ms REAL,
        digest BLOB,
        PRIMARY KEY (resolution, workflow_id, bucket, status)
      ) WITHOUT ROWID;
      CREATE TABLE step_rollups (
        resolution INTEGER NOT NULL,
        workflow_id INTEGER NOT NULL REFERENCES workflows(id),
        bucket INTEGER NOT NULL,
        step_id INTEGER NOT NULL REFERENCES step_names(id),
        steps INTEGER NOT NULL,
        sum_ms REAL NOT NULL,
        min_ms REAL NOT NULL,
        max_ms REAL NOT NULL,
        digest BLOB NOT NULL,
        PRIMARY KEY (resolution, workflow_id, bucket, step_id)
      ) WITHOUT ROWID;
      -- Step panels read rollups or a run's steps by execution: this index only cost space.
      DROP INDEX steps_by_name_time;
    `,
  },
  {
    version: 5,
    description: 'change log: what each write touched, for the change feed (kept a day by default)',
    sql: `
      -- One row per ingest batch or analysis commit, never per record: the ids it wrote, as JSON.
      -- AUTOINCREMENT: a sequence number is never reused, so a client's cursor stays meaningful.
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        executions TEXT,
        samples TEXT,
        anomalies TEXT,
        insights TEXT
      );
    `,
  },
  {
    version: 6,
    description: 'packed rollups: a row per bucket holds every workflow (runs) or every step of a workflow (steps)',
    sql: `
      CREATE TABLE rollups (
        kind INTEGER NOT NULL,
        resolution INTEGER NOT NULL,
        grp INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        entries BLOB NOT NULL,
        PRIMARY KEY (kind, resolution, grp, bucket)
      ) WITHOUT ROWID;
    `,
    run: packRollups,
  },
  {
    version: 7,
    description: 'rollup rows keyed by bucket before group, so that a batch rewrites adjacent rows, not one page per workflow',
    sql: `
      CREATE TABLE rollups_by_bucket (
        kind INTEGER NOT NULL,
        resolution INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        grp INTEGER NOT NULL,
        entries BLOB NOT NULL,
        PRIMARY KEY (kind, resolution, bucket, grp)
      ) WITHOUT ROWID;
      INSERT INTO rollups_by_bucket (kind, resolution, bucket, grp, entries)
        SELECT kind, resolution, bucket, grp, entries FROM rollups ORDER BY kind, resolution, bucket, grp;
      DROP TABLE rollups;
      ALTER TABLE rollups_by_bucket RENAME TO rollups;
    `,
  },
  {
    version: 8,
    description: "a run's steps packed into one row (a blob in run_steps), not a row per step",
    sql: `
      CREATE TABLE run_steps (
        execution_id INTEGER PRIMARY KEY REFERENCES executions(id),
        count INTEGER NOT NULL,
        steps BLOB NOT NULL
      );
    `,
    run: (db) => {
      packSteps(db);
      db.exec('DROP TABLE steps');
    },
  },
  {
    version: 9,
    description: 'rollups of resource samples per host, workflow and minute or hour, for host panels over weeks of samples a second',
    // In this collector's shape; built from the stored samples at version 13, when the samples
    // have every column the rollups read.
    sql: SAMPLE_ROLLUPS_TABLE,
  },
  {
    version: 10,
    description: 'runs indexed by hour before workflow or host: a batch wrote a page of each index for every workflow and host it ran on',
    sql: `
      -- A batch's runs are close in time but spread over the fleet's workflows and hosts: indexes
      -- by workflow (or host), then time, had each batch rewrite the latest page of every workflow's
      -- and host's part of them (two thirds of the pages it wrote). A workflow's runs are found hour
      -- by hour in an index by hour, then workflow (\`HOUR_OF_START\`); a host's in the range of the
      -- index by time, which holds the host.
      DROP INDEX executions_by_host_time;
      DROP INDEX executions_by_time;
      DROP INDEX executions_by_workflow_time;
      CREATE INDEX executions_by_time ON executions(started_at, host_id);
      CREATE INDEX executions_by_hour_workflow ON executions(started_at / 3600000, workflow_id, started_at);
    `,
  },
  {
    version: 11,
    description: 'finished runs that retention archived and deleted, still counted in the rollups: a restore does not count them again',
    sql: `
      -- restored = 1 once the run is back: its steps may come in later batches, and they too are
      -- counted already.
      CREATE TABLE archived_runs (
        ext_id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        restored INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX archived_runs_by_start ON archived_runs(started_at);
      CREATE INDEX archived_runs_away ON archived_runs(ext_id) WHERE restored = 0;
    `,
  },
  {
    version: 12,
    description: 'change log: the runs whose start a write placed (new runs, a start or workflow corrected), for the analysis',
    sql: `
      -- The analysis judges what arrived since its last pass: a run whose start was already
      -- counted in its hour's volume is late for its durations only.
      ALTER TABLE changes ADD COLUMN started TEXT;
    `,
  },
  {
    version: 13,
    description: "disk space used on each host's working volume, in samples and their rollups, for the analysis's disk forecast",
    sql: `
      ALTER TABLE resource_samples ADD COLUMN disk_used INTEGER;
      ALTER TABLE resource_samples ADD COLUMN disk_total INTEGER;
      DROP TABLE sample_rollups;
      ${SAMPLE_ROLLUPS_TABLE}
    `,
    run: rollUpStoredSamples,
  },
  {
    version: 14,
    description: 'when a run of each workflow last arrived, whoever wrote it: the freshness alert rules read',
    sql: `
      -- Wall-clock time of the latest write that created or changed one of the workflow's runs
      -- (a backfill of last month arrives now). Stored runs count as arriving when they ended
      -- (or started): a workflow already silent at the upgrade is not left out of the alerts.
      ALTER TABLE workflows ADD COLUMN arrived_at INTEGER;
      UPDATE workflows SET arrived_at = latest.at
        FROM (SELECT workflow_id, max(coalesce(ended_at, started_at)) AS at FROM executions GROUP BY workflow_id) AS latest
        WHERE latest.workflow_id = workflows.id;
    `,
  },
  {
    version: 15,
    description: 'OTLP spans kept until the span of their run arrives (a tracer sends the steps first)',
    sql: `
      CREATE TABLE otlp_spans (
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        run INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (trace_id, span_id)
      ) WITHOUT ROWID;
      CREATE INDEX otlp_spans_by_arrival ON otlp_spans(received_at);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings `db` to `target` (default: the latest version).
 * @throws AppError when the file was written by a newer collector than this one.
 */
export function migrate(db: Database.Database, target: number = SCHEMA_VERSION, onMigration?: (migration: Migration) => void): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new AppError('internal', `database schema version ${current} is newer than this collector supports (${SCHEMA_VERSION}); upgrade the collector`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    onMigration?.(migration);
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

/** For read-only connections: the file must already be at this collector's schema version. */
export function assertSchemaCurrent(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    throw new AppError('internal', `database schema version ${version} is not this collector's (${SCHEMA_VERSION}); open it read-write once to migrate`);
  }
}
