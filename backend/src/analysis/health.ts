import type { Execution } from '@rpa-analytics/contract';
import { isTimedRun } from './performance';
import { quantile } from './stats';

/** A workflow's latest runs against its own recent past: what alert rules compare. */
export interface WorkflowHealth {
  workflow: string;
  recentRuns: number;
  /** Share of the latest finished runs that completed; null without runs. */
  successRatio: number | null;
  baselineSuccessRatio: number | null;
  /** p95 run duration of the latest completed runs, and of the baseline period, in seconds. */
  p95Seconds: number | null;
  baselineP95Seconds: number | null;
}

/** What health reads of a run. */
export type HealthRun = Pick<Execution, 'status' | 'durationMs'>;

function ratio(runs: readonly HealthRun[]): number | null {
  const finished = runs.filter((r) => r.status !== 'running');
  return finished.length ? finished.filter((r) => r.status === 'completed').length / finished.length : null;
}

function p95Seconds(runs: readonly HealthRun[]): number | null {
  const durations = runs.filter(isTimedRun).map((r) => r.durationMs);
  return durations.length ? quantile(durations, 0.95) / 1000 : null;
}

/** Health of a workflow from its latest runs (`recent`) and the runs before them (`baseline`). */
export function workflowHealth(workflow: string, recent: readonly HealthRun[], baseline: readonly HealthRun[]): WorkflowHealth {
  return {
    workflow,
    recentRuns: recent.length,
    successRatio: ratio(recent),
    baselineSuccessRatio: ratio(baseline),
    p95Seconds: p95Seconds(recent),
    baselineP95Seconds: p95Seconds(baseline),
  };
}
