import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import type { Config } from './config';
import type { Logger } from './log';
import type { SamplerStatus } from '@rpa-analytics/contract';
import type { Store } from './store/store';
import { Checkpointer } from './store/sqlite/checkpointer';
import { SqliteStore } from './store/sqlite/sqliteStore';
import { PgStore } from './store/postgres/pgStore';
import { locationOf } from './store/location';
import { IngestService } from './ingest/ingestService';
import { ChangeFeed } from './ingest/changeFeed';
import { changesRouter } from './api/changesRouter';
import { reportsRouter } from './api/reportsRouter';
import { reportFonts } from './report/reportPdf';
import { ReportScheduler } from './report/reportSchedule';
import { ingestRouter } from './api/ingestRouter';
import { integrationsRouter } from './api/integrationsRouter';
import { executionsRouter } from './api/executionsRouter';
import { healthRouter } from './api/healthRouter';
import { analysisRouter } from './api/analysisRouter';
import { queryRouter } from './api/queryRouter';
import { QueryEngine } from './query/queryEngine';
import { QueryCache } from './query/queryCache';
import { QueryService } from './query/queryService';
import { CollectorMetrics, DEFAULT_SERIES_LIMITS } from './export/prometheus';
import { otlpRouter } from './api/otlpRouter';
import { metricsRouter } from './api/metricsRouter';
import { RetentionThread } from './retention/retentionThread';
import { type AnalysisRunner, InThreadAnalysis, WorkerAnalysis } from './engine/analysisRunner';
import { errorMiddleware, notFound } from './api/errorMiddleware';
import { routeGuards, strictRouter } from './api/routeGuards';
import { securityHeaders } from './api/securityHeaders';
import { MetricsCollector } from '@rpa-analytics/sdk';
import { ResourceCollector } from '@rpa-analytics/sdk';
import type { ResourceSource } from '@rpa-analytics/sdk';

export interface CollectorOptions {
  config: Readonly<Config>;
  log: Logger;
  /** Defaults to the SQLite file under `config.dataDir`. */
  store?: Store;
  /** Replaces the host's own counters (tests). */
  resourceSource?: ResourceSource;
}

export interface CollectorServices {
  store: Store;
  ingest: IngestService;
  queries: QueryService;
  engine: AnalysisRunner;
  metrics: CollectorMetrics;
  feed: ChangeFeed;
  sampler: () => SamplerStatus;
  /** Writes the fleet reports of each day or week, when scheduled. */
  reports?: ReportScheduler;
}

export function createApp(
  { store, ingest, queries, engine, metrics, feed, sampler, reports }: CollectorServices,
  config: Readonly<Config>,
  log: Logger,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Paths match as written (case and trailing slash): each path is one route or none.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(securityHeaders);
  app.set('query parser', 'simple');
  // Every route states its guard (scope, body limit, ingest bound), so the scope checked is the
  // one of the route matched; a request is refused before its body is read.
  const guards = routeGuards(config);
  const api = strictRouter();
  api.use(healthRouter(guards, store, sampler, Date.now(), engine));
  api.use(ingestRouter(guards, ingest, config.limits.maxBatchRecords));
  api.use(integrationsRouter(guards, ingest, store, { ...(config.uipathWebhookSecret ? { uipathSecret: config.uipathWebhookSecret } : {}) }));
  api.use(executionsRouter(guards, store));
  api.use(analysisRouter(guards, store, engine, queries));
  api.use(queryRouter(guards, store, queries));
  api.use(changesRouter(guards, store, feed));
  api.use(reportsRouter(guards, (request) => queries.report(request), reportFonts(config.reportFont), reports));
  api.use(guards.unmatched);
  app.use('/api/v1', api);
  // Prometheus scrapes /metrics at the root, as is customary; it needs a read token too.
  const root = strictRouter();
  root.use(metricsRouter(guards, metrics));
  // OpenTelemetry exporters append /v1/traces to the address they are given.
  root.use(otlpRouter(guards, ingest, store, { maxSpans: config.limits.maxBatchRecords }));
  root.use(guards.unmatched);
  app.use(root);
  app.use(notFound);
  app.use(errorMiddleware(log));
  return app;
}

/** How long stopping waits for in-flight requests before closing their connections. */
const STOP_GRACE_MS = 3000;

/** Past this much log (4 KiB pages), the writer checkpoints by itself, whatever the checkpoint thread does. */
const CHECKPOINT_BACKSTOP_PAGES = 10_000;

/**
 * A running collector: HTTP API, store and, when enabled, the host sampler writing in-process.
 * `start()` listens on `config.port` (0 picks a free port); `stop()` lets in-flight requests
 * finish, flushes the sampler's buffer and closes the database.
 */
export class Collector {
  readonly store: Store;
  readonly sampler?: ResourceCollector;
  readonly analysis: AnalysisRunner;
  readonly metrics: CollectorMetrics;
  readonly queries: QueryService;
  readonly feed: ChangeFeed;
  private readonly samplerBuffer?: MetricsCollector;
  /** The HTTP application (tests walk its routes). */
  readonly app: express.Express;
  private server?: http.Server;
  private retentionTimer?: NodeJS.Timeout;
  private retention?: RetentionThread;
  private feedTimer?: NodeJS.Timeout;
  private sharedTimer?: NodeJS.Timeout;
  private checkpointer?: Checkpointer;
  /** Writes the fleet reports of each day or week, when `RPA_REPORT_SCHEDULE` asks. */
  readonly reports?: ReportScheduler;

  constructor(private readonly options: CollectorOptions) {
    const { config, log } = options;
    this.store =
      options.store ??
      (config.postgresUrl
        ? new PgStore(config.postgresUrl)
        : SqliteStore.inDirectory(config.dataDir, {
            busyTimeoutMs: config.busyTimeoutMs,
            onMigration: (m) => log.info({ version: m.version }, `migrating the database to schema version ${m.version}: ${m.description}`),
          }));
    if (this.store instanceof PgStore && this.store.migrated.length > 0) log.info({ versions: this.store.migrated }, 'migrated the PostgreSQL schema');
    if (this.store instanceof PgStore) this.store.onNotice = (notice) => log.info(notice);
    const location = locationOf(this.store);
    if (location && 'file' in location && this.store instanceof SqliteStore) {
      this.checkpointer = new Checkpointer(location.file, { log });
      this.store.deferCheckpoints(CHECKPOINT_BACKSTOP_PAGES);
    }
    const { sensitivity, intervalMs, latenessMs, historyDays, timeZone } = config.analysis;
    const analysisSettings = { sensitivity, intervalMs, latenessMs, historyDays, timeZone, log, logFormat: config.logFormat };
    // Passes run in a worker thread with their own connection, unless the store cannot be shared.
    this.analysis = location ? new WorkerAnalysis(this.store, location, analysisSettings) : new InThreadAnalysis({ store: this.store, ...analysisSettings });
    let sampler: ResourceCollector | undefined;
    const samplerStatus = () => sampler?.status() ?? { enabled: false };
    this.metrics = new CollectorMetrics(
      { store: this.store, analysis: this.analysis, sampler: samplerStatus, timeZone },
      { ...DEFAULT_SERIES_LIMITS, ...config.metrics },
    );
    const cache = new QueryCache();
    const queries = new QueryService(new QueryEngine(this.store, this.analysis.performance), cache, { location, workers: config.queryWorkers });
    this.queries = queries;
    this.feed = new ChangeFeed(this.store);
    const ingest = new IngestService(this.store, (result, batch, durationMs) => {
      cache.invalidate(batch);
      this.metrics.observeIngest(result, batch, durationMs);
      this.feed.notify();
    });
    if (config.sampler.enabled) {
      // The collector's own host samples take the same path as every batch (metrics included).
      this.samplerBuffer = new MetricsCollector({
        storageCallback: (batch) => ingest.ingestBatch(batch),
        bufferSize: 60,
        flushIntervalMs: 5000,
        onError: (error) => log.warn({ err: error }, 'sampler samples not stored'),
      });
      const buffer = this.samplerBuffer;
      sampler = new ResourceCollector({
        sink: (sample) => buffer.recordResourceSample(sample),
        sampleIntervalMs: config.sampler.intervalMs,
        source: options.resourceSource,
      });
    }
    this.sampler = sampler;
    const { schedule, dir, keepDays } = config.reports;
    if (schedule !== 'off')
      this.reports = new ReportScheduler({ schedule, dir, keepDays, build: (request) => queries.report(request), fonts: reportFonts(config.reportFont), log });
    this.app = createApp(
      { store: this.store, ingest, queries, engine: this.analysis, metrics: this.metrics, feed: this.feed, sampler: samplerStatus, reports: this.reports },
      config,
      log,
    );
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('collector is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async start(port = this.options.config.port): Promise<this> {
    const server = http.createServer(this.app);
    // Longer than the idle timeouts of common load balancers and HTTP clients, so that a pooled
    // connection is not closed under a client that is about to reuse it.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.samplerBuffer?.start();
    this.sampler?.start();
    if (this.options.config.analysis.enabled) this.analysis.start();
    this.reports?.start();
    const { retention } = this.options.config;
    const pruneFeed = () => {
      try {
        this.store.pruneChanges(Date.now() - retention.changeFeedHours * 3_600_000);
      } catch (error) {
        this.options.log.warn({ err: error }, 'change feed not pruned; trying again in ten minutes');
      }
    };
    this.feedTimer = setInterval(pruneFeed, 600_000);
    this.feedTimer.unref();
    if (this.store instanceof PgStore) {
      // Other collectors write to the same database: when its change log moves, cached panel
      // answers may be stale, whoever wrote. Checked every second; the cache starts again.
      const store = this.store;
      let seen = store.latestChange();
      // Said once when it starts failing (the database away) and once when it reads again, not every second.
      let failing = false;
      this.sharedTimer = setInterval(() => {
        try {
          const latest = store.latestChange();
          if (latest !== seen) this.queries.cache.clear();
          seen = latest;
          if (failing) this.options.log.info('the shared change log reads again');
          failing = false;
        } catch (error) {
          this.queries.cache.clear();
          if (!failing)
            this.options.log.warn({ reason: (error as Error).message }, 'could not read the shared change log: query cache cleared, trying every second');
          failing = true;
        }
      }, 1000);
      this.sharedTimer.unref();
    }
    if (retention.rawDays > 0 || retention.rollupDays > 0) {
      const { log } = this.options;
      this.retention = new RetentionThread(this.store, locationOf(this.store), retention, (report) =>
        log.info(
          { archivedRuns: report.archivedRuns, archivedSamples: report.archivedSamples, files: report.files.length },
          `retention: ${report.archivedRuns} expired runs archived and deleted so far`,
        ),
      );
      const retentionThread = this.retention;
      let running = false;
      const run = async () => {
        if (running) return;
        running = true;
        try {
          const report = await retentionThread.runOnce();
          if (report.files.length || report.deletedRollups) log.info({ report }, 'retention: expired rows archived and deleted');
        } catch (error) {
          log.error({ err: error }, 'retention failed: nothing was deleted that was not archived');
        } finally {
          running = false;
        }
      };
      setImmediate(run);
      this.retentionTimer = setInterval(run, 3_600_000);
      this.retentionTimer.unref();
    }
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Long polls and event streams end first, or the server would wait for them to close.
    this.feed.close();
    if (this.feedTimer) clearInterval(this.feedTimer);
    if (this.sharedTimer) clearInterval(this.sharedTimer);
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections go idle as their last responses finish (the feed's readers answer a tick
      // after closing): sweep until the server has closed them all. A connection whose client
      // vanished mid-stream can stay counted as busy, so after a grace period every one is closed;
      // a request cut off then was never acknowledged and its client sends it again.
      server.closeIdleConnections();
      const started = Date.now();
      const sweep = setInterval(() => (Date.now() - started > STOP_GRACE_MS ? server.closeAllConnections() : server.closeIdleConnections()), 50);
      await closed;
      clearInterval(sweep);
    }
    this.sampler?.stop();
    await this.reports?.stop();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.retention?.stop();
    await this.analysis.stop();
    await this.queries.close();
    await this.samplerBuffer?.shutdown();
    await this.checkpointer?.stop();
    this.store.close();
  }
}
