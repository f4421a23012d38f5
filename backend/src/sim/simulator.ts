import fs from 'node:fs';
import path from 'node:path';
import { MetricsCollector } from '@rpa-analytics/sdk';
import { HttpTransport, type Transport } from '@rpa-analytics/sdk';
import type { Execution } from '@rpa-analytics/contract';
import { FleetGenerator, type SimulatedRun, type VersionChange } from './generator';
import { type Incident, INCIDENT_KINDS, type IncidentRequest } from './incidents';
import { streamLive } from './live';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface SimulationOptions {
  seed: number;
  days: number;
  /** End of the backfilled period (epoch ms); default: now, floored to the hour. */
  end?: number;
  workflows: number;
  hosts: number;
  robots: number;
  runsPerHour: number;
  /** The time zone of the fleet's business hours and weekends (default UTC). */
  timeZone?: string;
  incidents: readonly IncidentRequest[];
  sampleIntervalMs: number;
  /** Where to send: a collector URL (with an ingest token) or any transport. */
  url?: string;
  token?: string;
  transport?: Transport;
  truthFile?: string;
  /** After the backfill, keep streaming in real time until this signal aborts. */
  live?: AbortSignal;
  /** Progress lines, one per simulated day. */
  progress?: (line: string) => void;
}

export interface WorkflowTruth {
  name: string;
  steps: string[];
  robots: string[];
  /** No incident and no built-in slowness: an anomaly detector must stay quiet on it. */
  control: boolean;
  executions: number;
  failed: number;
  stepsRecorded: number;
}

/** What the simulator sent and what it injected, for tests and evaluations to check against. */
export interface GroundTruth {
  seed: number;
  from: number;
  to: number;
  days: number;
  hosts: string[];
  robots: Array<{ name: string; host: string }>;
  workflows: WorkflowTruth[];
  slowStep: { workflow: string; step: string };
  versionChanges: VersionChange[];
  incidents: Incident[];
  totals: { executions: number; steps: number; samples: number; failed: number };
}

/** How long a batch may keep failing (collector down, busy) before the simulation gives up. */
const DELIVERY_TIMEOUT_MS = 30_000;

/** Generates the fleet's history and sends it through the SDK; resolves when all of it is acknowledged. */

/**
 * 00:00 UTC of the latest Monday at or before `time`: a simulated period ending there has the
 * fleet's week (business hours, weekends) on the same days whenever it is run.
 */
export function latestMonday(time: number): number {
  const day = 86_400_000;
  const midnight = Math.floor(time / day) * day;
  return midnight - ((new Date(midnight).getUTCDay() + 6) % 7) * day;
}

/** The demo's fleet as `npm run demo` sends it by default: what the evaluation and the report pages judge. */
export const DEMO_FLEET = { workflows: 12, hosts: 6, robots: 10, runsPerHour: 4, incidents: INCIDENT_KINDS, sampleIntervalMs: 60_000 } as const;

export async function runSimulation(options: SimulationOptions): Promise<GroundTruth> {
  const to = options.end ?? Math.floor(Date.now() / HOUR) * HOUR;
  const from = to - options.days * DAY;
  const generator = new FleetGenerator({ ...options, from, to });
  const transport = options.transport ?? new HttpTransport({ url: requireUrl(options.url), token: options.token });
  const failures: string[] = [];
  const sdk = new MetricsCollector({
    transport,
    bufferSize: 5000,
    maxBatchRecords: 5000,
    flushIntervalMs: 1000,
    onError: (error) => failures.push(error.message),
  }).start();
  const truth = emptyTruth(options, generator, from, to);
  const byWorkflow = new Map(truth.workflows.map((w) => [w.name, w]));

  for (let hourStart = Math.floor(from / HOUR) * HOUR; hourStart < to; hourStart += HOUR) {
    const { runs, samples } = generator.hour(hourStart);
    for (const run of runs.filter((r) => r.execution.startedAt >= from)) {
      record(sdk, run);
      countRun(truth, byWorkflow.get(run.execution.workflow)!, run.execution, run.steps.length);
    }
    for (const sample of samples.filter((s) => s.time >= from)) {
      sdk.recordResourceSample(sample);
      truth.totals.samples++;
    }
    if (sdk.pending > 20_000) {
      await sdk.flush({ timeoutMs: DELIVERY_TIMEOUT_MS });
      if (failures.length > 0) throw new Error(`simulation could not deliver everything: ${failures[0]}`);
    }
    const day = Math.round((hourStart + HOUR - from) / DAY);
    if ((hourStart + HOUR - from) % DAY === 0 || hourStart + HOUR >= to) {
      options.progress?.(`day ${day}/${options.days}: ${truth.totals.executions} runs, ${truth.totals.samples} samples generated`);
    }
  }
  await sdk.flush({ timeoutMs: DELIVERY_TIMEOUT_MS });
  if (failures.length > 0) throw new Error(`simulation could not deliver everything: ${failures[0]}`);
  truth.incidents = generator.incidents.map((incident) => ({ ...incident }));
  if (options.truthFile) writeTruth(options.truthFile, truth);
  if (options.live) {
    options.progress?.('backfill done; streaming live (Ctrl-C stops)');
    await streamLive(generator, sdk, to, options.live);
  }
  await sdk.shutdown();
  return truth;
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('simulation needs --url (the collector, e.g. http://127.0.0.1:5001)');
  return url;
}

function record(sdk: MetricsCollector, run: SimulatedRun): void {
  sdk.recordExecution(run.execution);
  for (const step of run.steps) sdk.recordStep(step.executionId, step.name, step.durationMs, step);
}

function countRun(truth: GroundTruth, workflow: WorkflowTruth, execution: Execution, steps: number): void {
  const failed = execution.status !== 'completed' ? 1 : 0;
  workflow.executions++;
  workflow.failed += failed;
  workflow.stepsRecorded += steps;
  truth.totals.executions++;
  truth.totals.failed += failed;
  truth.totals.steps += steps;
}

function emptyTruth(options: SimulationOptions, generator: FleetGenerator, from: number, to: number): GroundTruth {
  const { fleet } = generator;
  const touched = new Set(generator.incidents.map((i) => i.workflow).filter(Boolean));
  const hitRobots = new Set([
    // A saturated host slows the runs on it; a leaking one does not (until it is full).
    ...generator.incidents.filter((i) => i.kind === 'cpu_saturation').flatMap((i) => fleet.robots.filter((r) => r.host === i.host).map((r) => r.name)),
    // A robot without a licence fails runs on every workflow it serves.
    ...generator.incidents.flatMap((i) => i.robot ?? []),
  ]);
  return {
    seed: options.seed,
    from,
    to,
    days: options.days,
    hosts: fleet.hosts,
    robots: fleet.robots,
    workflows: fleet.workflows.map((w) => ({
      name: w.name,
      steps: w.steps.map((s) => s.name),
      robots: w.robots,
      control: !touched.has(w.name) && w.name !== fleet.slowStep.workflow && !w.robots.some((r) => hitRobots.has(r)),
      executions: 0,
      failed: 0,
      stepsRecorded: 0,
    })),
    slowStep: fleet.slowStep,
    versionChanges: generator.versionChanges,
    incidents: [],
    totals: { executions: 0, steps: 0, samples: 0, failed: 0 },
  };
}

function writeTruth(file: string, truth: GroundTruth): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(truth, null, 2)}\n`);
}
