import type { Insight } from '@rpa-analytics/contract';
import { AppError } from '../domain/errors';
import { idleCapacityInsight, type ImpactSide, type InsightDraft, insightId, measureImpact, prioritize, workflowInsights } from '../analysis/insights';
import type { Execution, Step } from '@rpa-analytics/contract';
import type { AnalysisResults, RunWithHostCpu, StoreReader } from '../store/store';

/** What the generator reads, and where it keeps the insights it finds. */
type InsightStore = StoreReader & Pick<AnalysisResults, 'saveInsights'>;
import type { AnomalyDetector } from './anomalyDetector';
import type { PerformanceAnalyzer } from './performanceAnalyzer';
import { lastDays, type TimeRange } from './timeRange';

const DAY = 86_400_000;

/** Runs in an insight period up to which the fleet's are read at once (a week of 200 workflows: about 16,000). */
export const FLEET_READ_RUNS = 100_000;

/** A workflow's runs in an insight period, their steps and its completed runs' host CPU. */
interface FleetRead {
  runs: Execution[];
  steps: Step[];
  withCpu: RunWithHostCpu[];
}

export interface InsightOptions {
  analysisPeriodDays?: number;
  now?: number;
}

/**
 * The seed's InsightGenerator: turns the analyses of a workflow into prioritised, stored insights.
 * An insight found again merges into the stored one (same key), keeping its id, its first
 * sighting and its implementation record.
 */
export class InsightGenerator {
  private readonly store: InsightStore;

  constructor(
    private readonly performance: PerformanceAnalyzer<InsightStore>,
    readonly anomalies?: AnomalyDetector,
  ) {
    this.store = performance.store;
  }

  /** @example insightGenerator.generateInsights('Invoice Processing', { analysisPeriodDays: 30 })[0].title */
  generateInsights(workflow: string, options: InsightOptions = {}): Insight[] {
    const now = options.now ?? Date.now();
    const range = lastDays(options.analysisPeriodDays ?? 30, now);
    return this.save(prioritize(this.draftsFor(workflow, range)), now);
  }

  /** Every workflow's insights and the fleet-wide ones (idle capacity), highest priority first. */
  generateFleetInsights(options: InsightOptions & { workflows?: readonly string[] } = {}): Insight[] {
    const now = options.now ?? Date.now();
    const range = lastDays(options.analysisPeriodDays ?? 7, now);
    const fleet = options.workflows ? undefined : this.readFleet(range);
    const drafts = (options.workflows ?? this.store.names('workflows')).flatMap((w) => this.draftsFor(w, range, fleet));
    const idle = idleCapacityInsight(this.store.robotBusyTime(range.from, range.to), range.to - range.from);
    if (idle) drafts.push(idle);
    return this.save(prioritize(drafts), now);
  }

  /**
   * Records that an insight was acted on; from then on its actual impact is measured.
   * @throws AppError `not_found` for an unknown id.
   */
  markImplemented(id: string, options: { at?: number; note?: string } = {}): Insight {
    const insight = this.store.getInsight(id);
    if (!insight) throw new AppError('not_found', `no insight '${id}'`);
    const updated: Insight = { ...insight, status: 'implemented', implementedAt: options.at ?? Date.now() };
    delete updated.measuredImpact;
    if (options.note !== undefined) updated.implementationNote = options.note;
    this.store.saveInsights([updated]);
    return updated;
  }

  /**
   * Measures every implemented insight that now has enough runs on both sides of its
   * implementation (the same window length before as has passed since).
   */
  measureImplemented(now = Date.now()): Insight[] {
    const measured: Insight[] = [];
    for (const insight of this.store.listInsights({ status: 'implemented' })) {
      if (!insight.workflow || insight.implementedAt === undefined) continue;
      const at = insight.implementedAt;
      const span = Math.min(now - at, 30 * DAY);
      // The same length of time before as has passed since, a day at least.
      const side = (from: number, to: number): ImpactSide => {
        const filter = { workflows: [insight.workflow!], from, to };
        return {
          runs: this.store.runs(filter),
          ...(insight.category === 'bottleneck' ? { steps: this.store.stepsOfRuns(filter) } : {}),
          ...(insight.category === 'resource_saturation' ? { withCpu: this.store.runsWithHostCpu(filter) } : {}),
        };
      };
      const impact = measureImpact(insight, side(at - Math.max(span, DAY), at), side(at, now), now);
      if (!impact) continue;
      measured.push({ ...insight, measuredImpact: impact });
    }
    if (measured.length) this.store.saveInsights(measured);
    return measured;
  }

  private draftsFor(workflow: string, range: TimeRange, fleet?: Map<string, FleetRead>): InsightDraft[] {
    if (fleet) {
      const read = fleet.get(workflow) ?? { runs: [], steps: [], withCpu: [] };
      return workflowInsights({ ...this.performance.overview(workflow, range, read), runsWithCpu: read.withCpu });
    }
    return workflowInsights({ ...this.performance.overview(workflow, range), runsWithCpu: this.store.runsWithHostCpu({ workflows: [workflow], ...range }) });
  }

  /**
   * The whole fleet's runs in `range`, their steps and host CPU, by workflow (each in the order a
   * read of that workflow gives): three reads of the range instead of three a workflow, which a
   * read by workflow makes a seek an hour. Undefined when the range holds more than
   * `FLEET_READ_RUNS` runs: their steps are read a workflow at a time then, to bound the memory.
   */
  private readFleet(range: TimeRange): Map<string, FleetRead> | undefined {
    const runs = this.store.runs(range);
    if (runs.length > FLEET_READ_RUNS) return undefined;
    const fleet = new Map<string, FleetRead>();
    const workflowOf = new Map<string, FleetRead>();
    for (const run of runs) {
      let read = fleet.get(run.workflow);
      if (!read) fleet.set(run.workflow, (read = { runs: [], steps: [], withCpu: [] }));
      read.runs.push(run);
      workflowOf.set(run.id, read);
    }
    for (const step of this.store.stepsOfRuns(range)) workflowOf.get(step.executionId)?.steps.push(step);
    for (const run of this.store.runsWithHostCpu(range)) fleet.get(run.workflow)?.withCpu.push(run);
    return fleet;
  }

  private save(drafts: readonly InsightDraft[], now: number): Insight[] {
    const existing = new Map(this.store.listInsights({}).map((i) => [i.key, i]));
    const insights = drafts.map((d): Insight => {
      const before = existing.get(d.key);
      return {
        ...d,
        id: before?.id ?? insightId(d.key),
        status: before?.status ?? 'open',
        firstSeenAt: before?.firstSeenAt ?? now,
        lastSeenAt: now,
        ...(before?.implementedAt !== undefined ? { implementedAt: before.implementedAt } : {}),
        ...(before?.implementationNote !== undefined ? { implementationNote: before.implementationNote } : {}),
        ...(before?.measuredImpact ? { measuredImpact: before.measuredImpact } : {}),
      };
    });
    this.store.saveInsights(insights);
    return insights;
  }
}
