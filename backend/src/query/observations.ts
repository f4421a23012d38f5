import type { GroupBy, Metric, QueryTarget } from '@rpa-analytics/contract';
import type { Execution, ResourceSample, Step } from '@rpa-analytics/contract';
import type { RunRollupView, SampleBucket, SampleMeasure, StepRollupView } from '../store/store';
import type { Dims, SeriesBuilder, Summary } from './timeseries';

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
  host_disk: 'percent',
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

/** The dims of each pair of names, made once: a panel feeds a hundred thousand rollups. */
function dimsCache<A extends GroupBy, B extends GroupBy>(a: A, b: B): (x: string, y: string) => Dims {
  const cache = new Map<string, Map<string, Dims>>();
  return (x, y) => {
    let inner = cache.get(x);
    if (!inner) cache.set(x, (inner = new Map()));
    let dims = inner.get(y);
    if (!dims) inner.set(y, (dims = { [a]: x, [b]: y }));
    return dims;
  };
}

/** `summary`, overwritten with the `count` durations of a rollup. */
function durations(summary: Summary, count: number, row: Pick<RunRollupView, 'sumMs' | 'minMs' | 'maxMs' | 'values' | 'sketch'>): Summary {
  summary.count = count;
  summary.sum = row.sumMs;
  summary.min = row.minMs;
  summary.max = row.maxMs;
  summary.values = row.values;
  summary.digest = row.sketch;
  return summary;
}

/** Feeds a run metric from rollups (finished runs by workflow and status), one at a time. */
export function runRollupFeeder(builder: SeriesBuilder, metric: Metric): (row: RunRollupView) => void {
  const dimsOf = dimsCache('workflow', 'status');
  // One summary object for all: the builder reads it during the call only.
  const summary: Summary = { count: 0, sum: 0, min: null, max: null, values: null, digest: null };
  const counted = (row: RunRollupView, sum: number) => {
    summary.count = row.runs;
    summary.sum = sum;
    summary.min = summary.max = summary.values = summary.digest = null;
    builder.addSummary(row.bucket, dimsOf(row.workflow, row.status), summary);
  };
  return (row) => {
    const failed = row.status === 'failed' || row.status === 'timeout' || row.status === 'cancelled';
    switch (metric) {
      case 'run_duration':
        if (row.status === 'completed' && row.timed > 0) builder.addSummary(row.bucket, dimsOf(row.workflow, row.status), durations(summary, row.timed, row));
        break;
      case 'runs':
        counted(row, row.runs);
        break;
      case 'successes':
        if (row.status === 'completed') counted(row, row.runs);
        break;
      case 'failures':
        if (failed) counted(row, row.runs);
        break;
      case 'success_rate':
        counted(row, row.status === 'completed' ? row.runs : 0);
        break;
      default:
        throw new Error(`no run rollups for ${metric}`);
    }
  };
}

/** Feeds step durations from rollups (steps by workflow and step), one at a time. */
export function stepRollupFeeder(builder: SeriesBuilder): (row: StepRollupView) => void {
  const dimsOf = dimsCache('workflow', 'step');
  const summary: Summary = { count: 0, sum: 0, min: null, max: null, values: null, digest: null };
  return (row) => builder.addSummary(row.bucket, dimsOf(row.workflow, row.step), durations(summary, row.steps, row));
}

/** Each measure of one sample; undefined where the sample does not have it. */
const SAMPLE_VALUE: Record<SampleMeasure, (s: ResourceSample) => number | undefined> = {
  cpuPercent: (s) => s.cpuPercent,
  memoryPercent: (s) => (s.memoryTotalBytes > 0 ? (100 * s.memoryUsedBytes) / s.memoryTotalBytes : undefined),
  gpuPercent: (s) => s.gpuPercent,
  diskUsedPercent: (s) =>
    s.diskTotalBytes !== undefined && s.diskTotalBytes > 0 && s.diskUsedBytes !== undefined ? (100 * s.diskUsedBytes) / s.diskTotalBytes : undefined,
  diskReadBytesPerSec: (s) => s.diskReadBytesPerSec,
  diskWriteBytesPerSec: (s) => s.diskWriteBytesPerSec,
  netRxBytesPerSec: (s) => s.netRxBytesPerSec,
  netTxBytesPerSec: (s) => s.netTxBytesPerSec,
};

/** Each host metric as the store's samples measure it. */
export const SAMPLE_MEASURES: Partial<Record<Metric, SampleMeasure>> = {
  host_cpu: 'cpuPercent',
  host_memory: 'memoryPercent',
  host_gpu: 'gpuPercent',
  host_disk: 'diskUsedPercent',
  disk_read: 'diskReadBytesPerSec',
  disk_write: 'diskWriteBytesPerSec',
  net_rx: 'netRxBytesPerSec',
  net_tx: 'netTxBytesPerSec',
};

/** Feeds a host metric from the store's buckets of samples (`Store.sampleBuckets`). */
export function addSampleBuckets(builder: SeriesBuilder, buckets: readonly SampleBucket[]): void {
  const summary: Summary = { count: 0, sum: 0, min: null, max: null };
  for (const { host, workflow, time, count, sum, min, max } of buckets) {
    summary.count = count;
    summary.sum = sum;
    summary.min = min;
    summary.max = max;
    builder.addSummary(time, { host, workflow: workflow ?? '' }, summary);
  }
}

/** Feeds a host metric: one value per sample that has it (GPU only where there is one). */
export function addSamples(builder: SeriesBuilder, metric: Metric, samples: readonly ResourceSample[]): void {
  const measure = SAMPLE_MEASURES[metric];
  if (!measure) throw new Error(`not a host metric: ${metric}`);
  const value = SAMPLE_VALUE[measure];
  for (const s of samples) {
    const v = value(s);
    if (v !== undefined) builder.addValue(s.time, { host: s.host, workflow: s.workflow ?? '' }, v);
  }
}
