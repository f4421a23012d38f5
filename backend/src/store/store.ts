import type { QuantileDigest } from '../analysis/quantileDigest';
import type { Anomaly, Incident, Insight } from '@rpa-analytics/contract';
import type { ErrorType, ExecutionDetail, Execution, ExecutionStatus, IngestBatch, IngestResult, ResourceSample, Step } from '@rpa-analytics/contract';

/** Filters for listing executions; every list means "any of these", an absent list means all. */
export interface ExecutionFilter {
  workflows?: string[];
  statuses?: ExecutionStatus[];
  hosts?: string[];
  robots?: string[];
  /** Inclusive lower bound on `startedAt`. */
  from?: number;
  /** Exclusive upper bound on `startedAt`. */
  to?: number;
}

export interface ExecutionPageRequest extends ExecutionFilter {
  limit: number;
  /** Opaque position returned as `nextCursor` by the previous page. */
  cursor?: string;
}

export interface ExecutionPage {
  items: Execution[];
  nextCursor?: string;
}

export interface SampleFilter {
  hosts?: string[];
  from?: number;
  to?: number;
  /** The first this many, in time order. */
  limit?: number;
}

/** A value of a resource sample that host panels chart: a field of it, or memory use in % of the total. */
export type SampleMeasure =
  'cpuPercent' | 'memoryPercent' | 'gpuPercent' | 'diskUsedPercent' | 'diskReadBytesPerSec' | 'diskWriteBytesPerSec' | 'netRxBytesPerSec' | 'netTxBytesPerSec';

/** One host's (and workflow's) samples in one bucket of time: how many have the value, its sum, min and max. */
export interface SampleBucket {
  host: string;
  /** The workflow the samples were taken for, when they name one. */
  workflow?: string;
  time: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Runs for analysis: by start time, or with `by: 'end'` by the time they ended (finished runs only). */
export interface RunFilter {
  workflows?: string[];
  hosts?: string[];
  robots?: string[];
  statuses?: ExecutionStatus[];
  from?: number;
  to?: number;
  by?: 'start' | 'end';
  /** Only the last this many runs of the range (still returned oldest first). */
  last?: number;
}

/**
 * A run as an analysis pass reads it in bulk: what its series need and nothing more, with its
 * steps by index. Months of history are read at once on a first pass.
 */
export interface RunOutline {
  workflow: string;
  host?: string;
  robot?: string;
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  status: ExecutionStatus;
  /** Why it failed, when it did: a business exception or a system error. */
  errorType?: ErrorType;
  /**
   * Its completed steps, by index: their names, and their starts and durations in pairs. Runs that
   * completed the same steps may share one array of names.
   */
  completedSteps: { names: readonly string[]; times: number[] };
}

/** Runs of a workflow that started in one hour (`hour`: its first millisecond). */
export interface HourlyStarts {
  workflow: string;
  hour: number;
  runs: number;
}

/** When a run ended, and its workflow's name. */
export interface RunEnd {
  workflow: string;
  endedAt: number;
}

/**
 * One host's resource samples summed per bucket of time, what the analysis judges hosts by: the
 * buckets that hold samples, in time order, as parallel arrays.
 */
export interface HostBuckets {
  host: string;
  /** Each bucket's start: a multiple of the bucket width. */
  times: number[];
  /** How many samples each bucket holds. */
  samples: number[];
  /** The sum of its samples' CPU use, in %. */
  cpuPercent: number[];
  /** The sum of its samples' memory use, in % of their total (0 for a sample with a total of 0). */
  memoryPercent: number[];
  /** How many of its samples tell the disk space used (an agent may not), and the sum of theirs, in % of the volume. */
  diskSamples: number[];
  diskPercent: number[];
}

export const NAME_KINDS = ['workflows', 'steps', 'hosts', 'robots', 'versions', 'errorTypes'] as const;
export type NameKind = (typeof NAME_KINDS)[number];

export interface AnomalyFilter {
  status?: 'open' | 'closed';
  /** Anomalies active at some time in [from, to). */
  from?: number;
  to?: number;
  workflows?: string[];
  hosts?: string[];
  /** Anomalies of these series (`seriesKey`): a robot's own, which has no column of its own. */
  seriesKeys?: string[];
  metrics?: string[];
  minSeverity?: number;
  limit?: number;
}

export interface IncidentFilter {
  status?: 'open' | 'closed';
  from?: number;
  to?: number;
  minSeverity?: number;
  limit?: number;
}

export interface InsightFilter {
  status?: 'open' | 'implemented';
  workflows?: string[];
  categories?: string[];
  limit?: number;
}

/** One analysis pass's results, written in one transaction. */
export interface AnalysisCommit {
  anomalies: Anomaly[];
  incidents: Incident[];
  /** Anomalies and incidents that no longer hold (a series judged again after late data). */
  removedAnomalies?: string[];
  removedIncidents?: string[];
  /** Each series' detector state, or its JSON already (a string). */
  detectorStates: Map<string, unknown>;
  values: Record<string, string>;
}

/** A detector state of an `AnalysisCommit` as stored: its JSON. */
export const stateJson = (state: unknown): string => (typeof state === 'string' ? state : JSON.stringify(state));

/** Rollup rows whose bucket starts in [from, to), at one resolution (60000 or 3600000 ms). */
export interface RollupFilter {
  resolution: number;
  from: number;
  to: number;
  workflows?: string[];
  statuses?: ExecutionStatus[];
  steps?: string[];
  /** Read the quantile digests too (default true); sums and counts do without them. */
  digests?: boolean;
}

/** Finished runs of one workflow and status in one bucket; durations of the completed ones. */
export interface RunRollup {
  bucket: number;
  workflow: string;
  status: ExecutionStatus;
  runs: number;
  timed: number;
  sumMs: number;
  minMs: number | null;
  maxMs: number | null;
  /** The completed runs' durations; null when none or when read without digests. */
  digest: QuantileDigest | null;
}

export interface StepRollup {
  bucket: number;
  workflow: string;
  step: string;
  steps: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
  /** Null when read without digests. */
  digest: QuantileDigest | null;
}

/**
 * The durations of a rollup as a visitor sees them: the exact values while few (the first
 * `timed` or `steps` of `values`), a sketch past the exact limit; both null without durations or
 * when read without digests.
 */
export interface RollupDurations {
  values: Float64Array | null;
  sketch: QuantileDigest | null;
}

/**
 * Rollups one at a time: the object (and its `values`) is reused for the next one, so keep
 * what you need from it during the call. A month-long panel reads a hundred thousand of them.
 */
export type RunRollupView = Omit<RunRollup, 'digest'> & RollupDurations;
export type StepRollupView = Omit<StepRollup, 'digest'> & RollupDurations;

/** What changed after a cursor, each in its current state; `cursor` is where to read on from. */
export interface ChangeSet {
  cursor: number;
  /** More changes are waiting beyond this page. */
  more: boolean;
  /** New or updated executions (new steps count as an update), with their steps. */
  executions: ExecutionDetail[];
  samples: ResourceSample[];
  anomalies: Anomaly[];
  insights: Insight[];
}

/** A run that a write created or changed, where the analysis places it (`Store.arrivals`). */
export interface ArrivedRun {
  workflow: string;
  robot?: string;
  startedAt: number;
  /** When it ended; absent while it runs. */
  endedAt?: number;
  status: ExecutionStatus;
  /** The write placed its start: a new run, or its start or workflow corrected (its hour's volume changed). */
  placed: boolean;
}

/** What writes after a change-log cursor created or changed: the runs, and the hosts whose samples changed. */
export interface Arrivals {
  runs: ArrivedRun[];
  /** Where runs were before a write moved them (another start or workflow): their old place's judgements are stale too. */
  vacated: Array<{ workflow: string; startedAt: number }>;
  /** Each host whose samples changed, with the earliest changed sample's time. */
  hosts: Array<{ host: string; earliest: number }>;
}

/** A completed run's workflow and duration, with the mean CPU % of its host while it ran. */
export interface RunWithHostCpu {
  workflow: string;
  durationMs: number;
  cpuPercent: number;
}

export interface StoreStats {
  executions: number;
  steps: number;
  samples: number;
  lastExecutionAt?: number;
  lastSampleAt?: number;
  sizeBytes: number;
}

/** The store's roles: each part of the collector asks for the ones it uses (a `Store` has them all). */

/** Writing what runners send. */
export interface IngestWriter {
  /** Writes a batch atomically: all of it or, on any error, none of it. Idempotent on ids. */
  ingest(batch: IngestBatch): IngestResult;
}

/** What the API's reads and panels show: runs page by page, samples, names, counts. */
export interface ExecutionReader {
  listExecutions(request: ExecutionPageRequest): ExecutionPage;
  getExecution(id: string): ExecutionDetail | undefined;
  listSamples(filter: SampleFilter): ResourceSample[];
  /**
   * Samples in the filter's range summed per host, workflow and bucket of `bucketMs` (aligned to
   * multiples of it), in no order: a host panel over weeks of samples a second reads the buckets,
   * not the samples. Samples without the value (no GPU, a memory total of 0) are left out.
   */
  sampleBuckets(filter: Omit<SampleFilter, 'limit'>, measure: SampleMeasure, bucketMs: number): SampleBucket[];
  stats(): StoreStats;
  /** Distinct names of a kind, sorted; steps can be narrowed to workflows. */
  names(kind: NameKind, workflows?: string[]): string[];
}

/** What the analysis reads: whole ranges of runs and steps, hourly starts, host buckets, rollups. */
export interface RunReader {
  /** Runs matching the filter, oldest first, without pagination (analysis reads whole ranges). */
  runs(filter: RunFilter): Execution[];
  /** The steps of the runs `runs(filter)` returns, in the order it returns the runs, each run's steps by index. */
  stepsOfRuns(filter: RunFilter): Step[];
  /** `runs(filter)` in outline, in the same order, each run with its steps by index. */
  runOutlines(filter: RunFilter): RunOutline[];
  /** Runs started per workflow and whole hour in [from, to), hours without runs left out, in no order. */
  hourlyStarts(from: number, to: number): HourlyStarts[];
  /**
   * The runs that ended in [from, to), in the order they ended (then by id): what a pass tells its
   * silences by, read from the index of ends alone, before the runs themselves.
   */
  runEnds(from: number, to: number): RunEnd[];
  /**
   * Samples taken in [from, to) summed per host and bucket of `bucketMs` (aligned to multiples of
   * it), hosts by name as `listSamples` orders them (only those of `hosts` when given), hosts
   * without samples left out. Summed in the database where samples are dense (a sampler at 1 s
   * gives 300 a bucket): months of them are never read one by one.
   */
  hostBuckets(from: number, to: number, bucketMs: number, hosts?: readonly string[]): HostBuckets[];
  /** Completed runs with the mean CPU of their host while they ran (runs without samples left out), in the order of their ids. */
  runsWithHostCpu(filter: RunFilter): RunWithHostCpu[];
  /** Time each robot spent running workflows in [from, to). */
  robotBusyTime(from: number, to: number): Array<{ robot: string; busyMs: number }>;
  visitRunRollups(filter: RollupFilter, visit: (rollup: RunRollupView) => void): void;
  visitStepRollups(filter: RollupFilter, visit: (rollup: StepRollupView) => void): void;
  /** When each package version of a workflow first ran, in [from, to). */
  versionChanges(filter: { workflows?: string[]; from?: number; to?: number }): Array<{ workflow: string; version: string; at: number }>;
  /**
   * When a write last created or changed a run of each workflow (wall clock, epoch ms), whichever
   * collector on the database took it; workflows without a run since that was kept are left out.
   */
  workflowArrivals(): Array<{ workflow: string; arrivedAt: number }>;
}

/** What the analysis finds and keeps: anomalies, incidents, insights, detector states. */
export interface AnalysisResults {
  listAnomalies(filter: AnomalyFilter): Anomaly[];
  getAnomaly(id: string): Anomaly | undefined;
  listIncidents(filter: IncidentFilter): Incident[];
  listInsights(filter: InsightFilter): Insight[];
  getInsight(id: string): Insight | undefined;
  saveInsights(insights: readonly Insight[]): void;
  loadDetectorStates(): Map<string, unknown>;
  analysisValue(name: string): string | undefined;
  commitAnalysis(commit: AnalysisCommit): void;
}

/** The log of writes: the change feed, and what arrived since an analysis pass. */
export interface ChangeLog {
  /**
   * The change feed: what was written after `cursor` (0: from the oldest kept), from at most
   * `limit` writes. @throws AppError `gone` when the feed no longer holds what followed the cursor.
   */
  changes(cursor: number, limit: number): ChangeSet;
  /**
   * The cursor of the latest committed write: reading from it returns only what comes later.
   * Every write logged before it has committed (writers log in commit order).
   */
  latestChange(): number;
  /**
   * What ingest created or changed in the writes after `after` up to `through` (cursors of the
   * change log), whatever their event time: what an analysis pass has not judged yet. Runs and
   * samples deleted since are left out. @throws AppError `gone` when the log no longer holds
   * what followed `after`.
   */
  arrivals(after: number, through: number): Arrivals;
  /** Forgets changes logged before `before` (epoch ms); returns how many writes were forgotten. */
  pruneChanges(before: number): number;
}

/** Retention: expired raw rows archived then deleted, expired rollups deleted. */
export interface RetentionStore {
  /** The oldest raw rows that started before `cutoff`: up to `limit` runs with their steps, and samples. */
  expiredRaw(cutoff: number, limit: number): IngestBatch;
  /** Deletes exactly these rows (runs with their steps, samples), in one transaction. */
  deleteRaw(batch: IngestBatch): void;
  /**
   * Deletes rollup rows whose bucket starts before `cutoff`, of runs and steps and (where the store
   * keeps them) of samples; returns how many of runs and steps, which every store keeps alike.
   */
  deleteRollupsBefore(cutoff: number): number;
}

/** A span received over OTLP, as kept: its trace, its id, whether it is a run's, and what the run's builder needs of it (JSON). */
export interface KeptSpan {
  traceId: string;
  spanId: string;
  run: boolean;
  body: string;
}

/**
 * OTLP spans kept until their run can be built: a runner's tracer sends a run's steps before the
 * run's own span (each span leaves when it ends), in requests of their own.
 */
export interface SpanKeeper {
  /**
   * Keeps `spans` (one kept already stays as it was) and forgets those received before
   * `expireBefore`; returns every kept span of those of their traces that hold a run's span, to
   * build the runs from. All in one transaction.
   * @throws AppError `payload_too_large`, keeping nothing, when a trace would hold more than `maxPerTrace` spans
   */
  keepSpans(spans: readonly KeptSpan[], receivedAt: number, expireBefore: number, maxPerTrace: number): KeptSpan[];
}

/** The analysis results as read (the analysis writes them; readers do not). */
export type ResultsReader = Pick<
  AnalysisResults,
  'listAnomalies' | 'getAnomaly' | 'listIncidents' | 'listInsights' | 'getInsight' | 'loadDetectorStates' | 'analysisValue'
>;

/** What the analysis, panels and reports read: runs, samples and names, whole ranges, results. Nothing it writes. */
export type StoreReader = ExecutionReader & RunReader & ResultsReader;

/**
 * The storage seam: everything above it (API, SDK in-process mode, analysis scheduler) talks to
 * a Store, never to SQL. SQLite is the embedded default; PostgreSQL implements the same.
 */
export interface Store extends IngestWriter, ExecutionReader, RunReader, AnalysisResults, ChangeLog, RetentionStore, SpanKeeper {
  /** Runs a trivial query; throws when the database cannot be read. */
  ping(): void;
  close(): void;
}
