import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { QueryRequest, QueryResponse, QueryTarget } from '@rpa-analytics/contract';
import { AppError } from '../domain/errors';
import { WorkerCalls } from '../threads/workerCalls';
import type { QueryCache } from './queryCache';
import type { StoreLocation } from '../store/location';
import type { AnalysisMethod, QueryEngine } from './queryEngine';
import type { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import type { Report, ReportRequest } from '../report/report';

/** Reports built at once (one) and waiting (one) before a further one is refused. */
const MAX_REPORTS_IN_PROGRESS = 2;

/** What the query workers are asked: a panel query, a report, or one of the `/analysis/*` reads. */
export type QueryCall = { request: QueryRequest } | { report: ReportRequest } | { analysis: { method: AnalysisMethod; args: unknown[] } };

/**
 * Runs panel queries and reports off the main thread, so ingest keeps its latency while dashboards load:
 * a pool of worker threads, each with a read-only connection to the database. The cache lives
 * here, beside ingest that invalidates it. Without workers (an in-memory store) queries run
 * in this thread.
 */
export class QueryService {
  private readonly workers: Array<WorkerCalls<QueryCall, unknown>> = [];
  /** Reports have a thread of their own: a year's report must not hold up the panels behind it. */
  private readonly reportWorkers: Array<WorkerCalls<QueryCall, unknown>> = [];
  private nextWorker = 0;
  private reportsInProgress = 0;

  constructor(
    private readonly engine: QueryEngine,
    readonly cache: QueryCache,
    options: { location?: StoreLocation; workers: number },
  ) {
    if (!options.location) return;
    for (let i = 0; i < options.workers; i++) this.workers.push(this.spawn(options.location));
    if (options.workers > 0) this.reportWorkers.push(this.spawn(options.location));
  }

  /** A thread that fails takes only its own calls with it. */
  private spawn(location: StoreLocation): WorkerCalls<QueryCall, unknown> {
    const worker = new Worker(path.join(__dirname, 'queryWorker.js'), { workerData: { location } });
    worker.unref();
    return new WorkerCalls<QueryCall, unknown>(worker, 'query worker');
  }

  get threads(): number {
    return this.workers.length;
  }

  async run(request: QueryRequest): Promise<QueryResponse> {
    return JSON.parse(await this.runJson(request)) as QueryResponse;
  }

  /**
   * The response as JSON text: a month of hourly buckets for hundreds of workflows is megabytes
   * of it, so the workers write it and this thread (which ingests) only joins the pieces.
   */
  async runJson(request: QueryRequest): Promise<string> {
    const results = new Map<string, string>();
    const missing = request.targets.filter((target) => {
      if (target.hide) return false;
      const key = this.cache.key(target, request);
      const cached = key === undefined ? undefined : this.cache.get(key, target.refId);
      if (cached) results.set(target.refId, cached);
      return !cached;
    });
    if (missing.length > 0) {
      const answer = await this.execute({ ...request, targets: missing }).catch((error: unknown) => {
        throw inRequest(error, missing, request.targets);
      });
      for (const target of missing) {
        const json = answer[target.refId] ?? '[]';
        const key = this.cache.key(target, request);
        if (key !== undefined) this.cache.set(key, request.range, target.refId, json);
        results.set(target.refId, json);
      }
    }
    const parts = request.targets.filter((t) => results.has(t.refId)).map((t) => `${JSON.stringify(t.refId)}:{"frames":${results.get(t.refId)}}`);
    return `{"results":{${parts.join(',')}}}`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers, ...this.reportWorkers].map((w) => w.close()));
    this.workers.length = 0;
    this.reportWorkers.length = 0;
  }

  /**
   * A report, built in the report thread (never cached: it is asked for rarely and must be
   * current). One is built while at most one more waits; past that, 503.
   * @throws AppError `unavailable` when two reports are in progress already.
   */
  async report(request: ReportRequest): Promise<Report> {
    if (this.reportWorkers.length === 0) return this.engine.report(request);
    if (this.reportsInProgress >= MAX_REPORTS_IN_PROGRESS) {
      throw new AppError('unavailable', `${this.reportsInProgress} reports are being built: retry when they are done`);
    }
    this.reportsInProgress++;
    try {
      return await this.post<Report>({ report: request }, this.reportWorkers[0]);
    } finally {
      this.reportsInProgress--;
    }
  }

  /** One of the read-only analyses of `/analysis/*`, in a worker. */
  analysis<M extends AnalysisMethod>(method: M, ...args: Parameters<PerformanceAnalyzer[M]>): Promise<ReturnType<PerformanceAnalyzer[M]>> {
    if (this.workers.length === 0) return Promise.resolve(this.engine.analysis(method, args));
    return this.post({ analysis: { method, args } });
  }

  /** Each target's frames as JSON, by refId. */
  private execute(request: QueryRequest): Promise<Record<string, string>> {
    if (this.workers.length === 0) return Promise.resolve(framesJson(this.engine.run(request)));
    return this.post<Record<string, string>>({ request });
  }

  private post<T>(call: QueryCall, worker = this.workers[this.nextWorker++ % this.workers.length]): Promise<T> {
    return worker.call(call) as Promise<T>;
  }
}

/** Each target's frames of a response as JSON, by refId (what the workers send back). */
export function framesJson(response: QueryResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(response.results).map(([refId, { frames }]) => [refId, JSON.stringify(frames)]));
}

/**
 * A rejection of the targets not cached (`sent`), its fields (`targets[i].x`) pointing into the
 * whole request's targets, where the client looks for them.
 */
function inRequest(error: unknown, sent: readonly QueryTarget[], all: readonly QueryTarget[]): unknown {
  if (!(error instanceof AppError) || !error.details) return error;
  const details = error.details.map((d) => {
    const match = /^targets\[(\d+)\](.*)$/.exec(d.field);
    const target = match ? sent[Number(match[1])] : undefined;
    return target ? { ...d, field: `targets[${all.indexOf(target)}]${match![2]}` } : d;
  });
  return new AppError(error.code, error.message, details);
}
