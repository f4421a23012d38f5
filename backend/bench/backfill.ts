import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IngestBatch } from '@rpa-analytics/contract';
import { AnalysisScheduler } from '../src/engine/analysisScheduler';
import { INCIDENT_KINDS } from '../src/sim/incidents';
import { runSimulation } from '../src/sim/simulator';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { startCollector } from '../src/testing/harness';
import { postJson } from './httpClient';
import { type Figure, figure, percentile } from './measure';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The batches of a simulated fleet, split at `at`: runs (with their steps) and samples before it, and from it on. */
function splitAt(batches: readonly IngestBatch[], at: number): { before: IngestBatch[]; after: IngestBatch[] } {
  const before: IngestBatch[] = [];
  const after: IngestBatch[] = [];
  for (const batch of batches) {
    const late = new Set(batch.executions.filter((e) => e.startedAt >= at).map((e) => e.id));
    const part = (keep: (old: boolean) => boolean): IngestBatch => ({
      executions: batch.executions.filter((e) => keep(!late.has(e.id))),
      steps: batch.steps.filter((s) => keep(!late.has(s.executionId))),
      samples: batch.samples.filter((s) => keep(s.time < at)),
    });
    before.push(part((old) => old));
    after.push(part((old) => !old));
  }
  return { before, after };
}

/**
 * A month of history backfilled after the analysis has judged the last day (an import from an
 * RPA platform's database): the catch-up pass beside a first pass over the same history stored
 * beforehand; and ingest's latency while such a pass runs in the collector's analysis thread
 * beside its latency when nothing else runs.
 */
export async function benchBackfill(quick: boolean, progress: (line: string) => void): Promise<Figure[]> {
  const workflows = quick ? 50 : 200;
  const days = quick ? 7 : 30;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-backfill-'));
  try {
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const batches: IngestBatch[] = [];
    const truth = await runSimulation({
      seed: 1,
      days: days + 1,
      end,
      workflows,
      hosts: Math.max(6, workflows / 20),
      robots: Math.max(10, workflows / 5),
      runsPerHour: 1,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
      transport: { send: async (batch) => void batches.push(batch) },
    });
    const { before: backfill, after: lastDay } = splitAt(batches, end - DAY);
    progress(`  ${truth.totals.executions} runs over ${days + 1} days: the last day first, then the ${days} days before it`);
    // Insights are left out of both: the catch-up pass is the second, and would not refresh them.
    const options = { now: () => end, historyDays: days + 2, insightIntervalMs: Infinity };

    const preloaded = new SqliteStore({ file: path.join(dir, 'preloaded.db') });
    for (const batch of batches) preloaded.ingest(batch);
    const first = new AnalysisScheduler({ store: preloaded, ...options }).runPass();
    preloaded.close();

    const store = new SqliteStore({ file: path.join(dir, 'backfilled.db') });
    for (const batch of lastDay) store.ingest(batch);
    const scheduler = new AnalysisScheduler({ store, ...options });
    scheduler.runPass();
    for (const batch of backfill) store.ingest(batch);
    const catchUp = scheduler.runPass();
    store.close();
    progress(
      `  catch-up on the backfill: ${catchUp.late.points} points of ${catchUp.late.families} workflows, robots and hosts in ${(catchUp.durationMs / 1000).toFixed(1)} s (commit ${catchUp.commitMs.toFixed(0)} ms); the same history stored first: ${(first.durationMs / 1000).toFixed(1)} s`,
    );

    // Ingest over HTTP while the collector's analysis thread catches up on the same backfill.
    const collectorDir = path.join(dir, 'collector');
    fs.mkdirSync(collectorDir);
    const seeded = new SqliteStore({ file: path.join(collectorDir, 'rpa-analytics.db') });
    for (const batch of lastDay) seeded.ingest(batch);
    seeded.close();
    const collector = await startCollector(collectorDir, {
      RPA_ANALYSIS: 'on',
      RPA_ANALYSIS_INTERVAL_MS: String(DAY),
      RPA_ANALYSIS_HISTORY_DAYS: String(days + 2),
    });
    const idle: number[] = [];
    const during: number[] = [];
    try {
      const ingestUrl = `${collector.url}/api/v1/ingest`;
      let sent = 0;
      const ingestOne = async () => {
        const at = Date.now() - 5 * 60_000;
        const body = JSON.stringify({
          executions: [{ id: `bench-${sent++}`, workflow: 'Bench probe', startedAt: at, endedAt: at + 1000, status: 'completed' }],
        });
        const started = performance.now();
        const answer = await postJson(ingestUrl, body);
        if (answer.status !== 200) throw new Error(`ingest: ${answer.status} ${answer.body}`);
        return performance.now() - started;
      };
      // The pass at start-up judges the last day; a pass asked for waits for it.
      const settled = await postJson(`${collector.url}/api/v1/analysis/run`, '{}');
      if (settled.status !== 200) throw new Error(`analysis: ${settled.status} ${settled.body}`);
      const backfilled = new SqliteStore({ file: path.join(collectorDir, 'rpa-analytics.db') });
      for (const batch of backfill) backfilled.ingest(batch);
      backfilled.close();
      for (let i = 0; i < 300; i++) idle.push(await ingestOne());
      let passing = true;
      const pass = postJson(`${collector.url}/api/v1/analysis/run`, '{}').finally(() => (passing = false));
      while (passing) during.push(await ingestOne());
      const answer = await pass;
      if (answer.status !== 200) throw new Error(`analysis: ${answer.status} ${answer.body}`);
      progress(
        `  ingest during the catch-up: ${during.length} requests, p99 ${percentile(during, 0.99).toFixed(1)} ms; idle: p99 ${percentile(idle, 0.99).toFixed(1)} ms; pass ${answer.body.slice(0, 200)}`,
      );
    } finally {
      await collector.stop();
    }
    const scale = `${workflows} workflows, ${days} days (${truth.totals.executions} runs)`;
    return [
      figure({
        scenario: `analysis, a ${days}-day backfill arriving after the first pass, ${scale}`,
        metric: 'catch-up pass',
        unit: 's',
        value: catchUp.durationMs / 1000,
        baselineName: 'a first pass over the same history stored before it',
        baseline: first.durationMs / 1000,
        target: '< 5 s',
        met: catchUp.durationMs < 5000,
      }),
      figure({
        scenario: `ingest of one run over HTTP while the analysis thread catches up on that backfill (${during.length} requests)`,
        metric: 'p99 latency',
        unit: 'ms',
        value: percentile(during, 0.99),
        baselineName: 'p99 with no pass running',
        baseline: percentile(idle, 0.99),
        target: '< 100 ms',
        met: percentile(during, 0.99) < 100,
      }),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
