import type { ClientBase } from 'pg';
import { byTime, refuseUnknownExecutions } from '../rows';
import type { Execution, IngestBatch, IngestResult, Step } from '@rpa-analytics/contract';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from '../codes';
import { type FinishedRun, mergeStored, rollupCorrection, rollupParts, type RowPart } from '../rollups';
import { retractEncoded } from '../rollupEntries';
import type { PlacedRun } from '../changeKeys';
import { executionChanged, sampleChanged } from '../changedRows';

const RUNNING = executionStatusCodec.encode('running');
/** Serializes ingest across every collector on the database ('rpa-ing'). */
export const INGEST_LOCK = 0x7270612d696e67n;

/**
 * Rows split into rounds with each key at most once per round: one multi-row upsert may not touch
 * a row twice. A key's n-th occurrence lands in round n, so running the rounds in order applies
 * each key's occurrences in their order.
 */
function rounds<T>(rows: readonly T[], key: (row: T) => string): T[][] {
  const out: T[][] = [];
  const seen: Array<Set<string>> = [];
  for (const row of rows) {
    const k = key(row);
    let i = 0;
    while (seen[i]?.has(k)) i++;
    (out[i] ??= []).push(row);
    (seen[i] ??= new Set()).add(k);
  }
  return out;
}

async function intern(client: ClientBase, table: string, names: Iterable<string | undefined>): Promise<Map<string, number>> {
  const list = [...new Set([...names].filter((n): n is string => n !== undefined))];
  if (list.length === 0) return new Map();
  await client.query(`INSERT INTO ${table} (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`, [list]);
  const { rows } = await client.query<{ id: number; name: string }>(`SELECT id, name FROM ${table} WHERE name = ANY($1::text[])`, [list]);
  return new Map(rows.map((r) => [r.name, r.id]));
}

const column = <T>(rows: readonly T[], value: (row: T) => unknown) => rows.map(value);

/**
 * Writes a batch in one transaction, as SQLite's batch writer does, with a statement per table
 * (multi-row, through `unnest`) instead of one per row. Collectors sharing the database take one
 * advisory lock for the transaction, so a batch retried against another collector at the same
 * moment waits, then finds its runs already final and counts nothing twice.
 * @throws AppError `validation_failed` when a step names a run nobody reported; nothing is written then.
 */
export async function ingestBatch(client: ClientBase, batch: IngestBatch, now = Date.now()): Promise<IngestResult> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [INGEST_LOCK.toString()]);
    const result = await write(client, batch, now);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function write(client: ClientBase, batch: IngestBatch, now: number): Promise<IngestResult> {
  const runs = byTime(batch.executions, (e) => e.startedAt).map(({ row }) => row);
  const workflows = await intern(client, 'workflows', [...runs.map((r) => r.workflow), ...batch.samples.map((s) => s.workflow)]);
  const robots = await intern(
    client,
    'robots',
    runs.map((r) => r.robot),
  );
  const hosts = await intern(client, 'hosts', [...runs.map((r) => r.host), ...batch.samples.map((s) => s.host)]);
  const versions = await intern(
    client,
    'versions',
    runs.map((r) => r.packageVersion),
  );
  const stepNames = await intern(
    client,
    'step_names',
    batch.steps.map((s) => s.name),
  );
  const errors = await intern(client, 'error_messages', [...runs.map((r) => r.errorMessage), ...batch.steps.map((s) => s.error)]);
  const id = (map: Map<string, number>, name: string | undefined) => (name === undefined ? null : map.get(name)!);

  // Runs final before this batch that it touches (its runs, its steps' runs), as the rollups
  // count them: a correction (another workflow, status, start or duration, other steps) takes
  // that back out.
  const touched = [...new Set([...runs.map((r) => r.id), ...batch.steps.map((s) => s.executionId)])];
  // A restored run is counted as it was archived, whatever part of it has come back so far: steps
  // restored in a later batch are counted already (corrections of it are not followed).
  const countedBefore =
    touched.length > 0
      ? await countedRuns(client, 'e.ext_id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM archived_runs a WHERE a.ext_id = e.ext_id AND a.restored)', touched)
      : new Map<number, FinishedRun>();

  // Which runs this batch brings to a final status for the first time, as the rows apply in order.
  const executionIds = new Map<string, number>();
  const finishing = new Map<string, Execution>();
  const fresh = new Set<string>();
  // What the batch changed, for the change log: a re-sent run or sample that changed nothing is not
  // logged (an upsert that would leave a row as it is does not write it, nor return it).
  const changed = new Set<string>();
  const placed = new Map<string, PlacedRun>();
  if (runs.length > 0) {
    const stored = await client.query<{ ext_id: string; status: number; started_at: string; workflow_id: number; workflow: string }>(
      'SELECT e.ext_id, e.status, e.started_at, e.workflow_id, w.name AS workflow FROM executions e JOIN workflows w ON w.id = e.workflow_id WHERE e.ext_id = ANY($1::text[])',
      [runs.map((r) => r.id)],
    );
    const statuses = new Map(stored.rows.map((r) => [r.ext_id, r.status]));
    const starts = new Map(stored.rows.map((r) => [r.ext_id, `${r.workflow_id}@${r.started_at}`]));
    const places = new Map(stored.rows.map((r) => [r.ext_id, [r.ext_id, r.workflow, Number(r.started_at)] as const]));
    for (const row of runs) {
      const before = statuses.get(row.id);
      statuses.set(row.id, row.status === 'running' ? (before ?? RUNNING) : executionStatusCodec.encode(row.status));
      if (before === undefined) fresh.add(row.id);
      // A new run, or one moved in time or to another workflow: its hour's volume changed.
      const start = `${workflows.get(row.workflow)}@${row.startedAt}`;
      // Where it was is stale too (a run moved twice in a batch keeps its first place).
      if (starts.get(row.id) !== start && !placed.has(row.id)) placed.set(row.id, places.get(row.id) ?? row.id);
      starts.set(row.id, start);
      if (row.status !== 'running' && (before === undefined || before === RUNNING)) {
        const durationMs = row.durationMs ?? (row.endedAt !== undefined ? row.endedAt - row.startedAt : undefined);
        finishing.set(row.id, durationMs === undefined ? row : { ...row, durationMs });
      }
    }
    for (const round of rounds(runs, (r) => r.id)) {
      const { rows } = await client.query<{ ext_id: string; id: number }>(
        `INSERT INTO executions (ext_id, workflow_id, robot_id, host_id, version_id, started_at, ended_at, duration_ms, status, error_type, error_id, steps_total, steps_completed, tags)
         SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::int[], $6::bigint[], $7::bigint[], $8::float8[], $9::int2[], $10::int2[], $11::int[], $12::int[], $13::int[], $14::jsonb[])
         ON CONFLICT (ext_id) DO UPDATE SET
           workflow_id = excluded.workflow_id,
           robot_id = coalesce(excluded.robot_id, executions.robot_id),
           host_id = coalesce(excluded.host_id, executions.host_id),
           version_id = coalesce(excluded.version_id, executions.version_id),
           started_at = excluded.started_at,
           ended_at = coalesce(excluded.ended_at, executions.ended_at),
           duration_ms = coalesce(excluded.duration_ms, executions.duration_ms),
           status = CASE WHEN excluded.status = ${RUNNING} THEN executions.status ELSE excluded.status END,
           error_type = coalesce(excluded.error_type, executions.error_type),
           error_id = coalesce(excluded.error_id, executions.error_id),
           steps_total = coalesce(excluded.steps_total, executions.steps_total),
           steps_completed = coalesce(excluded.steps_completed, executions.steps_completed),
           tags = coalesce(excluded.tags, executions.tags)
         WHERE ${executionChanged('IS DISTINCT FROM')}
         RETURNING ext_id, id`,
        [
          column(round, (r) => r.id),
          column(round, (r) => workflows.get(r.workflow)),
          column(round, (r) => id(robots, r.robot)),
          column(round, (r) => id(hosts, r.host)),
          column(round, (r) => id(versions, r.packageVersion)),
          column(round, (r) => r.startedAt),
          column(round, (r) => r.endedAt ?? null),
          column(round, (r) => r.durationMs ?? (r.endedAt !== undefined ? r.endedAt - r.startedAt : null)),
          column(round, (r) => executionStatusCodec.encode(r.status)),
          column(round, (r) => (r.errorType === undefined ? null : errorTypeCodec.encode(r.errorType))),
          column(round, (r) => id(errors, r.errorMessage)),
          column(round, (r) => r.stepsTotal ?? null),
          column(round, (r) => r.stepsCompleted ?? null),
          column(round, (r) => (r.tags === undefined ? null : JSON.stringify(r.tags))),
        ],
      );
      for (const r of rows) {
        executionIds.set(r.ext_id, r.id);
        changed.add(r.ext_id);
      }
    }
  }
  for (const id of placed.keys()) if (!changed.has(id)) placed.delete(id);

  // Steps: their runs from this batch or from the store; a step of an unknown run refuses the batch.
  const steps = byTime(batch.steps, (s) => s.startedAt);
  const missing = [...new Set(steps.map(({ row }) => row.executionId).filter((e) => !executionIds.has(e)))];
  if (missing.length > 0) {
    const { rows } = await client.query<{ ext_id: string; id: number }>('SELECT ext_id, id FROM executions WHERE ext_id = ANY($1::text[])', [missing]);
    for (const r of rows) executionIds.set(r.ext_id, r.id);
  }
  refuseUnknownExecutions(
    batch.steps,
    steps.filter(({ row }) => !executionIds.has(row.executionId)).map(({ position }) => position),
  );
  // The same step twice: the later one is the one stored.
  const latestSteps = new Map<string, Step>();
  for (const { row } of steps) latestSteps.set(`${row.executionId}\u0000${row.index}`, row);
  const stepRows = [...latestSteps.values()];
  if (stepRows.length > 0) {
    const runOf = new Map([...executionIds].map(([ext, id]) => [String(id), ext]));
    const { rows: stepsChanged } = await client.query<{ execution_id: string }>(
      `INSERT INTO steps (execution_id, idx, name_id, started_at, duration_ms, status, error_id)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::bigint[], $5::float8[], $6::int2[], $7::int[])
       ON CONFLICT (execution_id, idx) DO UPDATE SET name_id = excluded.name_id, started_at = excluded.started_at,
         duration_ms = excluded.duration_ms, status = excluded.status, error_id = excluded.error_id
       WHERE (steps.name_id, steps.started_at, steps.duration_ms, steps.status, steps.error_id)
         IS DISTINCT FROM (excluded.name_id, excluded.started_at, excluded.duration_ms, excluded.status, excluded.error_id)
       RETURNING execution_id`,
      [
        column(stepRows, (s) => executionIds.get(s.executionId)),
        column(stepRows, (s) => s.index),
        column(stepRows, (s) => stepNames.get(s.name)),
        column(stepRows, (s) => s.startedAt),
        column(stepRows, (s) => s.durationMs),
        column(stepRows, (s) => stepStatusCodec.encode(s.status)),
        column(stepRows, (s) => id(errors, s.error)),
      ],
    );
    for (const r of stepsChanged) changed.add(runOf.get(String(r.execution_id))!);
  }

  const hostNames = new Map([...hosts].map(([name, hostId]) => [hostId, name]));
  const changedSamples: Array<[string, number]> = [];
  for (const round of rounds(
    byTime(batch.samples, (s) => s.time).map(({ row }) => row),
    (s) => `${s.host}\u0000${s.time}`,
  )) {
    const { rows: samplesChanged } = await client.query<{ host_id: number; ts: string }>(
      `INSERT INTO resource_samples (host_id, ts, cpu_percent, memory_used, memory_total, gpu_percent, gpu_memory_used, disk_used, disk_total, disk_read, disk_write, net_rx, net_tx, workflow_id, execution_ext_id)
       SELECT * FROM unnest($1::int[], $2::bigint[], $3::float8[], $4::bigint[], $5::bigint[], $6::float8[], $7::bigint[], $8::bigint[], $9::bigint[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::int[], $15::text[])
       ON CONFLICT (host_id, ts) DO UPDATE SET cpu_percent = excluded.cpu_percent, memory_used = excluded.memory_used,
         memory_total = excluded.memory_total, gpu_percent = excluded.gpu_percent, gpu_memory_used = excluded.gpu_memory_used,
         disk_used = excluded.disk_used, disk_total = excluded.disk_total, disk_read = excluded.disk_read, disk_write = excluded.disk_write, net_rx = excluded.net_rx, net_tx = excluded.net_tx,
         workflow_id = coalesce(excluded.workflow_id, resource_samples.workflow_id),
         execution_ext_id = coalesce(excluded.execution_ext_id, resource_samples.execution_ext_id)
       WHERE ${sampleChanged('IS DISTINCT FROM')}
       RETURNING host_id, ts`,
      [
        column(round, (s) => hosts.get(s.host)),
        column(round, (s) => s.time),
        column(round, (s) => s.cpuPercent),
        column(round, (s) => Math.round(s.memoryUsedBytes)),
        column(round, (s) => Math.round(s.memoryTotalBytes)),
        column(round, (s) => s.gpuPercent ?? null),
        column(round, (s) => (s.gpuMemoryUsedBytes === undefined ? null : Math.round(s.gpuMemoryUsedBytes))),
        column(round, (s) => (s.diskUsedBytes === undefined ? null : Math.round(s.diskUsedBytes))),
        column(round, (s) => (s.diskTotalBytes === undefined ? null : Math.round(s.diskTotalBytes))),
        column(round, (s) => s.diskReadBytesPerSec),
        column(round, (s) => s.diskWriteBytesPerSec),
        column(round, (s) => s.netRxBytesPerSec),
        column(round, (s) => s.netTxBytesPerSec),
        column(round, (s) => id(workflows, s.workflow)),
        column(round, (s) => s.executionId ?? null),
      ],
    );
    for (const r of samplesChanged) changedSamples.push([hostNames.get(r.host_id)!, Number(r.ts)]);
  }

  // Rollups of the runs newly final: their steps from the batch when new in it, else as stored.
  const finished: FinishedRun[] = [];
  const storedSteps = new Map<number, FinishedRun['steps']>();
  const earlier = [...finishing.keys()].filter((ext) => !fresh.has(ext)).map((ext) => executionIds.get(ext)!);
  if (earlier.length > 0) {
    const { rows } = await client.query<{ execution_id: number; name: string; started_at: number; duration_ms: number }>(
      'SELECT s.execution_id, n.name, s.started_at, s.duration_ms FROM steps s JOIN step_names n ON n.id = s.name_id WHERE s.execution_id = ANY($1::bigint[]) ORDER BY s.execution_id, s.idx',
      [earlier],
    );
    for (const r of rows) {
      const list = storedSteps.get(r.execution_id) ?? [];
      list.push({ name: r.name, startedAt: r.started_at, durationMs: r.duration_ms });
      storedSteps.set(r.execution_id, list);
    }
  }
  // A run twice in the batch counts as the batch left it (a correction in the same batch).
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const r of runs) (seen.has(r.id) ? repeated : seen).add(r.id);
  const finalStates = repeated.size > 0 ? await countedRuns(client, 'e.ext_id = ANY($1::text[])', [...repeated]) : new Map<number, FinishedRun>();
  for (const [ext, execution] of finishing) {
    const executionId = executionIds.get(ext)!;
    const runSteps = fresh.has(ext) ? stepRows.filter((s) => s.executionId === ext).sort((a, b) => a.index - b.index) : (storedSteps.get(executionId) ?? []);
    const finalState = finalStates.get(executionId)?.execution;
    finished.push({ execution: finalState ? { ...execution, ...finalState } : execution, steps: runSteps });
  }
  // Runs that retention archived are still in the rollups: restored, they are not counted again.
  const freshFinished = [...finishing.keys()].filter((ext) => fresh.has(ext));
  let counted: FinishedRun[] = finished;
  if (freshFinished.length > 0) {
    const { rows } = await client.query<{ ext_id: string }>(
      'UPDATE archived_runs SET restored = true WHERE ext_id = ANY($1::text[]) AND NOT restored RETURNING ext_id',
      [freshFinished],
    );
    const restored = new Set(rows.map((r) => r.ext_id));
    if (restored.size > 0) counted = finished.filter(({ execution }) => !restored.has(execution.id));
  }
  // Runs counted before and corrected now: whole runs out and in, or only the steps that changed.
  const runsOut: FinishedRun[] = [];
  const stepsOut: FinishedRun[] = [];
  const stepsIn: FinishedRun[] = [];
  if (countedBefore.size > 0) {
    const now = await countedRuns(client, 'e.id = ANY($1::bigint[])', [...countedBefore.keys()]);
    counted = [...counted];
    for (const [id, before] of countedBefore) {
      const correction = rollupCorrection(before, now.get(id)!);
      (correction.runs ? runsOut : stepsOut).push(...correction.out);
      (correction.runs ? counted : stepsIn).push(...correction.in);
    }
  }
  const everything = [...counted, ...runsOut, ...stepsOut, ...stepsIn];
  const allWorkflows = await intern(
    client,
    'workflows',
    everything.map((f) => f.execution.workflow),
  );
  const allStepNames = await intern(
    client,
    'step_names',
    everything.flatMap((f) => f.steps.map((s) => s.name)),
  );
  const partsOf = (runs: FinishedRun[], options?: { runs: boolean }) =>
    rollupParts(
      runs,
      (name) => allWorkflows.get(name)!,
      (name) => allStepNames.get(name)!,
      options,
    );
  const retracted = [...partsOf(runsOut), ...partsOf(stepsOut, { runs: false })];
  const added = [...partsOf(counted), ...partsOf(stepsIn, { runs: false })];
  if (retracted.length + added.length > 0) {
    const parts = [...retracted, ...added];
    const keys = [0, 1, 2, 3].map((i) => parts.map((p) => p.key[i]));
    const { rows } = await client.query<{ kind: number; resolution: number; grp: number; bucket: number; entries: Buffer }>(
      `SELECT r.kind, r.resolution, r.grp, r.bucket, r.entries FROM rollups r
       JOIN unnest($1::int2[], $2::int[], $3::int[], $4::bigint[]) AS k(kind, resolution, grp, bucket)
         ON r.kind = k.kind AND r.resolution = k.resolution AND r.grp = k.grp AND r.bucket = k.bucket`,
      keys,
    );
    const stored = new Map<string, Uint8Array>(rows.map((r) => [`${r.kind}:${r.resolution}:${r.grp}:${r.bucket}`, r.entries]));
    // Corrections come out first, then what is counted goes in; each row is written once.
    for (const p of retracted) {
      const key = p.key.join(':');
      const row = stored.get(key);
      if (row) stored.set(key, retractEncoded(p.entries, row));
    }
    const written = new Map<string, RowPart['key']>();
    for (const p of added) {
      const key = p.key.join(':');
      stored.set(key, mergeStored(p.entries, stored.get(key)));
      written.set(key, p.key);
    }
    for (const p of retracted) if (stored.has(p.key.join(':'))) written.set(p.key.join(':'), p.key);
    const rowKeys = [...written.values()];
    await client.query(
      `INSERT INTO rollups (kind, resolution, grp, bucket, entries)
       SELECT * FROM unnest($1::int2[], $2::int[], $3::int[], $4::bigint[], $5::bytea[])
       ON CONFLICT (kind, resolution, grp, bucket) DO UPDATE SET entries = excluded.entries`,
      [...[0, 1, 2, 3].map((i) => rowKeys.map((k) => k[i])), rowKeys.map((k) => Buffer.from(stored.get(k.join(':'))!))],
    );
  }

  const json = (list: readonly unknown[]) => (list.length ? JSON.stringify(list) : null);
  if (changed.size || changedSamples.length) {
    await client.query('INSERT INTO changes (at, executions, samples, started) VALUES ($1, $2, $3, $4)', [
      now,
      json([...changed]),
      json(changedSamples),
      json([...placed.values()]),
    ]);
  }
  if (changed.size) {
    await client.query('UPDATE workflows w SET arrived_at = $1 FROM executions e WHERE e.ext_id = ANY($2::text[]) AND e.workflow_id = w.id', [
      now,
      [...changed],
    ]);
  }
  return { executions: batch.executions.length, steps: batch.steps.length, samples: batch.samples.length, finished };
}

/** Final runs (not running) matching `where` (on `executions e`, with `$1`), as the rollups count them, by id. */
async function countedRuns(client: ClientBase, where: string, values: unknown[]): Promise<Map<number, FinishedRun>> {
  const runs = new Map<number, FinishedRun>();
  const { rows } = await client.query<{ id: number; ext_id: string; workflow: string; status: number; started_at: number; duration_ms: number | null }>(
    `SELECT e.id, e.ext_id, w.name AS workflow, e.status, e.started_at, e.duration_ms FROM executions e JOIN workflows w ON w.id = e.workflow_id
     WHERE ${where} AND e.status <> ${RUNNING}`,
    [values],
  );
  if (rows.length === 0) return runs;
  for (const r of rows) {
    const execution = {
      id: r.ext_id,
      workflow: r.workflow,
      status: executionStatusCodec.decode(r.status),
      startedAt: r.started_at,
      ...(r.duration_ms === null ? {} : { durationMs: r.duration_ms }),
    } as Execution;
    runs.set(r.id, { execution, steps: [] });
  }
  const steps = await client.query<{ execution_id: number; name: string; started_at: number; duration_ms: number }>(
    'SELECT s.execution_id, n.name, s.started_at, s.duration_ms FROM steps s JOIN step_names n ON n.id = s.name_id WHERE s.execution_id = ANY($1::bigint[]) ORDER BY s.execution_id, s.idx',
    [[...runs.keys()]],
  );
  for (const r of steps.rows) runs.get(r.execution_id)!.steps.push({ name: r.name, startedAt: r.started_at, durationMs: r.duration_ms });
  return runs;
}
