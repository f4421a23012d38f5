// Expired raw rows read for the archive, then deleted, and expired rollups: the PostgreSQL side of `sqlite/retention.ts`.
import type { ClientBase } from 'pg';
import { type Execution, type IngestBatch, type Step } from '@rpa-analytics/contract';
import { getExecution, listSamples } from './executionReader';
import { all } from './query';

export async function expiredRaw(client: ClientBase, cutoff: number, limit: number): Promise<IngestBatch> {
  const executions: Execution[] = [];
  const steps: Step[] = [];
  for (const { ext_id } of await all<{ ext_id: string }>(client, 'SELECT ext_id FROM executions WHERE started_at < ? ORDER BY started_at, id LIMIT ?', [
    cutoff,
    limit,
  ])) {
    const { steps: runSteps, resources: _resources, ...execution } = (await getExecution(client, ext_id))!;
    executions.push(execution);
    steps.push(...runSteps);
  }
  return { executions, steps, samples: await listSamples(client, { to: cutoff, limit: limit * 10 }) };
}

export async function deleteRaw(client: ClientBase, batch: IngestBatch): Promise<void> {
  await client.query('BEGIN');
  try {
    const ids = batch.executions.map((e) => e.id);
    await client.query('DELETE FROM steps WHERE execution_id IN (SELECT id FROM executions WHERE ext_id = ANY($1))', [ids]);
    await client.query('DELETE FROM executions WHERE ext_id = ANY($1)', [ids]);
    // A finished run is in the rollups, which outlive the raw rows: remembered, so that restoring it does not count it again.
    const finished = batch.executions.filter((e) => e.status !== 'running');
    await client.query(
      'INSERT INTO archived_runs (ext_id, started_at) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (ext_id) DO UPDATE SET started_at = excluded.started_at, restored = false',
      [finished.map((e) => e.id), finished.map((e) => e.startedAt)],
    );
    for (const s of batch.samples)
      await client.query('DELETE FROM resource_samples WHERE host_id = (SELECT id FROM hosts WHERE name = $1) AND ts = $2', [s.host, s.time]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function deleteRollupsBefore(client: ClientBase, cutoff: number): Promise<number> {
  // Runs whose rollups are gone are counted nowhere: restored, they are counted again.
  await client.query('DELETE FROM archived_runs WHERE started_at < $1', [cutoff]);
  return (await client.query('DELETE FROM rollups WHERE bucket < $1', [cutoff])).rowCount ?? 0;
}
