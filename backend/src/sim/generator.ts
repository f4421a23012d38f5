import type { ErrorType, Execution, ResourceSample, Step } from '@rpa-analytics/contract';
import { buildFleet, type Fleet, type FleetOptions, loadFactor, type SimWorkflow } from './fleet';
import { type Incident, type IncidentRequest, isActive, planIncidents, STEP_TIMEOUT_MS } from './incidents';
import { Random } from './random';
import { localClock, type LocalClock } from '../analysis/localClock';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;

export interface GeneratorOptions extends FleetOptions {
  seed: number;
  from: number;
  to: number;
  incidents: readonly IncidentRequest[];
  sampleIntervalMs: number;
}

export interface SimulatedRun {
  execution: Execution;
  steps: Step[];
}

export interface VersionChange {
  workflow: string;
  version: string;
  at: number;
}

const BUSINESS_ERRORS = ['Invoice INV-{n} not found in ERP', 'Vendor {n} is blocked for posting', 'Customer {n} has no valid address'];
const APPLICATION_ERRORS = [
  "Selector not found: #btnSubmit in window 'SAP Easy Access'",
  "Element 'Save' not clickable after 30000 ms",
  'Unexpected popup: Session {n} expired',
];

/**
 * Generates the fleet's traffic hour by hour: runs with their steps and host samples, with
 * seasonality, exceptions, version changes and the planned incidents. Pure and deterministic:
 * the same options give the same records.
 */
export class FleetGenerator {
  readonly fleet: Fleet;
  readonly incidents: Incident[];
  readonly versionChanges: VersionChange[];
  private readonly random: Random;
  /** The fleet's wall clock: its business hours and weekends. */
  private readonly clock: LocalClock;
  /** The draws of a workflow that runs around the clock: the rest of the fleet's traffic stays as it is without it. */
  private readonly aroundTheClock: Random;
  /** The draws of a robot's or a step's incident: the rest of the fleet's traffic stays as it is without them. */
  private readonly incidentDraws: Random;
  private readonly counters: number[];
  private readonly running = new Map<string, Array<{ start: number; end: number; execution: Execution }>>();
  private readonly robotHost: Map<string, string>;
  /** Runs and samples are generated up to here; live streaming moves it forward. */
  private horizon: number;

  constructor(private readonly options: GeneratorOptions) {
    this.fleet = buildFleet(options.seed, options);
    this.clock = localClock(options.timeZone);
    this.incidents = planIncidents(this.fleet, options.from, options.to, options.incidents, this.clock);
    this.random = new Random(options.seed).fork('traffic');
    this.aroundTheClock = new Random(options.seed).fork('around the clock');
    this.incidentDraws = new Random(options.seed).fork('incident draws');
    this.counters = this.fleet.workflows.map(() => 0);
    this.robotHost = new Map(this.fleet.robots.map((r) => [r.name, r.host]));
    this.versionChanges = this.planVersions();
    this.horizon = options.to;
  }

  /** Lets the fleet go on past the planned period (live streaming); incidents keep their plan. */
  continueUntil(time: number): void {
    this.horizon = Math.max(this.horizon, time);
  }

  /** Runs started in [hourStart, hourStart + 1 h), in start order, and the hosts' samples for that hour. */
  hour(hourStart: number): { runs: SimulatedRun[]; samples: ResourceSample[] } {
    const runs: SimulatedRun[] = [];
    this.fleet.workflows.forEach((workflow, w) => {
      // A workflow that stops at some point runs around the clock, at its incident's rate.
      const draw = (r: Random, mean: number) => Array.from({ length: r.poisson(mean) }, () => hourStart + Math.floor(r.next() * HOUR)).sort((a, b) => a - b);
      const starts = draw(this.random, workflow.peakRunsPerHour * loadFactor(hourStart, this.clock));
      const stop = this.incidents.find((i) => i.kind === 'workflow_stop' && i.workflow === workflow.name);
      if (stop) {
        // Around the clock, from draws of its own: the rest of the fleet is drawn as it would be
        // without it (its business-hours runs are drawn, and left out).
        for (const startedAt of starts) this.run(workflow, w, startedAt, this.random, true);
        for (const startedAt of draw(this.aroundTheClock, stop.magnitude)) {
          if (startedAt < this.horizon && !isActive(stop, startedAt)) runs.push(this.run(workflow, w, startedAt, this.aroundTheClock));
        }
        return;
      }
      for (const startedAt of starts) if (startedAt < this.horizon) runs.push(this.run(workflow, w, startedAt, this.random));
    });
    runs.sort((a, b) => a.execution.startedAt - b.execution.startedAt);
    for (const run of runs) {
      const host = run.execution.host!;
      const list = this.running.get(host) ?? [];
      list.push({ start: run.execution.startedAt, end: run.execution.endedAt!, execution: run.execution });
      this.running.set(host, list);
    }
    return { runs, samples: this.samples(hourStart) };
  }

  versionAt(workflow: string, time: number): string {
    let version = '1.0.0';
    for (const change of this.versionChanges) if (change.workflow === workflow && change.at <= time) version = change.version;
    return version;
  }

  private planVersions(): VersionChange[] {
    const { from, to } = this.options;
    const changes: VersionChange[] = [];
    this.fleet.workflows.forEach((workflow, w) => {
      if (w % 3 === 0) changes.push({ workflow: workflow.name, version: '1.1.0', at: from + Math.round(0.3 * (to - from)) });
    });
    for (const incident of this.incidents) {
      if (incident.kind === 'level_shift') changes.push({ workflow: incident.workflow!, version: incident.version!, at: incident.start });
    }
    return changes.sort((a, b) => a.at - b.at);
  }

  /** A run, its draws taken from `r`; a `dry` one only takes them (not sent, no mark on the ground truth). */
  private run(workflow: SimWorkflow, w: number, startedAt: number, r: Random, dry = false): SimulatedRun {
    const id = dry ? '' : `s${this.options.seed}-w${String(w).padStart(2, '0')}-${String(++this.counters[w]).padStart(6, '0')}`;
    const robot = r.pick(workflow.robots);
    const host = this.robotHost.get(robot)!;
    const active = this.incidents.filter(
      (i) => i.kind !== 'workflow_stop' && isActive(i, startedAt) && (i.workflow === workflow.name || i.host === host || i.robot === robot),
    );
    let slowdown = 1 + 0.15 * loadFactor(startedAt, this.clock);
    let failure: { type: ErrorType; message: string } | undefined;
    let shiftedStep: string | undefined;
    /** The active incidents that change this run: every one that slows it, and the one that fails it. */
    const changing = new Set<Incident>();
    for (const incident of active) {
      if (!dry) {
        incident.affectedExecutions++;
        incident.firstAffectedExecution ??= id;
      }
      if (incident.kind === 'latency_spike' || incident.kind === 'slow_drift' || incident.kind === 'level_shift') changing.add(incident);
      if (incident.kind === 'latency_spike') slowdown *= incident.magnitude;
      if (incident.kind === 'cpu_saturation' || incident.kind === 'robot_licence') {
        if (incident.kind === 'cpu_saturation') slowdown *= 1.6;
        if (!dry && !incident.workflows?.includes(workflow.name)) (incident.workflows ??= []).push(workflow.name);
      }
      if (incident.kind === 'slow_drift') slowdown *= 1 + (incident.magnitude * (startedAt - incident.start)) / DAY;
      if (incident.kind === 'level_shift') shiftedStep = incident.step;
      if (incident.kind === 'failure_burst' && r.chance(incident.magnitude)) {
        failure = { type: 'system', message: `Citrix session disconnected (code ${r.int(1000, 1099)})` };
        changing.add(incident);
      }
    }
    const roll = r.next();
    const fill = (template: string) => template.replace('{n}', String(r.int(1000, 99999)));
    if (!failure && roll < workflow.businessFailureRate) failure = { type: 'business', message: fill(r.pick(BUSINESS_ERRORS)) };
    else if (!failure && roll < workflow.businessFailureRate + workflow.applicationFailureRate) {
      failure = { type: 'application', message: fill(r.pick(APPLICATION_ERRORS)) };
    } else if (!failure && roll > 0.998) failure = { type: 'timeout', message: 'Run exceeded its 30 minute limit' };
    const failingStep = failure ? r.int(1, workflow.steps.length - 1) : -1;

    const steps: Step[] = [];
    let t = startedAt + r.int(50, 400);
    for (let index = 0; index < workflow.steps.length; index++) {
      const spec = workflow.steps[index];
      const multiplier = slowdown * (spec.name === shiftedStep ? 2.5 : 1);
      const durationMs = Math.round(r.logNormal(spec.medianMs, spec.sigma) * multiplier);
      const failed = index === failingStep;
      const step: Step = { executionId: id, index, name: spec.name, startedAt: t, durationMs, status: failed ? 'failed' : 'completed' };
      if (failed) step.error = failure!.message;
      steps.push(step);
      t += durationMs + r.int(20, 200);
      if (failed) break;
    }
    // A robot's or a step's incident fails the run where it hits, after the run's own draws.
    const hit = this.incidentFailure(active, robot, steps);
    if (hit) {
      steps.splice(hit.step + 1);
      const failed = steps[hit.step];
      Object.assign(failed, { durationMs: hit.durationMs, status: 'failed', error: hit.message });
      t = failed.startedAt + hit.durationMs + 100;
      failure = { type: hit.type, message: hit.message };
    }
    const failedAt = hit?.step ?? failingStep;
    const execution: Execution = {
      id,
      workflow: workflow.name,
      robot,
      host,
      packageVersion: this.versionAt(workflow.name, startedAt),
      startedAt,
      endedAt: t,
      durationMs: t - startedAt,
      status: failure ? (failure.type === 'timeout' ? 'timeout' : 'failed') : 'completed',
      stepsTotal: workflow.steps.length,
      stepsCompleted: failure ? failedAt : workflow.steps.length,
    };
    if (failure) {
      execution.errorType = failure.type;
      execution.errorMessage = failure.message;
    }
    if (hit) {
      // The failure is the licence's or the timeout's: a burst's draw it overrode changed nothing.
      for (const incident of changing) if (incident.kind === 'failure_burst') changing.delete(incident);
      changing.add(hit.incident);
    }
    if (!dry) for (const incident of changing) incident.firstEvidenceAt = Math.min(incident.firstEvidenceAt ?? Infinity, t);
    return { execution, steps };
  }

  /**
   * Where a robot's licence (at launch, 80% of its runs) or a hanging step (at that step, after
   * waiting `STEP_TIMEOUT_MS`, half the runs) fails a run, if it does; a run that failed before
   * reaching the step keeps its own failure.
   */
  private incidentFailure(active: readonly Incident[], robot: string, steps: readonly Step[]) {
    const r = this.incidentDraws;
    const licence = active.find((i) => i.kind === 'robot_licence');
    if (licence && r.chance(licence.magnitude)) {
      return {
        incident: licence,
        step: 0,
        durationMs: 800 + r.int(0, 400),
        type: 'system' as ErrorType,
        message: 'Licence expired: this robot has no valid unattended licence',
      };
    }
    const timeout = active.find((i) => i.kind === 'step_timeout');
    const step = steps.findIndex((s) => s.name === timeout?.step);
    if (timeout && r.chance(timeout.magnitude) && step >= 0) {
      return {
        incident: timeout,
        step,
        durationMs: STEP_TIMEOUT_MS,
        type: 'timeout' as ErrorType,
        message: `Step '${timeout.step}' timed out after ${STEP_TIMEOUT_MS / 1000} s waiting for the application`,
      };
    }
    return undefined;
  }

  private samples(hourStart: number): ResourceSample[] {
    const r = this.random;
    const samples: ResourceSample[] = [];
    const interval = this.options.sampleIntervalMs;
    for (const [index, host] of this.fleet.hosts.entries()) {
      const runs = (this.running.get(host) ?? []).filter((run) => run.end >= hourStart);
      this.running.set(host, runs);
      const saturation = this.incidents.find((i) => i.kind === 'cpu_saturation' && i.host === host);
      const leak = this.incidents.find((i) => i.kind === 'memory_leak' && i.host === host);
      for (let time = hourStart; time < hourStart + HOUR && time < this.horizon; time += interval) {
        const now = runs.filter((run) => run.start <= time && time < run.end);
        let cpu = Math.min(100, Math.max(0, 6 + 28 * now.length + 4 * r.normal()));
        if (saturation && isActive(saturation, time)) cpu = r.uniform(saturation.magnitude, 100);
        const sample: ResourceSample = {
          host,
          time,
          cpuPercent: Math.round(cpu * 10) / 10,
          memoryUsedBytes: Math.round(
            Math.min(
              16,
              5 + 2.5 * now.length + 0.3 * r.normal() + (leak && isActive(leak, time) ? (16 * leak.magnitude * (time - leak.start)) / HOUR / 100 : 0),
            ) * GIB,
          ),
          memoryTotalBytes: 16 * GIB,
          // Drawn from no random number (the rest of the traffic stays as it was without it).
          diskUsedBytes: Math.round(diskShare(index, time) * DISK_BYTES),
          diskTotalBytes: DISK_BYTES,
          diskReadBytesPerSec: Math.round(Math.max(0, 200_000 * now.length + 20_000 * r.normal())),
          diskWriteBytesPerSec: Math.round(Math.max(0, 120_000 * now.length + 15_000 * r.normal())),
          netRxBytesPerSec: Math.round(Math.max(0, 400_000 * now.length + 30_000 * r.normal())),
          netTxBytesPerSec: Math.round(Math.max(0, 90_000 * now.length + 10_000 * r.normal())),
        };
        if (now.length === 1) {
          sample.workflow = now[0].execution.workflow;
          sample.executionId = now[0].execution.id;
        }
        samples.push(sample);
      }
    }
    return samples;
  }
}

/** Each simulated host's working volume. */
const DISK_BYTES = 256 * GIB;

/**
 * The share of a host's volume in use at `time`: 40% plus 5% a host (of six, then again),
 * growing 2% over a day as robots leave downloads and logs behind, cleared back each night at
 * 02:00 UTC.
 */
function diskShare(host: number, time: number): number {
  const sinceCleanUp = (((time - 2 * HOUR) % DAY) + DAY) % DAY;
  return 0.4 + 0.05 * (host % 6) + (0.02 * sinceCleanUp) / DAY;
}
