import path from 'node:path';
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
  RunRollupView,
  SampleFilter,
  StepRollupView,
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
import { RollupReader, type RollupSource } from '../rollups';
import { SyncBridge } from '../../threads/syncBridge';

/** A dictionary of the database's, read through the bridge and cached (names and ids never change). */
class RemoteDictionary {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();

  constructor(
    private readonly bridge: SyncBridge,
    private readonly table: string,
  ) {}

  find(name: string): number | undefined {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.bridge.call<number | undefined>('dictionary', this.table, 'name', name);
      if (id !== undefined) this.ids.set(name, id);
    }
    return id;
  }

  nameOf(id: number): string {
    let name = this.names.get(id);
    if (name === undefined) {
      name = this.bridge.call<string | undefined>('dictionary', this.table, 'id', id);
      if (name === undefined) throw new Error(`no name with id ${id} in ${this.table}`);
      this.names.set(id, name);
    }
    return name;
  }
}

/**
 * The store on PostgreSQL, for several collectors sharing one database. node-postgres runs in a
 * worker thread and this synchronous facade waits for it (`SyncBridge`): one call per ingest
 * batch or read, each answered in the worker with the same SQL as SQLite's where the dialects
 * agree. Opening migrates the schema, safely when collectors start at once. Writes that append
 * to the change log take one advisory lock across collectors, so the log's order is commit order.
 */
export class PgStore implements Store {
  private readonly bridge: SyncBridge;
  private readonly rollups: RollupReader;
  /** The schema versions this store's opening applied (none when another collector had, or when told not to migrate). */
  readonly migrated: number[];

  /**
   * @param options.migrate bring the schema up to date first (default); the collector's worker
   * threads open the store after the collector itself did, so they skip it
   */
  constructor(
    readonly url: string,
    options: { timeoutMs?: number; migrate?: boolean } = {},
  ) {
    this.bridge = new SyncBridge(path.join(__dirname, `pgHandler${path.extname(__filename)}`), { url }, options.timeoutMs);
    this.migrated = options.migrate === false ? [] : this.bridge.call<number[]>('migrate');
    const bridge = this.bridge;
    const source: RollupSource = {
      rows: (kind, resolution, groups, from, to) => bridge.call('rollupRows', kind, resolution, groups === 'workflows' ? 'workflows' : [...groups], from, to),
      workflows: new RemoteDictionary(bridge, 'workflows'),
      stepNames: new RemoteDictionary(bridge, 'step_names'),
    };
    this.rollups = new RollupReader(source);
  }

  ingest(batch: IngestBatch): IngestResult {
    return this.bridge.call('ingest', batch);
  }

  listExecutions(request: ExecutionPageRequest): ExecutionPage {
    return this.bridge.call('listExecutions', request);
  }

  getExecution(id: string): ExecutionDetail | undefined {
    return this.bridge.call('getExecution', id);
  }

  listSamples(filter: SampleFilter): ResourceSample[] {
    return this.bridge.call('listSamples', filter);
  }

  sampleBuckets(filter: Omit<SampleFilter, 'limit'>, measure: SampleMeasure, bucketMs: number): SampleBucket[] {
    return this.bridge.call('sampleBuckets', filter, measure, bucketMs);
  }

  stats(): StoreStats {
    return this.bridge.call('stats');
  }

  runs(filter: RunFilter): Execution[] {
    return this.bridge.call('runs', filter);
  }

  stepsOfRuns(filter: RunFilter): Step[] {
    return this.bridge.call('stepsOfRuns', filter);
  }

  runOutlines(filter: RunFilter): RunOutline[] {
    return this.bridge.call('runOutlines', filter);
  }

  hourlyStarts(from: number, to: number): HourlyStarts[] {
    return this.bridge.call('hourlyStarts', from, to);
  }

  runEnds(from: number, to: number): RunEnd[] {
    return this.bridge.call('runEnds', from, to);
  }

  hostBuckets(from: number, to: number, bucketMs: number, hosts?: readonly string[]): HostBuckets[] {
    return this.bridge.call('hostBuckets', from, to, bucketMs, hosts);
  }

  runsWithHostCpu(filter: RunFilter): RunWithHostCpu[] {
    return this.bridge.call('runsWithHostCpu', filter);
  }

  robotBusyTime(from: number, to: number): Array<{ robot: string; busyMs: number }> {
    return this.bridge.call('robotBusyTime', from, to);
  }

  visitRunRollups(filter: RollupFilter, visit: (rollup: RunRollupView) => void): void {
    this.rollups.visitRuns(filter, visit);
  }

  visitStepRollups(filter: RollupFilter, visit: (rollup: StepRollupView) => void): void {
    this.rollups.visitSteps(filter, visit);
  }

  versionChanges(filter: { workflows?: string[]; from?: number; to?: number }): Array<{ workflow: string; version: string; at: number }> {
    return this.bridge.call('versionChanges', filter);
  }

  names(kind: NameKind, workflows?: string[]): string[] {
    return this.bridge.call('names', kind, workflows);
  }

  listAnomalies(filter: AnomalyFilter): Anomaly[] {
    return this.bridge.call('listAnomalies', filter);
  }

  getAnomaly(id: string): Anomaly | undefined {
    return this.bridge.call('getAnomaly', id);
  }

  listIncidents(filter: IncidentFilter): Incident[] {
    return this.bridge.call('listIncidents', filter);
  }

  listInsights(filter: InsightFilter): Insight[] {
    return this.bridge.call('listInsights', filter);
  }

  getInsight(id: string): Insight | undefined {
    return this.bridge.call('getInsight', id);
  }

  saveInsights(insights: readonly Insight[]): void {
    this.bridge.call('saveInsights', insights);
  }

  loadDetectorStates(): Map<string, unknown> {
    return new Map(this.bridge.call<Array<[string, unknown]>>('loadDetectorStates'));
  }

  workflowArrivals(): Array<{ workflow: string; arrivedAt: number }> {
    return this.bridge.call('workflowArrivals');
  }

  analysisValue(name: string): string | undefined {
    return this.bridge.call('analysisValue', name);
  }

  keepSpans(spans: readonly KeptSpan[], receivedAt: number, expireBefore: number, maxPerTrace: number): KeptSpan[] {
    return this.bridge.call('keepSpans', spans, receivedAt, expireBefore, maxPerTrace);
  }

  commitAnalysis(commit: AnalysisCommit): void {
    this.bridge.call('commitAnalysis', commit);
  }

  changes(cursor: number, limit: number): ChangeSet {
    return this.bridge.call('changes', cursor, limit);
  }

  latestChange(): number {
    return this.bridge.call('latestChange');
  }

  arrivals(after: number, through: number): Arrivals {
    return this.bridge.call('arrivals', after, through);
  }

  pruneChanges(before: number): number {
    return this.bridge.call('pruneChanges', before);
  }

  ping(): void {
    this.bridge.call('ping');
  }

  expiredRaw(cutoff: number, limit: number): IngestBatch {
    return this.bridge.call('expiredRaw', cutoff, limit);
  }

  deleteRaw(batch: IngestBatch): void {
    this.bridge.call('deleteRaw', batch);
  }

  deleteRollupsBefore(cutoff: number): number {
    return this.bridge.call('deleteRollupsBefore', cutoff);
  }

  /**
   * True while this connection holds the analysis lead among the collectors on the database:
   * taken when free, kept until the connection ends (a killed collector's lead passes on).
   */
  /** Told when the connection is lost or made again (to log at info). */
  set onNotice(log: ((notice: string) => void) | undefined) {
    this.bridge.onNotice = log;
  }

  tryLead(): boolean {
    return this.bridge.call('tryLead');
  }

  /** How many sessions its connection has opened (a lost one is replaced at the next call): the lead went with the old one. */
  session(): number {
    return this.bridge.call('session');
  }

  close(): void {
    void this.bridge.close();
  }
}
