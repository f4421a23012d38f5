import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreTransport } from '../src/collect/storeTransport';
import { DEFAULT_HISTORY_DAYS } from '@rpa-analytics/contract';
import { AnalysisScheduler, type PassReport } from '../src/engine/analysisScheduler';
import { INCIDENT_KINDS } from '../src/sim/incidents';
import { runSimulation } from '../src/sim/simulator';
import { createLogger } from '../src/log';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { type Figure, figure } from './measure';

const DAY = 86_400_000;

/** New data between the first pass and the routine one after it. */
const ROUTINE_MS = 10 * 60_000;

/**
 * Analysis passes (every series of every workflow and host, anomalies, incidents, insights) over
 * a simulated fleet: the first pass, which catches up on all the history stored, and a routine
 * pass ten minutes of new runs later (the collector passes every minute by default), beside the
 * time it takes only to read the same rows.
 */
export async function benchAnalysis(quick: boolean, progress: (line: string) => void): Promise<Figure[]> {
  const workflows = quick ? 50 : 200;
  const days = quick ? 7 : 90;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-analysis-'));
  try {
    let store = new SqliteStore({ file: path.join(dir, 'bench.db') });
    const end = Date.UTC(2026, 10, 20);
    const started = performance.now();
    const truth = await runSimulation({
      seed: 1,
      days,
      end,
      workflows,
      hosts: Math.max(6, workflows / 20),
      robots: Math.max(10, workflows / 5),
      runsPerHour: 1,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
      transport: new StoreTransport(store),
      progress: (line) => progress(`  generating: ${line}`),
    });
    progress(
      `  ${truth.totals.executions} runs, ${truth.totals.steps} steps, ${truth.totals.samples} samples in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    const range = { from: end - days * DAY - DAY, to: end };
    const readStarted = performance.now();
    const rows = store.runs({ by: 'end', ...range }).length + store.stepsOfRuns({ by: 'end', ...range }).length + store.listSamples(range).length;
    const readMs = performance.now() - readStarted;
    store.close();

    // A collector started on this history reads back its default number of days on the first pass.
    // Warnings (a helper thread that failed to start or answer) are printed: they change the figure.
    const defaultFile = path.join(dir, 'default.db');
    fs.copyFileSync(path.join(dir, 'bench.db'), defaultFile);
    const defaultStore = new SqliteStore({ file: defaultFile });
    const warnings = createLogger('warn', process.stderr);
    const byDefault = new AnalysisScheduler({ store: defaultStore, now: () => end - ROUTINE_MS, log: warnings }).runPass();
    defaultStore.close();
    progress(
      `  first pass, ${DEFAULT_HISTORY_DAYS} days of history: ${byDefault.runs} runs, ${byDefault.points} points (${byDefault.helperPoints} by a helper thread) in ${(byDefault.durationMs / 1000).toFixed(1)} s`,
    );

    store = new SqliteStore({ file: path.join(dir, 'bench.db') });
    let now = end - ROUTINE_MS;
    const scheduler = new AnalysisScheduler({ store, now: () => now, historyDays: days + 1, log: warnings });
    const first = scheduler.runPass();
    progress(
      `  first pass, all ${days} days: ${first.runs} runs, ${first.points} points (${first.helperPoints} of them judged by a helper thread), ${first.opened} anomalies opened, ${first.insights} insights in ${(first.durationMs / 1000).toFixed(1)} s`,
    );
    now = end;
    const routine = scheduler.runPass();
    progress(`  routine pass: ${routine.runs} runs, ${routine.points} points`);
    store.close();
    const scale = `${workflows} workflows x ${days} days (${truth.totals.executions} runs)`;
    const pass = (scenario: string, report: PassReport) =>
      figure({
        scenario: `analysis, ${scenario}`,
        metric: 'full pass',
        unit: 's',
        value: report.durationMs / 1000,
        baselineName: `reading the ${rows} stored rows`,
        baseline: readMs / 1000,
        target: '< 5 s',
        met: report.durationMs < 5000,
      });
    return [
      pass(`first pass over ${scale}, all of it`, first),
      ...(days > DEFAULT_HISTORY_DAYS
        ? [pass(`first pass over ${scale}, reading the collector's default ${DEFAULT_HISTORY_DAYS} days of history (${byDefault.runs} runs)`, byDefault)]
        : []),
      pass(`routine pass over ${scale}, 10 minutes of new runs`, routine),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
