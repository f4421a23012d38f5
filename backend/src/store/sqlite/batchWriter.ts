import type Database from 'better-sqlite3';
import { byTime, refuseUnknownExecutions } from '../rows';
import type { Execution, IngestBatch, IngestResult, ResourceSample, Step } from '@rpa-analytics/contract';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from '../codes';
import { type Dictionaries, resetDictionaries } from './dictionaries';
import { RollupWriter } from './rollupWriter';
import { type FinishedRun, rollupCorrection } from '../rollups';
import { SampleRollupWriter } from './sampleRollups';
import type { ChangeLog } from './changeLog';
import type { PlacedRun } from '../changeKeys';
import { executionChanged, sampleChanged } from '../changedRows';
import { decodeSteps, encodeSteps, type PackedStep } from './stepBlob';

const RUNNING = executionStatusCodec.encode('running');

/*
 * Rows are written many to a statement, with positional parameters: each call into SQLite costs
 * about as much as writing a row, and binding by name costs a lookup per value.
 */

/** What the rollups count of a stored run. */
interface StoredRunState {
  id: number;
  workflowId: number;
  status: number;
  startedAt: number;
  durationMs: number | null;
}

/** Rows per statement, largest first; the last is 1 so that any count can be written. */
const CHUNKS = [64, 16, 4, 1];

const EXECUTION_COLUMNS =
  'ext_id, workflow_id, robot_id, host_id, version_id, started_at, ended_at, duration_ms, status, error_type, error_id, steps_total, steps_completed, tags';
const EXECUTION_WIDTH = 14;
const RUN_STEPS_WIDTH = 3;

const placeholders = (rows: number, width: number) => Array.from({ length: rows }, () => `(${Array.from({ length: width }, () => '?').join(', ')})`).join(', ');

/** One statement per chunk size, built by `sql(rows)`. */
function prepareChunks(db: Database.Database, sql: (rows: number) => string): Map<number, Database.Statement> {
  return new Map(CHUNKS.map((rows) => [rows, db.prepare(sql(rows))]));
}

/** Calls `write` with each chunk's statement and values, in order, until `values` (`width` per row) are all written. */
function inChunks(
  values: unknown[],
  width: number,
  statements: Map<number, Database.Statement>,
  write: (statement: Database.Statement, chunk: unknown[]) => void,
): void {
  let offset = 0;
  for (const rows of CHUNKS) {
    const length = rows * width;
    const statement = statements.get(rows)!;
    for (; values.length - offset >= length; offset += length) write(statement, values.slice(offset, offset + length));
  }
}

/**
 * Writes ingest batches: one transaction per batch, rows in time order, statements prepared once.
 * Upserts keyed on the runner's ids make a retried batch rewrite the same rows, never add rows.
 */
export class BatchWriter {
  private readonly upsertExecution: Database.Statement;
  private readonly insertExecutions: Map<number, Database.Statement>;
  private readonly storedRuns: Database.Statement<[string], StoredRunState & { at: number }>;
  private readonly storedSteps: Database.Statement<[number], Buffer>;
  private readonly anyArchived: Database.Statement<[], number>;
  private readonly runState: Database.Statement<[string], StoredRunState>;
  private readonly runStateById: Database.Statement<[number], StoredRunState>;
  private readonly archivedAmong: Database.Statement<[string], { at: number }>;
  private readonly markRestored: Database.Statement<[string]>;
  private readonly wasRestored: Database.Statement<[string], number>;
  private readonly rollups: RollupWriter;
  private readonly sampleRollups: SampleRollupWriter;
  private readonly upsertRunSteps: Map<number, Database.Statement>;
  private readonly upsertSample: Database.Statement;
  private readonly markArrived: Database.Statement<[number, string]>;
  private readonly writeInTransaction: Database.Transaction<(batch: IngestBatch) => IngestResult>;

  constructor(
    db: Database.Database,
    private readonly dictionaries: Dictionaries,
    private readonly changes: ChangeLog,
  ) {
    // A late or retried "start" never takes back what a "complete" already said. A row the
    // upsert would leave as it is is not written: it returns no id, and is no change.
    this.upsertExecution = db.prepare(`
      INSERT INTO executions (${EXECUTION_COLUMNS}) VALUES ${placeholders(1, EXECUTION_WIDTH)}
      ON CONFLICT (ext_id) DO UPDATE SET
        workflow_id = excluded.workflow_id,
        robot_id = coalesce(excluded.robot_id, robot_id),
        host_id = coalesce(excluded.host_id, host_id),
        version_id = coalesce(excluded.version_id, version_id),
        started_at = excluded.started_at,
        ended_at = coalesce(excluded.ended_at, ended_at),
        duration_ms = coalesce(excluded.duration_ms, duration_ms),
        status = CASE WHEN excluded.status = ${RUNNING} THEN status ELSE excluded.status END,
        error_type = coalesce(excluded.error_type, error_type),
        error_id = coalesce(excluded.error_id, error_id),
        steps_total = coalesce(excluded.steps_total, steps_total),
        steps_completed = coalesce(excluded.steps_completed, steps_completed),
        tags = coalesce(excluded.tags, tags)
      WHERE ${executionChanged('IS NOT')}
      RETURNING id`);
    this.markArrived = db.prepare(
      'UPDATE workflows SET arrived_at = ? WHERE id IN (SELECT e.workflow_id FROM json_each(?) j JOIN executions e ON e.ext_id = j.value)',
    );
    // Runs new to the store, each once in its batch: inserted without the upsert's conflict handling.
    this.insertExecutions = prepareChunks(db, (rows) => `INSERT INTO executions (${EXECUTION_COLUMNS}) VALUES ${placeholders(rows, EXECUTION_WIDTH)}`);
    // Stored runs of a JSON list of ids, by position in the list: text read back is not always the
    // JavaScript string that was bound (a lone surrogate is stored as its bytes).
    this.storedRuns = db.prepare(
      'SELECT j.key AS at, e.id, e.workflow_id AS workflowId, e.status, e.started_at AS startedAt, e.duration_ms AS durationMs FROM json_each(?) j JOIN executions e ON e.ext_id = j.value',
    );
    const stateColumns = 'id, workflow_id AS workflowId, status, started_at AS startedAt, duration_ms AS durationMs';
    this.runState = db.prepare(`SELECT ${stateColumns} FROM executions WHERE ext_id = ?`);
    this.runStateById = db.prepare(`SELECT ${stateColumns} FROM executions WHERE id = ?`);
    // Runs that retention archived are still in the rollups: restored, they are not counted again.
    this.anyArchived = db.prepare('SELECT EXISTS (SELECT 1 FROM archived_runs WHERE restored = 0)').pluck() as Database.Statement<[], number>;
    this.archivedAmong = db.prepare('SELECT j.key AS at FROM json_each(?) j JOIN archived_runs a ON a.ext_id = j.value AND a.restored = 0');
    this.markRestored = db.prepare('UPDATE archived_runs SET restored = 1 WHERE ext_id IN (SELECT value FROM json_each(?))');
    this.wasRestored = db.prepare('SELECT EXISTS (SELECT 1 FROM archived_runs WHERE ext_id = ? AND restored = 1)').pluck() as Database.Statement<
      [string],
      number
    >;
    this.rollups = new RollupWriter(db, dictionaries);
    this.sampleRollups = new SampleRollupWriter(db);
    this.storedSteps = db.prepare('SELECT steps FROM run_steps WHERE execution_id = ?').pluck() as Database.Statement<[number], Buffer>;
    // A run's steps are one row: those of the batch, with those stored before (a step reported
    // again replaces the stored one with its index).
    this.upsertRunSteps = prepareChunks(
      db,
      (rows) => `
        INSERT INTO run_steps (execution_id, count, steps) VALUES ${placeholders(rows, RUN_STEPS_WIDTH)}
        ON CONFLICT (execution_id) DO UPDATE SET count = excluded.count, steps = excluded.steps`,
    );
    this.upsertSample = db.prepare(`
      INSERT INTO resource_samples (host_id, ts, cpu_percent, memory_used, memory_total, gpu_percent,
        gpu_memory_used, disk_used, disk_total, disk_read, disk_write, net_rx, net_tx, workflow_id, execution_ext_id)
      VALUES (@hostId, @time, @cpuPercent, @memoryUsedBytes, @memoryTotalBytes, @gpuPercent,
        @gpuMemoryUsedBytes, @diskUsedBytes, @diskTotalBytes, @diskReadBytesPerSec, @diskWriteBytesPerSec, @netRxBytesPerSec,
        @netTxBytesPerSec, @workflowId, @executionId)
      ON CONFLICT (host_id, ts) DO UPDATE SET
        cpu_percent = excluded.cpu_percent, memory_used = excluded.memory_used,
        memory_total = excluded.memory_total, gpu_percent = excluded.gpu_percent,
        gpu_memory_used = excluded.gpu_memory_used, disk_used = excluded.disk_used,
        disk_total = excluded.disk_total, disk_read = excluded.disk_read,
        disk_write = excluded.disk_write, net_rx = excluded.net_rx, net_tx = excluded.net_tx,
        workflow_id = coalesce(excluded.workflow_id, workflow_id),
        execution_ext_id = coalesce(excluded.execution_ext_id, execution_ext_id)
      WHERE ${sampleChanged('IS NOT')}`);
    this.writeInTransaction = db.transaction((batch: IngestBatch) => this.writeRows(batch));
  }

  /**
   * @throws AppError `validation_failed` when a step names an execution that neither the batch
   * nor the store knows; nothing of the batch is written then.
   */
  write(batch: IngestBatch): IngestResult {
    try {
      // IMMEDIATE: the write lock first. A batch reads what is stored before it writes, and a
      // deferred transaction whose snapshot another connection wrote past cannot upgrade: SQLite
      // fails it at once (SQLITE_BUSY_SNAPSHOT) instead of waiting its busy timeout.
      return this.writeInTransaction.immediate(batch);
    } catch (error) {
      // Ids interned inside the rolled-back transaction no longer exist.
      resetDictionaries(this.dictionaries);
      throw error;
    }
  }

  private writeRows(batch: IngestBatch): IngestResult {
    const executionIds = new Map<string, number>();
    // Runs final before this batch that it touches, as the rollups count them: a correction
    // (another workflow, status, start or duration, other steps) takes that back out.
    const counted = new Map<number, FinishedRun>();
    const finished = new Map<number, Execution>();
    // Runs new in this batch: all their steps are in it too (a step of an unknown run is refused).
    const newRuns = new Set<number>();
    const written = (row: Execution, id: number, before: number | undefined) => {
      executionIds.set(row.id, id);
      if (before === undefined) newRuns.add(id);
      if (row.status !== 'running' && (before === undefined || before === RUNNING)) {
        const durationMs = row.durationMs ?? (row.endedAt !== undefined ? row.endedAt - row.startedAt : undefined);
        finished.set(id, durationMs === undefined ? row : { ...row, durationMs });
      }
    };
    // What the batch changed, for the change log (a re-sent run or sample that changed nothing is
    // not logged), and the runs whose start it placed (new, or moved in time or to a workflow).
    const changed = new Set<string>();
    const placed = new Map<string, PlacedRun>();
    // How often each run is in the batch, and the id and status of those already stored.
    const times = new Map<string, number>();
    for (const row of batch.executions) times.set(row.id, (times.get(row.id) ?? 0) + 1);
    const stored = this.stored([...times.keys()]);
    // Runs new to the store and once in the batch wait here to be inserted together, in order.
    let fresh: Execution[] = [];
    const insertFresh = () => {
      if (fresh.length === 0) return;
      // The rows of one INSERT take the ids after the largest, in order (`id` is the rowid).
      let next = 0;
      inChunks(
        fresh.flatMap((row) => this.executionValues(row)),
        EXECUTION_WIDTH,
        this.insertExecutions,
        (statement, chunk) => {
          const rows = chunk.length / EXECUTION_WIDTH;
          const first = Number(statement.run(chunk).lastInsertRowid) - rows + 1;
          for (let i = 0; i < rows; i++) {
            written(fresh[next + i], first + i, undefined);
            changed.add(fresh[next + i].id);
            placed.set(fresh[next + i].id, fresh[next + i].id);
          }
          next += rows;
        },
      );
      fresh = [];
    };
    for (const { row } of byTime(batch.executions, (e) => e.startedAt)) {
      const once = times.get(row.id) === 1;
      if (once && !stored.has(row.id)) {
        fresh.push(row);
        continue;
      }
      insertFresh();
      const storedBefore = stored.get(row.id);
      if (storedBefore && storedBefore.status !== RUNNING) this.keepCounted(row.id, storedBefore, counted);
      // A run twice in the batch: its second write sees what the first one stored.
      const before = once ? storedBefore : this.runState.get(row.id);
      const values = this.executionValues(row);
      const upserted = this.upsertExecution.get(values) as { id: number } | undefined;
      if (upserted) {
        changed.add(row.id);
        if (!before) placed.set(row.id, row.id);
        else if (before.startedAt !== row.startedAt || before.workflowId !== values[1]) {
          // Where it was is stale too (a run new or moved before in this batch keeps that entry).
          if (!placed.has(row.id)) placed.set(row.id, [row.id, this.dictionaries.workflows.nameOf(before.workflowId), before.startedAt]);
        }
      }
      written(row, upserted?.id ?? before!.id, before?.status);
    }
    insertFresh();
    const unknown: number[] = [];
    // Each run's steps in the batch by index; of two writes of one step, the later one (in time,
    // then in the batch): taken in the batch's order, so a sort of every step is not needed.
    const stepsByRun = new Map<number, Map<number, Step>>();
    for (let position = 0; position < batch.steps.length; position++) {
      const row = batch.steps[position];
      let executionId = executionIds.get(row.executionId);
      if (executionId === undefined) {
        // A run of an earlier batch: found once for all its steps here.
        const state = this.runState.get(row.executionId);
        executionId = state?.id;
        if (state) {
          executionIds.set(row.executionId, state.id);
          this.keepCounted(row.executionId, state, counted);
        }
      }
      if (executionId === undefined) {
        unknown.push(position);
        continue;
      }
      let steps = stepsByRun.get(executionId);
      if (!steps) stepsByRun.set(executionId, (steps = new Map()));
      const earlier = steps.get(row.index);
      if (!earlier || row.startedAt >= earlier.startedAt) steps.set(row.index, row);
    }
    refuseUnknownExecutions(batch.steps, unknown);
    const runSteps = this.writeSteps(stepsByRun, newRuns);
    const changedSamples: Array<readonly [string, number]> = [];
    if (batch.samples.length > 0) {
      const touched = new Map<number, number[]>();
      for (const { row } of byTime(batch.samples, (s) => s.time)) {
        const hostId = this.writeSample(row);
        if (hostId === undefined) continue;
        changedSamples.push([row.host, row.time]);
        let times = touched.get(hostId);
        if (!times) touched.set(hostId, (times = []));
        times.push(row.time);
      }
      if (touched.size > 0) this.sampleRollups.update(touched);
    }
    const extIds = new Map([...executionIds].map(([ext, id]) => [id, ext]));
    for (const id of runSteps.keys()) changed.add(extIds.get(id)!);
    const newlyFinished = [...finished].map(([id, execution]) => {
      const steps = this.stepsOf(id, runSteps.get(id));
      // A run twice in the batch counts as the batch left it (a correction in the same batch).
      if (times.get(execution.id) === 1) return { execution, steps };
      return { execution: { ...execution, ...this.countedAs(execution.id, this.runStateById.get(id)!, steps).execution }, steps };
    });
    const restored = newRuns.size > 0 ? this.restoredAmong(newlyFinished) : undefined;
    // A copy: corrections join what is added to the rollups, not the runs reported newly finished.
    const toAdd = newlyFinished.filter(({ execution }) => !restored?.has(execution.id));
    // Runs counted before and corrected now: whole runs out and in, or only the steps that changed.
    const stepsOut: FinishedRun[] = [];
    const stepsIn: FinishedRun[] = [];
    const runsOut: FinishedRun[] = [];
    for (const [id, before] of counted) {
      const correction = rollupCorrection(before, this.countedAs(before.execution.id, this.runStateById.get(id)!, this.stepsOf(id, runSteps.get(id))));
      (correction.runs ? runsOut : stepsOut).push(...correction.out);
      (correction.runs ? toAdd : stepsIn).push(...correction.in);
    }
    if (runsOut.length > 0) this.rollups.retract(runsOut);
    if (stepsOut.length > 0) this.rollups.retract(stepsOut, { runs: false });
    this.rollups.add(toAdd);
    if (stepsIn.length > 0) this.rollups.add(stepsIn, { runs: false });
    const at = Date.now();
    if (changed.size > 0) this.markArrived.run(at, JSON.stringify([...changed]));
    this.changes.append({ executions: [...changed], started: [...placed.values()], samples: changedSamples }, at);
    return { executions: batch.executions.length, steps: batch.steps.length, samples: batch.samples.length, finished: newlyFinished };
  }

  /** Keeps how a run final before this batch counts in the rollups, the first time the batch touches it. */
  private keepCounted(extId: string, state: StoredRunState | undefined, counted: Map<number, FinishedRun>): void {
    if (!state || state.status === RUNNING || counted.has(state.id)) return;
    // A restored run is counted as it was archived, whatever part of it has come back so far:
    // steps restored in a later batch are counted already (corrections of it are not followed).
    if (this.wasRestored.get(extId) === 1) return;
    counted.set(state.id, this.countedAs(extId, state, this.stepsOf(state.id, undefined)));
  }

  /** A stored run as the rollups count it. */
  private countedAs(extId: string, state: StoredRunState, steps: FinishedRun['steps']): FinishedRun {
    const execution = {
      id: extId,
      workflow: this.dictionaries.workflows.nameOf(state.workflowId),
      status: executionStatusCodec.decode(state.status),
      startedAt: state.startedAt,
      ...(state.durationMs === null ? {} : { durationMs: state.durationMs }),
    } as Execution;
    return { execution, steps };
  }

  /** The runs among `finished` that retention archived (and the rollups still count); marked restored now that they are back. */
  private restoredAmong(finished: readonly FinishedRun[]): Set<string> | undefined {
    if (finished.length === 0 || this.anyArchived.get() === 0) return undefined;
    const ids = JSON.stringify(finished.map(({ execution }) => execution.id));
    const restored = new Set(this.archivedAmong.all(ids).map(({ at }) => finished[at].execution.id));
    if (restored.size > 0) this.markRestored.run(JSON.stringify([...restored]));
    return restored;
  }

  /** A finished run's steps by index: as this batch wrote them, else as stored. */
  private stepsOf(id: number, written: PackedStep[] | undefined): Array<{ name: string; startedAt: number; durationMs: number }> {
    const { stepNames } = this.dictionaries;
    const steps: Array<{ name: string; startedAt: number; durationMs: number }> = [];
    if (written) for (const { nameId, startedAt, durationMs } of written) steps.push({ name: stepNames.nameOf(nameId), startedAt, durationMs });
    else {
      const blob = this.storedSteps.get(id);
      if (blob) decodeSteps(blob, (_index, nameId, startedAt, durationMs) => steps.push({ name: stepNames.nameOf(nameId), startedAt, durationMs }));
    }
    return steps;
  }

  /** The stored runs among `ids`, by id. */
  private stored(ids: string[]): Map<string, StoredRunState> {
    const runs = new Map<string, StoredRunState>();
    if (ids.length > 0) for (const { at, ...state } of this.storedRuns.iterate(JSON.stringify(ids))) runs.set(ids[at], state);
    return runs;
  }

  /** The values of an executions row, in EXECUTION_COLUMNS order. */
  private executionValues(execution: Execution): unknown[] {
    const d = this.dictionaries;
    const durationMs = execution.durationMs ?? (execution.endedAt !== undefined ? execution.endedAt - execution.startedAt : null);
    return [
      execution.id,
      d.workflows.intern(execution.workflow),
      d.robots.internOptional(execution.robot),
      d.hosts.internOptional(execution.host),
      d.versions.internOptional(execution.packageVersion),
      execution.startedAt,
      execution.endedAt ?? null,
      durationMs,
      executionStatusCodec.encode(execution.status),
      execution.errorType === undefined ? null : errorTypeCodec.encode(execution.errorType),
      d.errorMessages.internOptional(execution.errorMessage),
      execution.stepsTotal ?? null,
      execution.stepsCompleted ?? null,
      execution.tags === undefined ? null : JSON.stringify(execution.tags),
    ];
  }

  /**
   * Writes each run's steps as one row (a run new in the batch has no stored steps to keep), and
   * returns the steps of each run whose row changed, as written, by index.
   */
  private writeSteps(stepsByRun: Map<number, Map<number, Step>>, newRuns: Set<number>): Map<number, PackedStep[]> {
    const { stepNames, errorMessages } = this.dictionaries;
    const values: unknown[] = [];
    const written = new Map<number, PackedStep[]>();
    for (const [executionId, steps] of stepsByRun) {
      const packed = new Map<number, PackedStep>();
      const stored = newRuns.has(executionId) ? undefined : this.storedSteps.get(executionId);
      if (stored)
        decodeSteps(stored, (index, nameId, startedAt, durationMs, status, errorId) =>
          packed.set(index, { index, nameId, startedAt, durationMs, status, errorId }),
        );
      for (const step of steps.values()) {
        packed.set(step.index, {
          index: step.index,
          nameId: stepNames.intern(step.name),
          startedAt: step.startedAt,
          durationMs: step.durationMs,
          status: stepStatusCodec.encode(step.status),
          errorId: errorMessages.internOptional(step.error),
        });
      }
      const sorted = [...packed.values()].sort((a, b) => a.index - b.index);
      const blob = encodeSteps(sorted);
      // Steps re-sent as stored change nothing.
      if (stored?.equals(blob)) continue;
      written.set(executionId, sorted);
      values.push(executionId, sorted.length, blob);
    }
    inChunks(values, RUN_STEPS_WIDTH, this.upsertRunSteps, (statement, chunk) => statement.run(chunk));
    return written;
  }

  /** @returns the sample's host id, or undefined when the sample was stored as it is */
  private writeSample(sample: ResourceSample): number | undefined {
    const hostId = this.dictionaries.hosts.intern(sample.host);
    const { changes } = this.upsertSample.run({
      hostId,
      time: sample.time,
      cpuPercent: sample.cpuPercent,
      memoryUsedBytes: sample.memoryUsedBytes,
      memoryTotalBytes: sample.memoryTotalBytes,
      gpuPercent: sample.gpuPercent ?? null,
      gpuMemoryUsedBytes: sample.gpuMemoryUsedBytes ?? null,
      diskUsedBytes: sample.diskUsedBytes ?? null,
      diskTotalBytes: sample.diskTotalBytes ?? null,
      diskReadBytesPerSec: sample.diskReadBytesPerSec,
      diskWriteBytesPerSec: sample.diskWriteBytesPerSec,
      netRxBytesPerSec: sample.netRxBytesPerSec,
      netTxBytesPerSec: sample.netTxBytesPerSec,
      workflowId: this.dictionaries.workflows.internOptional(sample.workflow),
      executionId: sample.executionId ?? null,
    });
    return changes > 0 ? hostId : undefined;
  }
}
