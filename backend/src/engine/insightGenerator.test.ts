import type { Execution, ResourceSample, Step } from '@rpa-analytics/contract';
import { Random } from '../sim/random';
import { StoreTransport } from '../collect/storeTransport';
import { INCIDENT_KINDS } from '../sim/incidents';
import { runSimulation } from '../sim/simulator';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { AnomalyDetector } from './anomalyDetector';
import { InsightGenerator } from './insightGenerator';
import { PerformanceAnalyzer } from './performanceAnalyzer';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 2);

/** `count` runs of 'Claims', one per hour from `from`, where 'Wait for mainframe' takes `waitMs`. */
function runs(store: SqliteStore, from: number, count: number, waitMs: number, seed: number): void {
  const random = new Random(seed);
  const executions: Execution[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = from + i * HOUR;
    const wait = Math.round(waitMs * Math.exp(0.05 * random.normal()));
    const other = Math.round(2000 * Math.exp(0.05 * random.normal()));
    const id = `c-${startedAt}`;
    executions.push({ id, workflow: 'Claims', robot: 'bot-1', startedAt, endedAt: startedAt + wait + other, durationMs: wait + other, status: 'completed' });
    steps.push({ executionId: id, index: 0, name: 'Read claim', startedAt, durationMs: other, status: 'completed' });
    steps.push({ executionId: id, index: 1, name: 'Wait for mainframe', startedAt: startedAt + other, durationMs: wait, status: 'completed' });
  }
  store.ingest({ executions, steps, samples: [] });
}

describe('InsightGenerator', () => {
  let store: SqliteStore;
  let generator: InsightGenerator;

  beforeEach(() => {
    store = new SqliteStore({ file: ':memory:' });
    const performance = new PerformanceAnalyzer(store);
    generator = new InsightGenerator(performance, new AnomalyDetector(store));
  });
  afterEach(() => store.close());

  it('when the same finding comes up again, then it merges into the stored insight', () => {
    runs(store, T0, 7 * 24, 8000, 1);
    const first = generator.generateInsights('Claims', { analysisPeriodDays: 7, now: T0 + 7 * DAY });
    const bottleneck = first.find((i) => i.category === 'bottleneck')!;
    expect(bottleneck).toMatchObject({ workflow: 'Claims', subject: 'Wait for mainframe', status: 'open', firstSeenAt: T0 + 7 * DAY });
    expect(bottleneck.evidence.share).toBeCloseTo(0.8, 2);
    expect(bottleneck.priorityScore).toBeCloseTo(bottleneck.impact * bottleneck.ease, 12);

    const again = generator.generateInsights('Claims', { analysisPeriodDays: 7, now: T0 + 7 * DAY + HOUR });
    const merged = again.find((i) => i.category === 'bottleneck')!;
    expect(merged).toMatchObject({ id: bottleneck.id, firstSeenAt: T0 + 7 * DAY, lastSeenAt: T0 + 7 * DAY + HOUR });
    expect(store.listInsights({ categories: ['bottleneck'] })).toHaveLength(1);
  });

  it("when the fleet's insights are generated, then they equal those from reading each workflow on its own", async () => {
    // A simulated week of six workflows on three hosts, with slowdowns, failures and a saturated CPU.
    const end = T0 + 7 * DAY;
    await runSimulation({
      seed: 4,
      days: 7,
      end,
      workflows: 6,
      hosts: 3,
      robots: 4,
      runsPerHour: 2,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
      transport: new StoreTransport(store),
    });
    // And a workflow three times slower on its host when that host's CPU is saturated (a third of its runs).
    const executions: Execution[] = [];
    const samples: ResourceSample[] = [];
    for (let i = 0; i < 30; i++) {
      const startedAt = end - 6 * DAY + i * 4 * HOUR;
      const saturated = i % 3 === 0;
      const durationMs = (saturated ? 30_000 : 10_000) + 100 * i;
      executions.push({ id: `scan-${i}`, workflow: 'Scans', host: 'scan-host', startedAt, endedAt: startedAt + durationMs, durationMs, status: 'completed' });
      const sample = {
        host: 'scan-host',
        memoryUsedBytes: 1,
        memoryTotalBytes: 2,
        diskReadBytesPerSec: 0,
        diskWriteBytesPerSec: 0,
        netRxBytesPerSec: 0,
        netTxBytesPerSec: 0,
      };
      samples.push(
        { ...sample, time: startedAt + 1000, cpuPercent: saturated ? 97 : 20 },
        { ...sample, time: startedAt + 5000, cpuPercent: saturated ? 95 : 30 },
      );
    }
    store.ingest({ executions, steps: [], samples });
    const atOnce = generator.generateFleetInsights({ now: end });
    const oneByOne = generator.generateFleetInsights({ now: end, workflows: store.names('workflows') });
    expect(new Set(atOnce.map((i) => i.workflow)).size).toBeGreaterThan(3);
    expect(new Set(atOnce.map((i) => i.category)).size).toBeGreaterThan(2);
    expect(atOnce.filter((i) => i.category === 'resource_saturation').map((i) => i.workflow)).toContain('Scans');
    expect(atOnce).toEqual(oneByOne);
    // Each workflow's completed runs with their host's CPU, as a read of that workflow alone gives them.
    const fleet = store.runsWithHostCpu({ from: end - 7 * DAY, to: end });
    for (const workflow of store.names('workflows')) {
      expect(fleet.filter((r) => r.workflow === workflow)).toEqual(store.runsWithHostCpu({ workflows: [workflow], from: end - 7 * DAY, to: end }));
    }
  });

  it('when an implemented fix made the step faster, then the measured impact is shown beside the expected one', () => {
    runs(store, T0, 7 * 24, 8000, 2);
    const implementedAt = T0 + 7 * DAY;
    const bottleneck = generator.generateInsights('Claims', { analysisPeriodDays: 7, now: implementedAt }).find((i) => i.category === 'bottleneck')!;
    generator.markImplemented(bottleneck.id, { at: implementedAt, note: 'event-based wait' });
    // Not enough runs after the change yet: nothing measured.
    runs(store, implementedAt, 10, 4000, 3);
    expect(generator.measureImplemented(implementedAt + 10 * HOUR)).toEqual([]);
    runs(store, implementedAt + 10 * HOUR, 20, 4000, 4);
    const [measured] = generator.measureImplemented(implementedAt + 30 * HOUR);
    expect(measured).toMatchObject({ id: bottleneck.id, status: 'implemented', implementedAt, implementationNote: 'event-based wait' });
    // Measured on the step the insight is about: from about 8 s to about 4 s (the runs, 10 s to 6 s).
    expect(measured.measuredImpact).toMatchObject({
      metric: 'step_median_ms',
      quantity: "median duration of step 'Wait for mainframe'",
      runsAfter: 30,
      significant: true,
      direction: 'better',
    });
    expect(measured.measuredImpact!.changePct).toBeGreaterThan(-55);
    expect(measured.measuredImpact!.changePct).toBeLessThan(-45);
    expect(measured.measuredImpact!.summary).toMatch(
      /^median duration of step 'Wait for mainframe': 8\.\d s before, [34]\.\d s after \(-\d\d%, Mann-Whitney p = .+\): better$/,
    );
    expect(measured.expectedImprovementPct).toBeCloseTo(40, 0);
    expect(store.getInsight(bottleneck.id)!.measuredImpact).toEqual(measured.measuredImpact);
  });

  it('when an insight is found again after being implemented, then it keeps its implementation record', () => {
    runs(store, T0, 7 * 24, 8000, 5);
    const [insight] = generator.generateInsights('Claims', { analysisPeriodDays: 7, now: T0 + 7 * DAY });
    generator.markImplemented(insight.id, { at: T0 + 7 * DAY });
    const again = generator.generateInsights('Claims', { analysisPeriodDays: 7, now: T0 + 7 * DAY + HOUR }).find((i) => i.id === insight.id)!;
    expect(again).toMatchObject({ status: 'implemented', implementedAt: T0 + 7 * DAY });
  });
});

describe('AnomalyDetector (the seed API)', () => {
  it('fits a baseline to a stable period and finds the slow runs after it', () => {
    const store = new SqliteStore({ file: ':memory:' });
    runs(store, T0, 100, 8000, 6);
    const now = T0 + 100 * HOUR;
    const detector = new AnomalyDetector(store, { sensitivity: 4, now: () => now });
    expect(detector.updateBaseline('Claims', { stablePeriodDays: 7 })).toMatchObject({ kind: 'robust', transform: 'log', points: 100 });
    const slow: Execution[] = [0, 1, 2].map((i) => ({
      id: `s${i}`,
      workflow: 'Claims',
      startedAt: now + i * HOUR,
      durationMs: 30_000,
      endedAt: now + i * HOUR + 30_000,
      status: 'completed',
    }));
    const anomalies = detector.detectAnomalies('Claims', slow, { metricName: 'durationMs' });
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ metric: 'run_duration', workflow: 'Claims', status: 'open', points: 3, severity: 1 });
    expect(() => detector.detectAnomalies('Other', slow)).toThrow("no baseline for 'Other': call updateBaseline('Other') first");
    store.close();
  });
});

describe('PerformanceAnalyzer.overview', () => {
  it('equals the workflow statistics, degradation and hourly success analysis asked for one by one', () => {
    const store = new SqliteStore({ file: ':memory:' });
    try {
      // A week of runs that slow down in its last two days, with a few failures.
      runs(store, T0, 5 * 24, 3000, 1);
      runs(store, T0 + 5 * DAY, 2 * 24, 9000, 2);
      store.ingest({
        executions: [
          {
            id: 'f-1',
            workflow: 'Claims',
            startedAt: T0 + 6 * DAY,
            endedAt: T0 + 6 * DAY + 500,
            status: 'failed',
            errorType: 'application',
            errorMessage: 'Selector not found',
          },
        ],
        steps: [],
        samples: [],
      });
      const performance = new PerformanceAnalyzer(store);
      const range = { from: T0, to: T0 + 7 * DAY };
      const overview = performance.overview('Claims', range);
      expect(overview).toEqual({
        performance: performance.analyzeWorkflow('Claims', range.from, range.to, 3),
        degradation: performance.detectDegradation('Claims', range),
        success: performance.analyzeSuccess('Claims', range, HOUR),
      });
      expect(overview.degradation.degraded).toBe(true);
      expect(overview.success).toMatchObject({ runs: 5 * 24 + 2 * 24 + 1, failures: 1 });
    } finally {
      store.close();
    }
  });
});
