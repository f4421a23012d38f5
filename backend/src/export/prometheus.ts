import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type Incrementer, LabelledCounter } from './labelledCounter';
import { LabelledHistogram, type Observer } from './labelledHistogram';
import { LabelBudget, OTHER_LABEL } from './labelBudget';
import type { IngestBatch, IngestResult, ResourceSample, SamplerStatus } from '@rpa-analytics/contract';
import type { AnalysisRunner } from '../engine/analysisRunner';
import type { StoreReader } from '../store/store';
import { storedHealth } from '../engine/healthRefresh';
import type { WorkflowHealth } from '../analysis/health';
import { combined, runsCameSince, runsOverdue, type Schedule, workflowSchedules } from '../analysis/schedule';
import { localClock, type LocalClock } from '../analysis/localClock';

/** RPA runs last seconds to hours: buckets from 1 s to 4 h. */
export const DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

export interface MetricsSources {
  store: StoreReader;
  analysis: AnalysisRunner;
  sampler: () => SamplerStatus;
  /** The fleet's time zone (`RPA_TIME_ZONE`): the hours of the week its schedules are learnt in (default UTC). */
  timeZone?: string;
  /** The wall clock (a test sets its own). */
  now?: () => number;
}

interface Freshness {
  now: number;
  arrivals: Map<string, number>;
  latest: number;
  overdue: Map<string, number>;
  fleetOverdue: number;
  /** The workflows' health as the latest pass stored it. */
  health: WorkflowHealth[];
}

/** How long the workflows' schedules are kept before they are learnt again from the rollups. */
const SCHEDULE_TTL_MS = 10 * 60_000;

export interface SeriesLimits {
  /** Workflows with labels of their own; the rest are `other`. */
  maxWorkflows: number;
  /** Workflow and step pairs with step labels of their own; the rest are step `other`. */
  maxSteps: number;
  /** A host whose latest sample is older than this leaves the host gauges (and older samples never enter them). */
  staleHostMs: number;
}

export const DEFAULT_SERIES_LIMITS: SeriesLimits = { maxWorkflows: 500, maxSteps: 2000, staleHostMs: 15 * 60_000 };

const PRIORITY_BANDS: Array<[string, number]> = [
  ['high', 0.5],
  ['medium', 0.25],
  ['low', 0],
];

/** The value kept under `key`, made and kept the first time. */
function kept<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/**
 * The collector's Prometheus metrics. Labels are workflows, steps, hosts, statuses and error
 * types, never an execution id; workflows and steps past their budgets share the label `other`
 * (counted in `rpa_metrics_folded_total`) and hosts without a recent sample leave, so a scrape stays
 * small whatever the fleet sends. Counters move only for what a batch brought for the first time,
 * so retried batches never count twice.
 */
export class CollectorMetrics {
  readonly registry = new Registry();
  /** Each host's latest sample, while it is recent. */
  private readonly latestSamples = new Map<string, ResourceSample>();
  private readonly workflowLabels: LabelBudget;
  private readonly stepLabels: LabelBudget;
  private lastIngestAt?: number;
  private schedules?: { at: number; seen: Set<string>; byWorkflow: Map<string, Schedule>; fleet: Schedule };
  private fresh?: Freshness;
  // Counted for every finished run and step: children kept, in classes that count without hashing.
  private readonly executions: LabelledCounter;
  private readonly runDuration: LabelledHistogram;
  private readonly stepDuration: LabelledHistogram;
  private readonly executionChildren = new Map<string, Incrementer>();
  private readonly runDurationChildren = new Map<string, Observer>();
  private readonly stepChildren = new Map<string, Map<string, Observer>>();
  private readonly records: Counter<'kind'>;
  private readonly batchLatency: Histogram;
  private readonly clock: LocalClock;

  constructor(
    private readonly sources: MetricsSources,
    private readonly limits: SeriesLimits = DEFAULT_SERIES_LIMITS,
  ) {
    this.clock = localClock(sources.timeZone);
    const registers = [this.registry];
    const folded = new Counter({
      name: 'rpa_metrics_folded_total',
      help: 'Records counted under the label "other": their workflow or step was past the series budget.',
      labelNames: ['label'],
      registers,
    });
    const workflowsFolded = folded.labels({ label: 'workflow' });
    const stepsFolded = folded.labels({ label: 'step' });
    this.workflowLabels = new LabelBudget(limits.maxWorkflows, () => workflowsFolded.inc());
    this.stepLabels = new LabelBudget(limits.maxSteps, () => stepsFolded.inc());
    collectDefaultMetrics({ register: this.registry });
    // These three are gauges named like counters; `promtool check metrics` rightly rejects them.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.executions = new LabelledCounter('rpa_executions_total', 'Finished workflow executions by workflow, final status and error type.', registers);
    this.runDuration = new LabelledHistogram('rpa_run_duration_seconds', 'Duration of finished workflow executions.', DURATION_BUCKETS, registers);
    this.stepDuration = new LabelledHistogram('rpa_step_duration_seconds', 'Duration of the steps of finished executions.', DURATION_BUCKETS, registers);
    this.records = new Counter({
      name: 'rpa_ingested_records_total',
      help: 'Records written by ingest batches, by kind (retries included).',
      labelNames: ['kind'],
      registers,
    });
    this.batchLatency = new Histogram({
      name: 'rpa_ingest_batch_duration_seconds',
      help: 'Time to write one ingest batch to the store.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.gauges(registers);
  }

  /** The ingest service's observer: counts what a batch newly finished. */
  observeIngest = (result: IngestResult, batch: IngestBatch, durationMs: number): void => {
    this.lastIngestAt = Date.now();
    this.batchLatency.observe(durationMs / 1000);
    this.records.inc({ kind: 'execution' }, result.executions);
    this.records.inc({ kind: 'step' }, result.steps);
    this.records.inc({ kind: 'sample' }, result.samples);
    for (const { execution, steps } of result.finished ?? []) {
      const { status } = execution;
      const errorType = execution.errorType ?? '';
      // Children are kept by the names as sent while those have labels of their own; a folded
      // name is looked up each time, so that no map grows with names past the budget.
      const key = `${execution.workflow}\u0000${status}\u0000${errorType}`;
      let counted = this.executionChildren.get(key);
      if (!counted) {
        const workflow = this.workflowLabels.label(execution.workflow);
        counted = kept(this.executionChildren, workflow === OTHER_LABEL ? `${OTHER_LABEL}\u0001${status}\u0000${errorType}` : key, () =>
          this.executions.child({ workflow, status, error_type: errorType }),
        );
      }
      counted.inc();
      const workflow = this.workflowLabels.has(execution.workflow) ? execution.workflow : OTHER_LABEL;
      if (execution.durationMs !== undefined)
        kept(this.runDurationChildren, workflow, () => this.runDuration.child({ workflow })).observe(execution.durationMs / 1000);
      const stepChildren = kept(this.stepChildren, workflow, () => new Map<string, Observer>());
      for (const { name, durationMs } of steps) {
        let observer = stepChildren.get(name);
        if (!observer) {
          const step = this.stepLabels.label(`${workflow}\u0000${name}`) === OTHER_LABEL ? OTHER_LABEL : name;
          observer = kept(stepChildren, step === OTHER_LABEL ? `${OTHER_LABEL}\u0001` : name, () => this.stepDuration.child({ workflow, step }));
        }
        observer.observe(durationMs / 1000);
      }
    }
    // Samples of hours ago (a backfill, a restore) are history, not a host's current state.
    const recent = this.lastIngestAt - this.limits.staleHostMs;
    for (const sample of batch.samples) {
      if (sample.time < recent) continue;
      const latest = this.latestSamples.get(sample.host);
      if (!latest || latest.time <= sample.time) this.latestSamples.set(sample.host, sample);
    }
  };

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private now(): number {
    return (this.sources.now ?? Date.now)();
  }

  /**
   * The workflows' schedules, learnt again every ten minutes, and at once when a workflow they
   * have not seen arrives (a new collector's first runs are not ten minutes without a schedule).
   */
  private currentSchedules(now: number, arrivals: ReadonlyMap<string, number>): NonNullable<CollectorMetrics['schedules']> {
    const unseen = [...arrivals.keys()].some((w) => !this.schedules?.seen.has(w));
    if (!this.schedules || unseen || Math.abs(now - this.schedules.at) >= SCHEDULE_TTL_MS) {
      const byWorkflow = workflowSchedules(this.sources.store, now, arrivals, { clock: this.clock });
      this.schedules = { at: now, seen: new Set(arrivals.keys()), byWorkflow, fleet: combined(byWorkflow.values()) };
    }
    return this.schedules;
  }

  /** What the database says of freshness and health: read once for the gauges of a scrape. */
  private freshness(): Freshness {
    const now = this.now();
    if (this.fresh && Math.abs(now - this.fresh.now) < 1000) return this.fresh;
    const { store } = this.sources;
    const arrivals = new Map(store.workflowArrivals().map((a) => [a.workflow, a.arrivedAt]));
    const schedules = this.currentSchedules(now, arrivals);
    const came = runsCameSince(store, arrivals, now);
    const latest = Math.max(0, ...arrivals.values());
    const overdue = new Map<string, number>();
    for (const [workflow, arrivedAt] of arrivals) {
      const schedule = schedules.byWorkflow.get(workflow);
      if (schedule) overdue.set(workflow, runsOverdue(schedule, arrivedAt, now, came.byWorkflow.get(workflow) ?? 0, this.clock));
    }
    this.fresh = {
      now,
      arrivals,
      latest,
      overdue,
      fleetOverdue: latest > 0 ? runsOverdue(schedules.fleet, latest, now, came.fleet, this.clock) : 0,
      health: storedHealth(store),
    };
    return this.fresh;
  }

  /** The hosts with a recent sample; those whose latest is older than the limit are forgotten. */
  private currentHosts(): Map<string, ResourceSample> {
    const since = Date.now() - this.limits.staleHostMs;
    for (const [host, latest] of this.latestSamples) if (latest.time < since) this.latestSamples.delete(host);
    return this.latestSamples;
  }

  /** Gauges read their value when Prometheus scrapes. */
  private gauges(registers: Registry[]): void {
    const { store, analysis, sampler } = this.sources;
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], collect: (g: Gauge<L>) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          collect(this);
        },
      });

    gauge('rpa_anomalies_open', 'Open anomalies.', [], (g) => g.set(store.listAnomalies({ status: 'open', limit: 100_000 }).length));
    gauge('rpa_anomaly_severity', 'Highest severity of the open anomalies, by metric, workflow and host.', ['metric', 'workflow', 'host'], (g) => {
      const highest = new Map<string, { labels: { metric: string; workflow: string; host: string }; severity: number }>();
      for (const a of store.listAnomalies({ status: 'open', limit: 100_000 })) {
        const workflow = a.workflow === undefined ? '' : this.workflowLabels.admit(a.workflow) ? a.workflow : OTHER_LABEL;
        const labels = { metric: a.metric, workflow, host: a.host ?? '' };
        const key = `${labels.metric}|${labels.workflow}|${labels.host}`;
        if ((highest.get(key)?.severity ?? -1) < a.severity) highest.set(key, { labels, severity: a.severity });
      }
      for (const { labels, severity } of highest.values()) g.set(labels, severity);
    });
    gauge('rpa_incidents_open', 'Open incidents.', [], (g) => g.set(store.listIncidents({ status: 'open', limit: 100_000 }).length));
    gauge('rpa_insights_open', 'Open insights by priority band (high >= 0.5, medium >= 0.25).', ['priority'], (g) => {
      const open = store.listInsights({ status: 'open' });
      for (const [band, min] of PRIORITY_BANDS) {
        const upper = PRIORITY_BANDS[PRIORITY_BANDS.findIndex(([b]) => b === band) - 1]?.[1] ?? Infinity;
        g.set({ priority: band }, open.filter((i) => i.priorityScore >= min && i.priorityScore < upper).length);
      }
    });
    const host = (name: string, help: string, value: (s: ResourceSample) => number | undefined) =>
      gauge(name, help, ['host'], (g) => {
        for (const [hostName, sample] of this.currentHosts()) {
          const v = value(sample);
          if (v !== undefined) g.set({ host: hostName }, v);
        }
      });
    host('rpa_host_cpu_percent', 'Latest CPU use of each host, in percent.', (s) => s.cpuPercent);
    host('rpa_host_memory_used_bytes', 'Latest memory in use on each host.', (s) => s.memoryUsedBytes);
    host('rpa_host_memory_total_bytes', 'Memory of each host.', (s) => s.memoryTotalBytes);
    host('rpa_host_gpu_percent', 'Latest GPU use of each host that has one, in percent.', (s) => s.gpuPercent);
    host('rpa_host_disk_used_bytes', 'Latest space used on the working volume of each host whose agent reports it.', (s) => s.diskUsedBytes);
    host('rpa_host_disk_total_bytes', 'Size of the working volume of each host whose agent reports it.', (s) => s.diskTotalBytes);
    host('rpa_host_disk_read_bytes_per_second', 'Latest disk read rate of each host.', (s) => s.diskReadBytesPerSec);
    host('rpa_host_disk_write_bytes_per_second', 'Latest disk write rate of each host.', (s) => s.diskWriteBytesPerSec);
    host('rpa_host_network_receive_bytes_per_second', 'Latest network receive rate of each host.', (s) => s.netRxBytesPerSec);
    host('rpa_host_network_transmit_bytes_per_second', 'Latest network transmit rate of each host.', (s) => s.netTxBytesPerSec);

    const health = <K extends 'successRatio' | 'baselineSuccessRatio' | 'p95Seconds' | 'baselineP95Seconds'>(name: string, help: string, key: K) =>
      gauge(name, help, ['workflow'], (g) => {
        // Ratios and quantiles do not add up: a workflow past the budget has none of its own.
        for (const h of this.freshness().health) if (h[key] !== null && this.workflowLabels.admit(h.workflow)) g.set({ workflow: h.workflow }, h[key]!);
      });
    health('rpa_workflow_success_ratio', 'Share of the latest 20 finished runs of each workflow that completed.', 'successRatio');
    health('rpa_workflow_success_ratio_baseline', 'Share of completed runs in the 7 days before those 20 runs.', 'baselineSuccessRatio');
    health('rpa_workflow_run_duration_p95_seconds', 'p95 duration of the latest 20 completed runs of each workflow.', 'p95Seconds');
    health('rpa_workflow_run_duration_p95_baseline_seconds', 'p95 run duration in the 7 days before those runs.', 'baselineP95Seconds');

    gauge('rpa_database_size_bytes', 'Size of the database files.', [], (g) => g.set(store.stats().sizeBytes));
    gauge('rpa_last_ingest_timestamp_seconds', 'When the collector last accepted a batch (Unix time); 0 before the first.', [], (g) =>
      g.set((this.lastIngestAt ?? 0) / 1000),
    );
    // Freshness from the database, so every collector on it says the same, a restart forgets
    // nothing, and a backfill of last month counts as arriving now; what is overdue by each
    // workflow's own schedule, so a quiet night or weekend is not a silence.
    gauge('rpa_last_run_ingest_timestamp_seconds', 'When a run last arrived, at any collector on the database (Unix time); 0 before the first.', [], (g) =>
      g.set(this.freshness().latest / 1000),
    );
    gauge(
      'rpa_workflow_last_run_arrival_timestamp_seconds',
      'When a run of each workflow last arrived, at any collector on the database (Unix time).',
      ['workflow'],
      (g) => {
        for (const [workflow, arrivedAt] of this.freshness().arrivals) if (this.workflowLabels.admit(workflow)) g.set({ workflow }, arrivedAt / 1000);
      },
    );
    gauge(
      'rpa_workflow_runs_overdue',
      "Runs each workflow's own schedule (its runs at each hour of the week over the last 4 weeks) expected since the hour its last run arrived in, less those that came.",
      ['workflow'],
      (g) => {
        for (const [workflow, overdue] of this.freshness().overdue) if (this.workflowLabels.admit(workflow)) g.set({ workflow }, overdue);
      },
    );
    gauge(
      'rpa_runs_overdue',
      "As rpa_workflow_runs_overdue for the whole fleet (every workflow's schedule added), since any run last arrived; 0 before the first.",
      [],
      (g) => g.set(this.freshness().fleetOverdue),
    );
    gauge('rpa_sampler_lag_seconds', "Time since the collector's own host sampler took a sample (absent when it is off).", [], (g) => {
      const status = sampler();
      if (status.enabled && status.lastSampleAt !== undefined) g.set((Date.now() - status.lastSampleAt) / 1000);
    });
    gauge('rpa_analysis_duration_seconds', 'Duration of the last analysis pass.', [], (g) => {
      if (analysis.lastReport) g.set(analysis.lastReport.durationMs / 1000);
    });
    gauge('rpa_analysis_last_run_timestamp_seconds', 'When the last analysis pass finished (Unix time).', [], (g) => {
      if (analysis.lastPassAt !== undefined) g.set(analysis.lastPassAt / 1000);
    });
  }
}
