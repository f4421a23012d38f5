import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

import type { Anomaly, Incident, Insight } from '@rpa-analytics/contract';
import type { Execution, ExecutionDetail, IngestBatch, IngestResult, ResourceSample, Step } from '@rpa-analytics/contract';
import type {
  AnalysisCommit,
  Arrivals,
  AnomalyFilter,
  ChangeSet,
  ExecutionPage,
  ExecutionPageRequest,
  IncidentFilter,
  InsightFilter,
  NameKind,
  RollupFilter,
  RunFilter,
  RunRollup,
  RunRollupView,
  StepRollup,
  StepRollupView,
  SampleFilter,
  Store,
  StoreStats,
  HostBuckets,
  SampleBucket,
  SampleMeasure,
  HourlyStarts,
  RunEnd,
  KeptSpan,
  RunOutline,
  RunWithHostCpu,
} from '../store';
import { assertSchemaCurrent, type Migration, migrate } from './schema';
import { Dictionaries, openDictionaries } from './dictionaries';
import { BatchWriter } from './batchWriter';
import { ExecutionReader } from './executionReader';
import { AnalysisReader } from './analysisReader';
import { ResultsRepository } from './resultsRepository';
import { SpanKeeperTable } from './spanKeeper';
import { RollupReader } from '../rollups';
import { sqliteRollupSource } from './rollupSource';
import { RetentionRepository } from './retention';
import { ChangeLog } from './changeLog';

export interface SqliteStoreOptions {
  /** Path of the database file; `:memory:` for a throwaway store. */
  file: string;
  readonly?: boolean;
  /** How long to wait for another writer's lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Told before each schema migration runs (some take a while on a large file). */
  onMigration?: (migration: Migration) => void;
}

/** The writer connection's page cache. */
const WRITER_CACHE_KIB = 64 * 1024;

/** The embedded default store: one SQLite file in WAL mode. */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly dictionaries: Dictionaries;
  private readonly writer: BatchWriter;
  private readonly reader: ExecutionReader;
  private readonly analysis: AnalysisReader;
  private readonly results: ResultsRepository;
  private readonly spans: SpanKeeperTable;
  private readonly rollups: RollupReader;
  private readonly retention: RetentionRepository;
  private readonly changeLog: ChangeLog;

  constructor(options: SqliteStoreOptions) {
    this.file = options.file;
    if (this.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    this.db = new Database(this.file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    this.db.pragma(`busy_timeout = ${Math.round(options.busyTimeoutMs ?? 5000)}`);
    if (options.readonly) {
      // A reader beside the collector's writer (query workers): the writer owns the schema.
      assertSchemaCurrent(this.db);
    } else {
      // WAL lets readers run beside the writer; NORMAL sync keeps every committed batch across a
      // process crash (only a power loss can drop the last transactions).
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // The writer's pages stay in memory between batches: index and rollup pages of every
      // workflow and host are touched by most batches (SQLite's default is 2 MiB).
      this.db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
      migrate(this.db, undefined, options.onMigration);
    }
    this.dictionaries = openDictionaries(this.db);
    this.changeLog = new ChangeLog(this.db);
    this.writer = new BatchWriter(this.db, this.dictionaries, this.changeLog);
    this.reader = new ExecutionReader(this.db, this.dictionaries);
    this.analysis = new AnalysisReader(this.db, this.dictionaries);
    this.results = new ResultsRepository(this.db, this.changeLog);
    this.spans = new SpanKeeperTable(this.db);
    this.rollups = new RollupReader(sqliteRollupSource(this.db, this.dictionaries));
    this.retention = new RetentionRepository(this.db, this.reader);
  }

  /** Opens (creating and migrating when needed) `<dataDir>/rpa-analytics.db`. */
  static inDirectory(dataDir: string, options: Omit<SqliteStoreOptions, 'file'> = {}): SqliteStore {
    return new SqliteStore({ ...options, file: path.join(dataDir, 'rpa-analytics.db') });
  }

  ingest(batch: IngestBatch): IngestResult {
    return this.writer.write(batch);
  }

  listExecutions(request: ExecutionPageRequest): ExecutionPage {
    return this.reader.list(request);
  }

  getExecution(id: string): ExecutionDetail | undefined {
    return this.reader.get(id);
  }

  listSamples(filter: SampleFilter): ResourceSample[] {
    return this.reader.samples(filter);
  }

  sampleBuckets(filter: Omit<SampleFilter, 'limit'>, measure: SampleMeasure, bucketMs: number): SampleBucket[] {
    return this.reader.sampleBuckets(filter, measure, bucketMs);
  }

  stats(): StoreStats {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const last = (sql: string) => (this.db.prepare(sql).get() as { t: number | null }).t ?? undefined;
    return {
      executions: count('executions'),
      steps: (this.db.prepare('SELECT coalesce(sum(count), 0) AS n FROM run_steps').get() as { n: number }).n,
      samples: count('resource_samples'),
      lastExecutionAt: last('SELECT max(started_at) AS t FROM executions'),
      lastSampleAt: last('SELECT max(ts) AS t FROM resource_samples'),
      sizeBytes: this.sizeBytes(),
    };
  }

  runs(filter: RunFilter): Execution[] {
    return this.analysis.runs(filter);
  }

  stepsOfRuns(filter: RunFilter): Step[] {
    return this.analysis.stepsOfRuns(filter);
  }

  runOutlines(filter: RunFilter): RunOutline[] {
    return this.analysis.runOutlines(filter);
  }

  hourlyStarts(from: number, to: number): HourlyStarts[] {
    return this.analysis.hourlyStarts(from, to);
  }

  runEnds(from: number, to: number): RunEnd[] {
    return this.analysis.runEnds(from, to);
  }

  hostBuckets(from: number, to: number, bucketMs: number, hosts?: readonly string[]): HostBuckets[] {
    return this.analysis.hostBuckets(from, to, bucketMs, hosts);
  }

  runsWithHostCpu(filter: RunFilter): RunWithHostCpu[] {
    return this.analysis.runsWithHostCpu(filter);
  }

  robotBusyTime(from: number, to: number): Array<{ robot: string; busyMs: number }> {
    return this.analysis.robotBusyTime(from, to);
  }

  expiredRaw(cutoff: number, limit: number): IngestBatch {
    return this.retention.expired(cutoff, limit);
  }

  deleteRaw(batch: IngestBatch): void {
    this.retention.delete(batch);
  }

  deleteRollupsBefore(cutoff: number): number {
    return this.retention.deleteRollupsBefore(cutoff);
  }

  visitRunRollups(filter: RollupFilter, visit: (rollup: RunRollupView) => void): void {
    this.rollups.visitRuns(filter, visit);
  }

  visitStepRollups(filter: RollupFilter, visit: (rollup: StepRollupView) => void): void {
    this.rollups.visitSteps(filter, visit);
  }

  /** Rollups as objects of their own, each with its digest: for tests and small reads. */
  runRollups(filter: RollupFilter): RunRollup[] {
    return this.rollups.runs(filter);
  }

  stepRollups(filter: RollupFilter): StepRollup[] {
    return this.rollups.steps(filter);
  }

  versionChanges(filter: { workflows?: string[]; from?: number; to?: number }): Array<{ workflow: string; version: string; at: number }> {
    return this.analysis.versionChanges(filter);
  }

  names(kind: NameKind, workflows?: string[]): string[] {
    return this.analysis.names(kind, workflows);
  }

  listAnomalies(filter: AnomalyFilter): Anomaly[] {
    return this.results.listAnomalies(filter);
  }

  getAnomaly(id: string): Anomaly | undefined {
    return this.results.getAnomaly(id);
  }

  listIncidents(filter: IncidentFilter): Incident[] {
    return this.results.listIncidents(filter);
  }

  listInsights(filter: InsightFilter): Insight[] {
    return this.results.listInsights(filter);
  }

  getInsight(id: string): Insight | undefined {
    return this.results.getInsight(id);
  }

  saveInsights(insights: readonly Insight[]): void {
    this.results.saveInsights(insights);
  }

  loadDetectorStates(): Map<string, unknown> {
    return this.results.loadDetectorStates();
  }

  workflowArrivals(): Array<{ workflow: string; arrivedAt: number }> {
    return this.db
      .prepare<[], { workflow: string; arrivedAt: number }>(
        'SELECT name AS workflow, arrived_at AS arrivedAt FROM workflows WHERE arrived_at IS NOT NULL ORDER BY name',
      )
      .all();
  }

  analysisValue(name: string): string | undefined {
    return this.results.value(name);
  }

  keepSpans(spans: readonly KeptSpan[], receivedAt: number, expireBefore: number, maxPerTrace: number): KeptSpan[] {
    return this.spans.keepSpans(spans, receivedAt, expireBefore, maxPerTrace);
  }

  commitAnalysis(commit: AnalysisCommit): void {
    this.results.commit(commit);
  }

  /**
   * The seed's `query_range`: everything recorded in a time range, by kind.
   * @example store.queryRange({ startTime, endTime, workflowId: 'Invoice Processing' }).execution
   */
  queryRange(range: { startTime: number | Date; endTime: number | Date; workflowId?: string }): {
    execution: Execution[];
    step: Step[];
    resource: ResourceSample[];
  } {
    const filter: RunFilter = {
      from: +range.startTime,
      to: +range.endTime,
      ...(range.workflowId ? { workflows: [range.workflowId] } : {}),
    };
    const execution = this.runs(filter);
    const hosts = range.workflowId ? [...new Set(execution.map((e) => e.host).filter((h): h is string => !!h))] : undefined;
    return {
      execution,
      step: this.stepsOfRuns(filter),
      resource: hosts && hosts.length === 0 ? [] : this.listSamples({ hosts, from: filter.from, to: filter.to }),
    };
  }

  /** The seed's `write_metrics`: stores a batch (the SDK's `storageCallback`). */
  writeMetrics = (batch: Partial<IngestBatch>): IngestResult =>
    this.ingest({ executions: batch.executions ?? [], steps: batch.steps ?? [], samples: batch.samples ?? [] });

  changes(cursor: number, limit: number): ChangeSet {
    // One read transaction: the log and the rows it names are seen at the same moment.
    return this.db.transaction(() =>
      this.changeLog.read(cursor, limit, {
        execution: (id) => this.reader.get(id),
        sample: (host, time) => this.reader.sample(host, time),
        anomaly: (id) => this.results.getAnomaly(id),
        insight: (id) => this.results.getInsight(id),
      }),
    )();
  }

  latestChange(): number {
    return this.changeLog.latest();
  }

  arrivals(after: number, through: number): Arrivals {
    // One read transaction: the log and the runs it names are seen at the same moment.
    return this.db.transaction(() => this.changeLog.arrivals(after, through))();
  }

  pruneChanges(before: number): number {
    return this.changeLog.pruneBefore(before);
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  /**
   * For a writer whose log another thread checkpoints (`Checkpointer`): checkpoints itself only
   * past `pages` of log. The log file is trimmed back to 8 MiB whenever it starts over, so the
   * space a burst took is not kept.
   */
  deferCheckpoints(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${pages}`);
    this.db.pragma(`journal_size_limit = ${8 * 2 ** 20}`);
  }

  close(): void {
    if (!this.db.open) return;
    if (!this.db.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  private sizeBytes(): number {
    if (this.file === ':memory:') {
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      return pages * (this.db.pragma('page_size', { simple: true }) as number);
    }
    return ['', '-wal'].reduce((total, suffix) => {
      try {
        return total + fs.statSync(this.file + suffix).size;
      } catch {
        return total;
      }
    }, 0);
  }
}

/**
 * The seed's name for the store: a SQLite time-series store in a directory.
 * @example const store = new TimeSeriesStore('data/analytics');
 */
export class TimeSeriesStore extends SqliteStore {
  constructor(directory: string) {
    super({ file: path.join(directory, 'rpa-analytics.db') });
  }
}
