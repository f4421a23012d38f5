import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreTransport } from '../src/collect/storeTransport';
import { DEFAULT_HISTORY_DAYS } from '@rpa-analytics/contract';
import type { PassReport } from '../src/engine/analysisScheduler';
import { INCIDENT_KINDS } from '../src/sim/incidents';
import { runSimulation } from '../src/sim/simulator';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { collectorNodeFlags, requireBuild } from './collector';
import { type Figure, figure } from './measure';

const DAY = 86_400_000;

/** New data between the first pass and the routine one after it. */
const ROUTINE_MS = 10 * 60_000;

/**
 * Analysis passes (every series of every workflow and host, anomalies, incidents, insights) over
 * a simulated fleet: the first pass, which catches up on all the history stored, and a routine
 * pass ten minutes of new runs later (the collector passes every minute by default), beside the
 * time it takes only to read the same rows. The passes and the read run in the compiled collector
 * in a Node of `npm start`'s flags (`analysisPasses.js`), as a collector runs them.
 */
export async function benchAnalysis(quick: boolean, progress: (line: string) => void): Promise<Figure[]> {
  requireBuild();
  const workflows = quick ? 50 : 200;
  const days = quick ? 7 : 90;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-analysis-'));
  try {
    const store = new SqliteStore({ file: path.join(dir, 'bench.db') });
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
    store.close();
    const range = { from: end - days * DAY - DAY, to: end };
    const { rows, readMs, byDefault, first, routine } = JSON.parse(
      execFileSync(
        process.execPath,
        [...collectorNodeFlags(), path.join(__dirname, 'analysisPasses.js'), JSON.stringify({ dir, end, days, routineMs: ROUTINE_MS, range })],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 16 * 2 ** 20,
        },
      ),
    ) as { rows: number; readMs: number; byDefault: PassReport; first: PassReport; routine: PassReport };
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
