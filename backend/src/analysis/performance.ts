import type { BottleneckStep, DurationStats, PerformanceStats, PerformanceTrend } from '@rpa-analytics/contract';
import type { Execution, Step } from '@rpa-analytics/contract';
import { linearTrend } from './hypothesisTests';
import { max, mean, min, quantileSorted, sortedCopy, standardDeviation, sum } from './stats';

const DAY = 86_400_000;

/** Duration statistics; null for no values (a defined result, not NaN). */
export function durationStats(durations: readonly number[]): DurationStats | null {
  if (durations.length === 0) return null;
  const sorted = sortedCopy(durations);
  return {
    count: durations.length,
    meanMs: mean(durations),
    medianMs: quantileSorted(sorted, 0.5),
    p95Ms: quantileSorted(sorted, 0.95),
    p99Ms: quantileSorted(sorted, 0.99),
    minMs: min(durations),
    maxMs: max(durations),
    stdDevMs: durations.length > 1 ? standardDeviation(durations) : 0,
  };
}

/** A completed run with a known duration: the runs duration statistics are about. */
export function isTimedRun<T extends Pick<Execution, 'status' | 'durationMs'>>(run: T): run is T & { durationMs: number } {
  return run.status === 'completed' && run.durationMs !== undefined;
}

/**
 * Steps ranked by their share of the total step time, then by p95. Steps of failed runs count:
 * time spent before a failure is time the robot was busy.
 */
export function bottlenecks(steps: readonly Step[]): BottleneckStep[] {
  const byName = new Map<string, { durations: number[]; failures: number }>();
  for (const step of steps) {
    const entry = byName.get(step.name) ?? { durations: [], failures: 0 };
    entry.durations.push(step.durationMs);
    if (step.status === 'failed') entry.failures++;
    byName.set(step.name, entry);
  }
  const total = sum(steps.map((s) => s.durationMs));
  return [...byName.entries()]
    .map(([step, { durations, failures }]) => {
      const sorted = sortedCopy(durations);
      const totalMs = sum(durations);
      return {
        step,
        count: durations.length,
        totalMs,
        share: total > 0 ? totalMs / total : 0,
        meanMs: totalMs / durations.length,
        medianMs: quantileSorted(sorted, 0.5),
        p95Ms: quantileSorted(sorted, 0.95),
        failures,
      };
    })
    .sort((a, b) => b.share - a.share || b.p95Ms - a.p95Ms);
}

/** The seed's `analyze_workflow`: statistics of one workflow's runs and its slowest steps. */
export function analyzeWorkflow(
  workflow: string,
  runs: readonly Execution[],
  steps: readonly Step[],
  range: { from: number; to: number },
  topSteps = 5,
): PerformanceStats {
  const finished = runs.filter((r) => r.status !== 'running');
  const completed = runs.filter(isTimedRun);
  return {
    workflow,
    from: range.from,
    to: range.to,
    runs: runs.length,
    completed: completed.length,
    successRate: finished.length > 0 ? finished.filter((r) => r.status === 'completed').length / finished.length : null,
    ...flatten(durationStats(completed.map((r) => r.durationMs))),
    slowestSteps: bottlenecks(steps).slice(0, topSteps),
  };
}

function flatten(d: DurationStats | null) {
  return {
    avgDurationMs: d?.meanMs ?? null,
    medianDurationMs: d?.medianMs ?? null,
    p95DurationMs: d?.p95Ms ?? null,
    p99DurationMs: d?.p99Ms ?? null,
    minDurationMs: d?.minMs ?? null,
    maxDurationMs: d?.maxMs ?? null,
    stdDevDurationMs: d?.stdDevMs ?? null,
  };
}

/** Side by side, fastest median first; workflows without completed runs last. */
export function compareWorkflows(stats: readonly PerformanceStats[]): PerformanceStats[] {
  return [...stats].sort((a, b) => (a.medianDurationMs ?? Infinity) - (b.medianDurationMs ?? Infinity));
}

/**
 * Trend of the run duration over time: least squares over the completed runs.
 * @returns null with fewer than 3 runs or all at one instant (no trend can be fitted).
 */
export function performanceTrend(workflow: string, runs: readonly Execution[], alpha = 0.05): PerformanceTrend | null {
  const timed = runs.filter(isTimedRun);
  if (timed.length < 3) return null;
  const x = timed.map((r) => r.startedAt / DAY);
  if (min(x) === max(x)) return null;
  const y = timed.map((r) => r.durationMs);
  const fit = linearTrend(x, y);
  const medianMs = quantileSorted(sortedCopy(y), 0.5);
  return {
    workflow,
    points: timed.length,
    slopeMsPerDay: fit.slope,
    slopePctPerDay: medianMs > 0 ? (100 * fit.slope) / medianMs : 0,
    r2: fit.r2,
    pValue: fit.pValue,
    significant: fit.pValue < alpha,
  };
}
