import type Database from 'better-sqlite3';
import type { RunFilter, RunOutline } from '../store';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from '../codes';
import type { Dictionaries } from './dictionaries';
import { PackedNumbers, packedRow } from './packedRows';
import { runConditions, whereClause } from './runConditions';
import { decodeSteps } from './stepBlob';

/** Runs read in one chunk: its text and blobs stay a few megabytes. */
const OUTLINE_CHUNK_RUNS = 50_000;

/** A completed step's status as stored. */
const COMPLETED = stepStatusCodec.encode('completed');

/**
 * What a chunk packs of each run: its id, the outline (whose start or end is the key runs are read
 * in order by), then its blob's size.
 */
const OUTLINE_COLUMNS = [
  'e.id',
  'e.workflow_id',
  'e.host_id',
  'e.robot_id',
  'e.started_at',
  'e.ended_at',
  'e.duration_ms',
  'e.status',
  'e.error_type',
  'length(s.steps)',
];

/**
 * The completed steps of the run being read, gathered by `gatherCompleted` (module state rather
 * than a closure a run, and arrays of the exact size copied out of these: runs are read by the
 * hundred thousand and kept for the pass).
 */
const gathered = { names: [] as string[], times: [] as number[], count: 0, stepNames: undefined as Dictionaries['stepNames'] | undefined };

function gatherCompleted(_index: number, nameId: number, startedAt: number, durationMs: number, status: number): void {
  if (status !== COMPLETED) return;
  const at = gathered.count++;
  gathered.names[at] = gathered.stepNames!.nameOf(nameId);
  gathered.times[2 * at] = startedAt;
  gathered.times[2 * at + 1] = durationMs;
}

/**
 * The names of the completed steps just gathered: the array `namesOf` holds for the workflow when
 * they are the same (most runs of a workflow complete the same steps), else a new one it keeps.
 */
function completedNames(namesOf: Map<number, readonly string[]>, workflowId: number): readonly string[] {
  const count = gathered.count;
  const last = namesOf.get(workflowId);
  let same = last !== undefined && last.length === count;
  for (let i = 0; same && i < count; i++) same = last![i] === gathered.names[i];
  if (same) return last!;
  const names = gathered.names.slice(0, count);
  namesOf.set(workflowId, names);
  return names;
}

/** A run's outline from its stored values, its steps from `blob[start, end)`; `namesOf` as `completedNames` keeps it. */
function outline(
  dictionaries: Dictionaries,
  namesOf: Map<number, readonly string[]>,
  workflowId: number,
  hostId: number | null,
  robotId: number | null,
  startedAt: number,
  endedAt: number | null,
  durationMs: number | null,
  status: number,
  errorType: number | null,
  blob: Uint8Array | null,
  start: number,
  end: number,
): RunOutline {
  gathered.count = 0;
  if (blob && end > start) {
    gathered.stepNames = dictionaries.stepNames;
    decodeSteps(blob, gatherCompleted, start, end);
  }
  const completed = { names: completedNames(namesOf, workflowId), times: gathered.times.slice(0, 2 * gathered.count) };
  const run: RunOutline = {
    workflow: dictionaries.workflows.nameOf(workflowId),
    startedAt,
    status: executionStatusCodec.decode(status),
    completedSteps: completed,
  };
  if (hostId !== null) run.host = dictionaries.hosts.nameOf(hostId);
  if (robotId !== null) run.robot = dictionaries.robots.nameOf(robotId);
  if (endedAt !== null) run.endedAt = endedAt;
  if (durationMs !== null) run.durationMs = durationMs;
  if (errorType !== null) run.errorType = errorTypeCodec.decode(errorType);
  return run;
}

/** A run in outline with the keys runs are read in order by (the filter's time column, then id). */
export interface KeyedOutline {
  key: number;
  id: number;
  run: RunOutline;
}

/**
 * The runs of one chunk: `text` packs `OUTLINE_COLUMNS` of each, `blobs` holds their step blobs
 * end to end; they were read in order `by` their start or end, then id. SQLite aggregates the rows
 * in the order its subquery gives them but does not promise to: runs out of order are put in order
 * here.
 */
export function unpackOutlines(text: string | null, blobs: Uint8Array | null, dictionaries: Dictionaries, by: RunFilter['by'] = 'start'): KeyedOutline[] {
  const values = new PackedNumbers(text);
  const runs: KeyedOutline[] = [];
  const namesOf = new Map<number, readonly string[]>();
  let inOrder = true;
  let offset = 0;
  while (!values.done) {
    const id = values.next()!;
    const workflowId = values.next()!;
    const hostId = values.next();
    const robotId = values.next();
    const startedAt = values.next()!;
    const endedAt = values.next();
    const durationMs = values.next();
    const status = values.next()!;
    const errorType = values.next();
    const size = values.next() ?? 0;
    // Runs read by end have ended (the filter says so).
    const key = by === 'end' ? endedAt! : startedAt;
    const previous = runs[runs.length - 1];
    if (previous && (key < previous.key || (key === previous.key && id < previous.id))) inOrder = false;
    runs.push({
      key,
      id,
      run: outline(dictionaries, namesOf, workflowId, hostId, robotId, startedAt, endedAt, durationMs, status, errorType, blobs, offset, offset + size),
    });
    offset += size;
  }
  return inOrder ? runs : runs.sort((a, b) => a.key - b.key || a.id - b.id);
}

/**
 * Runs in outline, oldest first by the filter's time column. Bulk reads (months of runs on a
 * first analysis pass) come in chunks of one aggregate row each: better-sqlite3 makes a value of
 * every column of every row, which took longer than SQLite took to find them.
 * @param statement prepares (or reuses) a statement returning rows as arrays
 * @param chunkRuns runs a chunk reads at most
 */
export function readRunOutlines(
  statement: (sql: string) => Database.Statement,
  dictionaries: Dictionaries,
  filter: RunFilter,
  chunkRuns = OUTLINE_CHUNK_RUNS,
): RunOutline[] {
  const conditions = runConditions(dictionaries, filter);
  if (!conditions) return [];
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  if (filter.last !== undefined) {
    // A workflow's latest few runs: a row each.
    const rows = statement(
      `SELECT e.workflow_id, e.host_id, e.robot_id, e.started_at, e.ended_at, e.duration_ms, e.status, e.error_type, s.steps
       FROM executions e LEFT JOIN run_steps s ON s.execution_id = e.id ${whereClause(conditions)} ORDER BY ${column} DESC, e.id DESC LIMIT ?`,
    ).all(...conditions.params, filter.last) as Array<
      [number, number | null, number | null, number, number | null, number | null, number, number | null, Buffer | null]
    >;
    const namesOf = new Map<number, readonly string[]>();
    return rows
      .reverse()
      .map(([workflowId, hostId, robotId, startedAt, endedAt, durationMs, status, errorType, blob]) =>
        outline(dictionaries, namesOf, workflowId, hostId, robotId, startedAt, endedAt, durationMs, status, errorType, blob, 0, blob?.length ?? 0),
      );
  }
  // Each chunk starts after the last run of the one before, by (column, id): the order of the index.
  const chunk = (after: boolean) =>
    statement(
      `SELECT group_concat(${packedRow(OUTLINE_COLUMNS)}, ','), CAST(group_concat(s.steps, '') AS BLOB)
       FROM (SELECT e.id, e.workflow_id, e.host_id, e.robot_id, e.started_at, e.ended_at, e.duration_ms, e.status, e.error_type FROM executions e
             ${whereClause({ where: [...conditions.where, ...(after ? [`${column} >= ?`, `(${column} > ? OR e.id > ?)`] : [])], params: [] })}
             ORDER BY ${column}, e.id LIMIT ${chunkRuns}) e
       LEFT JOIN run_steps s ON s.execution_id = e.id`,
    );
  const first = chunk(false);
  const next = chunk(true);
  const runs: RunOutline[] = [];
  let last: KeyedOutline | undefined;
  for (;;) {
    const [text, blobs] = (last ? next.get(...conditions.params, last.key, last.key, last.id) : first.get(...conditions.params)) as [
      string | null,
      Buffer | null,
    ];
    const read = unpackOutlines(text, blobs, dictionaries, filter.by);
    for (const keyed of read) runs.push(keyed.run);
    if (read.length < chunkRuns) return runs;
    last = read[read.length - 1];
  }
}
