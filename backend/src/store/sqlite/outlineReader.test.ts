import path from 'node:path';
import Database from 'better-sqlite3';
import type { Execution, Step } from '@rpa-analytics/contract';
import { Random } from '../../sim/random';
import { tempDir } from '../../testing/harness';
import type { RunFilter, RunOutline } from '../store';
import { openDictionaries } from './dictionaries';
import { readRunOutlines, unpackOutlines } from './outlineReader';
import { SqliteStore } from './sqliteStore';
import { encodeSteps } from './stepBlob';
import { stepStatusCodec } from '../codes';

/** Runs in outline as whole runs and steps read back make them: what the chunked reader must give. */
function outlineRuns(runs: readonly Execution[], steps: readonly Step[]): RunOutline[] {
  const stepsOf = new Map<string, { names: string[]; times: number[] }>();
  for (const { executionId, name, startedAt, durationMs, status } of steps) {
    if (status !== 'completed') continue;
    let completed = stepsOf.get(executionId);
    if (!completed) stepsOf.set(executionId, (completed = { names: [], times: [] }));
    completed.names.push(name);
    completed.times.push(startedAt, durationMs);
  }
  return runs.map(({ id, workflow, host, robot, startedAt, endedAt, durationMs, status, errorType }) => {
    const run: RunOutline = { workflow, startedAt, status, completedSteps: stepsOf.get(id) ?? { names: [], times: [] } };
    if (host !== undefined) run.host = host;
    if (robot !== undefined) run.robot = robot;
    if (endedAt !== undefined) run.endedAt = endedAt;
    if (durationMs !== undefined) run.durationMs = durationMs;
    if (errorType !== undefined) run.errorType = errorType;
    return run;
  });
}

const T0 = Date.UTC(2026, 10, 2, 8);
const MINUTE = 60_000;

describe('run outlines in chunks', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('when runs are read a few to a chunk, then they are the runs and steps a row each gives, in order', () => {
    const file = path.join(tmp.dir, 'outlines.db');
    const store = new SqliteStore({ file });
    const random = new Random(5);
    const executions: Execution[] = [];
    const steps: Step[] = [];
    for (let i = 0; i < 60; i++) {
      // Runs that end at the same millisecond, runs still running, runs without steps, fractional durations.
      const startedAt = T0 + random.int(0, 20) * MINUTE;
      const durationMs = random.chance(0.3) ? 5 * MINUTE : random.int(1, 600_000) + (random.chance(0.3) ? 0.25 : 0);
      const running = random.chance(0.15);
      const status = running ? 'running' : random.chance(0.2) ? 'failed' : 'completed';
      // Failures of either kind, and some whose kind was not told.
      const errorType = status === 'failed' ? random.pick(['business', 'system', undefined] as const) : undefined;
      executions.push({
        id: `run-${i}`,
        workflow: random.chance(0.5) ? 'Claims' : 'Invoices',
        host: random.chance(0.8) ? `vm-${random.int(1, 3)}` : undefined,
        robot: random.chance(0.8) ? `bot-${random.int(1, 3)}` : undefined,
        startedAt,
        status,
        ...(errorType ? { errorType } : {}),
        ...(running ? {} : { endedAt: startedAt + Math.ceil(durationMs), durationMs }),
      });
      for (let index = 0; index < random.int(0, 5); index++) {
        steps.push({
          executionId: `run-${i}`,
          index,
          name: `step ${random.int(1, 4)}`,
          startedAt: startedAt + index * 1000,
          durationMs: random.int(1, 900) + 0.5,
          status: random.chance(0.8) ? 'completed' : 'failed',
        });
      }
    }
    store.ingest({ executions, steps, samples: [] });
    const db = new Database(file, { readonly: true });
    try {
      const dictionaries = openDictionaries(db);
      const statement = (sql: string) => db.prepare(sql).raw();
      const filters: RunFilter[] = [
        { by: 'end', from: T0 + 5 * MINUTE, to: T0 + 25 * MINUTE },
        { from: T0 + 3 * MINUTE },
        { by: 'end' },
        {},
        { workflows: ['Claims'], by: 'end', to: T0 + 20 * MINUTE },
      ];
      for (const filter of filters) {
        const expected = outlineRuns(store.runs(filter), store.stepsOfRuns(filter));
        expect(expected.length).toBeGreaterThan(5);
        for (const chunkRuns of [1, 3, 7, 1000]) expect(readRunOutlines(statement, dictionaries, filter, chunkRuns)).toEqual(expected);
      }
      expect(new Set(readRunOutlines(statement, dictionaries, {}).map((r) => r.errorType))).toEqual(new Set(['business', 'system', undefined]));
      expect(readRunOutlines(statement, dictionaries, { workflows: ['Nobody'] })).toEqual([]);
    } finally {
      db.close();
      store.close();
    }
  });

  it('when a chunk comes out of order, then its runs are put in order with their own steps', () => {
    const db = new Database(':memory:');
    try {
      db.exec(`CREATE TABLE workflows (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
        CREATE TABLE robots (id INTEGER PRIMARY KEY, name TEXT UNIQUE); CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
        CREATE TABLE versions (id INTEGER PRIMARY KEY, name TEXT UNIQUE); CREATE TABLE step_names (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
        CREATE TABLE error_messages (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
        INSERT INTO workflows VALUES (1, 'Claims'); INSERT INTO step_names VALUES (1, 'Login'), (2, 'Submit');`);
      const completed = stepStatusCodec.encode('completed');
      const blob = (nameId: number, durationMs: number) => encodeSteps([{ index: 0, nameId, startedAt: T0, durationMs, status: completed, errorId: null }]);
      const [first, second] = [blob(1, 100), blob(2, 250)];
      // Runs read by end, ended at (T0 + 20, id 2) then (T0 + 10, id 1), each with its blob size: the second run's blob comes first.
      const text = `2,1,,,${T0},${T0 + 20},,0,,${first.length},1,1,,,${T0},${T0 + 10},,0,,${second.length}`;
      const runs = unpackOutlines(text, Buffer.concat([first, second]), openDictionaries(db), 'end');
      expect(runs.map((r) => [r.key, r.id, r.run.completedSteps])).toEqual([
        [T0 + 10, 1, { names: ['Submit'], times: [T0, 250] }],
        [T0 + 20, 2, { names: ['Login'], times: [T0, 100] }],
      ]);
    } finally {
      db.close();
    }
  });
});
