import type { GroupBy, Metric, QueryTarget } from '../api/queryContract';
import type { Execution, ResourceSample, Step } from '../domain/types';
import type { RunRollup, StepRollup } from '../store/store';
import type { SeriesBuilder } from './timeseries';

/** Unit of each metric in Grafana's unit ids (https://grafana.com/docs/grafana/latest/panels-visualizations/configure-standard-options/). */
export const METRIC_UNITS: Record<Metric, string> = {
  run_duration: 'ms',
  step_duration: 'ms',
  runs: 'short',
  successes: 'short',
  failures: 'short',
  success_rate: 'percent',
  host_cpu: 'percent',
  host_memory: 'percent',
  host_gpu: 'percent',
  disk_read: 'Bps',
  disk_write: 'Bps',
  net_rx: 'Bps',
  net_tx: 'Bps',
};

const FAILED = (r: Execution) => r.status === 'failed' || r.status === 'timeout' || r.status === 'cancelled';

export function runDims(run: Execution): Partial<Record<GroupBy, string>> {
  return { workflow: run.workflow, host: run.host ?? '', robot: run.robot ?? '', status: run.status, error_type: run.errorType ?? '' };
}

/** The runs a target's filters keep that the store filters could not (error type). */
export function matchesRun(run: Execution, target: QueryTarget): boolean {
  return !target.errorType || (run.errorType !== undefined && target.errorType.includes(run.errorType));
}

const FINISHED = (r: Execution) => r.status !== 'running';

/**
 * Feeds a run metric from raw rows. Runs count once finished, in the bucket they started in;
 * steps go to their run's bucket, as the rollups keep them.
 */
export function addRuns(builder: SeriesBuilder, metric: Metric, runs: readonly Execution[], steps: readonly Step[], target: QueryTarget): void {
  const kept = runs.filter((r) => matchesRun(r, target) && FINISHED(r));
  switch (metric) {
    case 'run_duration':
      for (const r of kept) if (r.status === 'completed' && r.durationMs !== undefined) builder.addValue(r.startedAt, runDims(r), r.durationMs);
      return;
    case 'runs':
      for (const r of kept) builder.addValue(r.startedAt, runDims(r), 1);
      return;
    case 'successes':
      for (const r of kept) if (r.status === 'completed') builder.addValue(r.startedAt, runDims(r), 1);
      return;
    case 'failures':
      for (const r of kept) if (FAILED(r)) builder.addValue(r.startedAt, runDims(r), 1);
      return;
    case 'success_rate':
      for (const r of kept) builder.addValue(r.startedAt, runDims(r), r.status === 'completed' ? 1 : 0);
      return;
    case 'step_duration': {
      const byId = new Map(kept.map((r) => [r.id, r]));
      for (const s of steps) {
        const run = byId.get(s.executionId);
        if (run && (!target.step || target.step.includes(s.name))) builder.addValue(run.startedAt, { ...runDims(run), step: s.name }, s.durationMs);
      }
      return;
    }
    default:
      throw new Error(`not a run metric: ${metric}`);
  }
}

/** Feeds a run metric from rollup rows (finished runs by workflow and status). */
export function addRunRollups(builder: SeriesBuilder, metric: Metric, rows: readonly RunRollup[]): void {
  for (const row of rows) {
    const dims = { workflow: row.workflow, status: row.status };
    const count = { count: row.runs, sum: row.runs, min: null, max: null };
    const failed = row.status === 'failed' || row.status === 'timeout' || row.status === 'cancelled';
    switch (metric) {
      case 'run_duration':
        if (row.status === 'completed' && row.timed > 0) {
          builder.addSummary(row.bucket, dims, { count: row.timed, sum: row.sumMs, min: row.minMs, max: row.maxMs, digest: row.digest ?? undefined });
        }
        break;
      case 'runs':
        builder.addSummary(row.bucket, dims, count);
        break;
      case 'successes':
        if (row.status === 'completed') builder.addSummary(row.bucket, dims, count);
        break;
      case 'failures':
        if (failed) builder.addSummary(row.bucket, dims, count);
        break;
      case 'success_rate':
        builder.addSummary(row.bucket, dims, { count: row.runs, sum: row.status === 'completed' ? row.runs : 0, min: null, max: null });
        break;
      default:
        throw new Error(`no run rollups for ${metric}`);
    }
  }
}

export function addStepRollups(builder: SeriesBuilder, rows: readonly StepRollup[]): void {
  for (const row of rows) {
    builder.addSummary(row.bucket, { workflow: row.workflow, step: row.step }, { count: row.steps, sum: row.sumMs, min: row.minMs, max: row.maxMs, digest: row.digest ?? undefined });
  }
}

const SAMPLE_VALUE: Partial<Record<Metric, (s: ResourceSample) => number | undefined>> = {
  host_cpu: (s) => s.cpuPercent,
  host_memory: (s) => (s.memoryTotalBytes > 0 ? (100 * s.memoryUsedBytes) / s.memoryTotalBytes : undefined),
  host_gpu: (s) => s.gpuPercent,
  disk_read: (s) => s.diskReadBytesPerSec,
  disk_write: (s) => s.diskWriteBytesPerSec,
  net_rx: (s) => s.netRxBytesPerSec,
  net_tx: (s) => s.netTxBytesPerSec,
};

/** Feeds a host metric: one value per sample that has it (GPU only where there is one). */
export function addSamples(builder: SeriesBuilder, metric: Metric, samples: readonly ResourceSample[]): void {
  const value = SAMPLE_VALUE[metric];
  if (!value) throw new Error(`not a host metric: ${metric}`);
  for (const s of samples) {
    const v = value(s);
    if (v !== undefined) builder.addValue(s.time, { host: s.host, workflow: s.workflow ?? '' }, v);
  }
}
