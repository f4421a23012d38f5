import type { BottleneckStep, Degradation, PerformanceStats, PerformanceTrend, SuccessAnalysis } from '@rpa-analytics/contract';
import type { Execution, Step } from '@rpa-analytics/contract';
import type { StoreReader } from '../store/store';
import { analyzeWorkflow, bottlenecks, compareWorkflows, performanceTrend } from '../analysis/performance';
import { detectDegradation, type DegradationOptions } from '../analysis/degradation';
import { analyzeSuccess } from '../analysis/success';
import { splitForDegradation, type TimeRange, toRange } from './timeRange';

/** Failure patterns first seen in a range's last quarter are new. */
const defaultRecentFrom = (range: TimeRange) => range.to - (range.to - range.from) / 4;

/**
 * The seed's PerformanceAnalyzer: reads runs and steps from the store and hands them to the pure
 * analysis functions.
 */
export class PerformanceAnalyzer<S extends StoreReader = StoreReader> {
  /** @param store what it reads; typed as given, so that the insight generator on it can also write insights there */
  constructor(readonly store: S) {}

  /** @example perfAnalyzer.analyzeWorkflow('Invoice Processing', startTime, endTime).p95DurationMs */
  analyzeWorkflow(workflow: string, startTime: number | Date, endTime: number | Date, topSteps = 5): PerformanceStats {
    const range = toRange(startTime, endTime);
    const filter = { workflows: [workflow], ...range };
    return analyzeWorkflow(workflow, this.store.runs(filter), this.store.stepsOfRuns(filter), range, topSteps);
  }

  bottlenecks(workflow: string, range: TimeRange): BottleneckStep[] {
    return bottlenecks(this.store.stepsOfRuns({ workflows: [workflow], ...range }));
  }

  /** Workflows side by side (all of them when none are named), fastest median first. */
  compareWorkflows(workflows: readonly string[] | undefined, range: TimeRange): PerformanceStats[] {
    const names = workflows ?? this.store.names('workflows');
    return compareWorkflows(names.map((w) => this.analyzeWorkflow(w, range.from, range.to, 3)));
  }

  trend(workflow: string, range: TimeRange): PerformanceTrend | null {
    return performanceTrend(workflow, this.store.runs({ workflows: [workflow], ...range }));
  }

  /** Baseline vs current; by default the range's last quarter (at least a day) against the rest. */
  detectDegradation(
    workflow: string,
    range: TimeRange,
    periods: { baseline: TimeRange; current: TimeRange } = splitForDegradation(range),
    options?: DegradationOptions,
  ): Degradation {
    const from = Math.min(periods.baseline.from, periods.current.from);
    const to = Math.max(periods.baseline.to, periods.current.to);
    const filter = { workflows: [workflow], from, to };
    return detectDegradation(workflow, this.store.runs(filter), periods.baseline, periods.current, options, this.store.stepsOfRuns(filter));
  }

  /**
   * A workflow's statistics, degradation (default periods) and success analysis (hourly) over a
   * range, from one read of its runs (or from `read`, its runs and their steps in that range, in
   * the order the store gives them): what the insights of every workflow need each time.
   */
  overview(
    workflow: string,
    range: TimeRange,
    read: { runs: Execution[]; steps: Step[] } = {
      runs: this.store.runs({ workflows: [workflow], ...range }),
      steps: this.store.stepsOfRuns({ workflows: [workflow], ...range }),
    },
  ): { performance: PerformanceStats; degradation: Degradation; success: SuccessAnalysis } {
    const { runs, steps } = read;
    const { baseline, current } = splitForDegradation(range);
    return {
      performance: analyzeWorkflow(workflow, runs, steps, range, 3),
      degradation: detectDegradation(workflow, runs, baseline, current, {}, steps),
      success: analyzeSuccess(workflow, runs, range, 3600_000, defaultRecentFrom(range)),
    };
  }

  analyzeSuccess(workflow: string | undefined, range: TimeRange, bucketMs: number, recentFrom?: number): SuccessAnalysis {
    const runs = this.store.runs({ ...(workflow ? { workflows: [workflow] } : {}), ...range });
    return analyzeSuccess(workflow ?? null, runs, range, bucketMs, recentFrom ?? defaultRecentFrom(range));
  }
}
