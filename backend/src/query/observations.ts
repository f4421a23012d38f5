import type { GroupBy, Metric, QueryTarget } from '../api/queryContract';
import type { Execution, ResourceSample, Step } from '../domain/types';
import type { Observation } from './timeseries';

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

/** Observations of a run metric: one per run (or per step for step_duration). */
export function runObservations(metric: Metric, runs: readonly Execution[], steps: readonly Step[], target: QueryTarget): Observation[] {
  const kept = runs.filter((r) => matchesRun(r, target));
  switch (metric) {
    case 'run_duration':
      return kept.filter((r) => r.status === 'completed' && r.durationMs !== undefined).map((r) => ({ time: r.startedAt, value: r.durationMs!, dims: runDims(r) }));
    case 'runs':
      return kept.map((r) => ({ time: r.startedAt, value: 1, dims: runDims(r) }));
    case 'successes':
      return kept.map((r) => ({ time: r.startedAt, value: r.status === 'completed' ? 1 : 0, dims: runDims(r) }));
    case 'failures':
      return kept.map((r) => ({ time: r.startedAt, value: FAILED(r) ? 1 : 0, dims: runDims(r) }));
    case 'success_rate':
      return kept.filter((r) => r.status !== 'running').map((r) => ({ time: r.startedAt, value: r.status === 'completed' ? 1 : 0, dims: runDims(r) }));
    case 'step_duration': {
      const byId = new Map(kept.map((r) => [r.id, r]));
      return steps
        .filter((s) => byId.has(s.executionId) && (!target.step || target.step.includes(s.name)))
        .map((s) => ({ time: s.startedAt, value: s.durationMs, dims: { ...runDims(byId.get(s.executionId)!), step: s.name } }));
    }
    default:
      throw new Error(`not a run metric: ${metric}`);
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

/** Observations of a host metric: one per sample that has the value (GPU only where there is one). */
export function sampleObservations(metric: Metric, samples: readonly ResourceSample[]): Observation[] {
  const value = SAMPLE_VALUE[metric];
  if (!value) throw new Error(`not a host metric: ${metric}`);
  const out: Observation[] = [];
  for (const s of samples) {
    const v = value(s);
    if (v !== undefined) out.push({ time: s.time, value: v, dims: { host: s.host, workflow: s.workflow ?? '' } });
  }
  return out;
}
