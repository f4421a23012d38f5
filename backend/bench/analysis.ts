import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreTransport } from '../src/collect/transport';
import { AnalysisScheduler } from '../src/engine/analysisScheduler';
import { INCIDENT_KINDS } from '../src/sim/incidents';
import { runSimulation } from '../src/sim/simulator';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { type Figure, figure } from './measure';

const DAY = 86_400_000;

/**
 * One full analysis pass (every series of every workflow and host, anomalies, incidents,
 * insights) over a simulated fleet, beside the time it takes only to read the same rows.
 */
export async function benchAnalysis(quick: boolean, progress: (line: string) => void): Promise<Figure[]> {
  const workflows = quick ? 50 : 1000;
  const days = quick ? 7 : 30;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-analysis-'));
  try {
    const store = new SqliteStore({ file: path.join(dir, 'bench.db') });
    const end = Date.UTC(2026, 10, 20);
    const started = performance.now();
    const truth = await runSimulation({
      seed: 1, days, end, workflows, hosts: Math.max(6, workflows / 20), robots: Math.max(10, workflows / 5), runsPerHour: 1,
      incidents: INCIDENT_KINDS, sampleIntervalMs: 300_000, transport: new StoreTransport(store),
      progress: (line) => progress(`  generating: ${line}`),
    });
    progress(`  ${truth.totals.executions} runs, ${truth.totals.steps} steps, ${truth.totals.samples} samples in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const range = { from: end - days * DAY - DAY, to: end };
    const readStarted = performance.now();
    const rows = store.runs({ by: 'end', ...range }).length + store.stepsOfRuns({ by: 'end', ...range }).length + store.listSamples(range).length;
    const readMs = performance.now() - readStarted;
    const scheduler = new AnalysisScheduler({ store, now: () => end + 60_000, historyDays: days + 1 });
    const report = scheduler.runPass();
    progress(`  pass: ${report.runs} runs, ${report.points} points, ${report.opened} anomalies opened, ${report.insights} insights`);
    store.close();
    return [
      figure({
        scenario: `analysis pass, ${workflows} workflows x ${days} days (${truth.totals.executions} runs)`,
        metric: 'full pass',
        unit: 's',
        value: report.durationMs / 1000,
        baselineName: `reading the same ${rows} rows`,
        baseline: readMs / 1000,
      }),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
