import { executionStatusCodec } from './codes';

const RUNNING = executionStatusCodec.encode('running');

/** How a dialect says "differs, NULL counting as a value": SQLite's `IS NOT`, PostgreSQL's `IS DISTINCT FROM`. */
export type Differs = 'IS NOT' | 'IS DISTINCT FROM';

/**
 * The condition under which an ingest upsert of an executions row changes it (`excluded` is the
 * row written). Columns the upsert keeps when the write leaves them out (coalesce) count only
 * when written; a "running" status never takes back a final one. Both stores write it into their
 * `ON CONFLICT ... DO UPDATE ... WHERE`, so a re-sent run that changes nothing is not written, nor
 * logged as a change.
 */
export function executionChanged(differs: Differs): string {
  return [
    `executions.workflow_id ${differs} excluded.workflow_id`,
    `executions.started_at ${differs} excluded.started_at`,
    `(excluded.status <> ${RUNNING} AND executions.status ${differs} excluded.status)`,
    ...['robot_id', 'host_id', 'version_id', 'ended_at', 'duration_ms', 'error_type', 'error_id', 'steps_total', 'steps_completed', 'tags'].map(
      (column) => `(excluded.${column} IS NOT NULL AND executions.${column} ${differs} excluded.${column})`,
    ),
  ].join(' OR ');
}

/** The condition under which an upsert of a resource sample changes it (as `executionChanged`). */
export function sampleChanged(differs: Differs): string {
  return [
    ...[
      'cpu_percent',
      'memory_used',
      'memory_total',
      'gpu_percent',
      'gpu_memory_used',
      'disk_used',
      'disk_total',
      'disk_read',
      'disk_write',
      'net_rx',
      'net_tx',
    ].map((column) => `resource_samples.${column} ${differs} excluded.${column}`),
    ...['workflow_id', 'execution_ext_id'].map((column) => `(excluded.${column} IS NOT NULL AND resource_samples.${column} ${differs} excluded.${column})`),
  ].join(' OR ');
}
