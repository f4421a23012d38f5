import { isWeekendDay, localClock, type LocalClock } from '../analysis/localClock';
import type { Fleet } from './fleet';

export const INCIDENT_KINDS = [
  'latency_spike',
  'level_shift',
  'failure_burst',
  'slow_drift',
  'cpu_saturation',
  'memory_leak',
  'workflow_stop',
  'robot_licence',
  'step_timeout',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** One injected incident, as written to the ground-truth file. */
export interface Incident {
  id: string;
  kind: IncidentKind;
  description: string;
  start: number;
  /** Absent for incidents that last until the end of the simulated period. */
  end?: number;
  workflow?: string;
  host?: string;
  /** For a robot's incident: the robot whose runs it fails, on whatever workflow they are. */
  robot?: string;
  step?: string;
  version?: string;
  /**
   * Duration multiplier (latency), failure probability (burst), growth per day (drift), CPU floor
   * (saturation), memory growth in % of the host's memory an hour (leak), runs an hour it
   * usually has around the clock (stop), share of the robot's runs that fail (licence), share of
   * the runs whose step times out (timeout).
   */
  magnitude: number;
  affectedExecutions: number;
  firstAffectedExecution?: string;
  /**
   * When the first run it changed ended: the first it slowed, or the first failure it caused
   * (a stop, or a saturated host's samples: its start; a leak changes no run). No detector can
   * see it sooner.
   */
  firstEvidenceAt?: number;
  /** For a host's or a robot's incident: the workflows whose runs it hit (those that ran on the host or the robot meanwhile). */
  workflows?: string[];
}

/** An incident to inject: by kind (placed by the plan) or with its start time. */
export type IncidentRequest = IncidentKind | { kind: IncidentKind; start: number };

const HOUR = 3600_000;
/** How long a step waits before it times out, in a `step_timeout` incident. */
export const STEP_TIMEOUT_MS = 120_000;

/**
 * 09:00 of the fleet's clock on the first weekday at or after `time` whose incident of `length`
 * still ends inside the period, or else on the last weekday before it: an incident placed on a
 * weekend morning would hit the fleet's quietest hours (a period ending on a Monday put the
 * failure burst on a Sunday, on no run at all).
 */
function businessMorning(time: number, periodEnd: number, length: number, clock: LocalClock): number {
  const first = Math.floor(clock.hour(time) / 24);
  const morning = (day: number) => clock.startOf(day * 24 + 9);
  for (let day = first; morning(day) + length < periodEnd; day++) if (!isWeekendDay(day)) return morning(day);
  let day = first - 1;
  while (isWeekendDay(day)) day--;
  return morning(day);
}

/**
 * Places the incidents over the period, each on its own workflow (workflows 1 to 4; workflow 0
 * carries the chronically slow step) or host, late enough that baselines have history before it.
 */
export function planIncidents(fleet: Fleet, from: number, to: number, requests: readonly IncidentRequest[], clock: LocalClock = localClock()): Incident[] {
  const span = to - from;
  const startOf = new Map<IncidentKind, number>();
  const kinds = requests.map((r) => {
    if (typeof r === 'string') return r;
    startOf.set(r.kind, r.start);
    return r.kind;
  });
  const at = (fraction: number, length: number, kind: IncidentKind) =>
    startOf.get(kind) ?? Math.min(businessMorning(from + fraction * span, to, length, clock), to - length - HOUR);
  const workflow = (i: number) => fleet.workflows[Math.min(i, fleet.workflows.length - 1)];
  const incidents: Incident[] = [];
  for (const kind of kinds) {
    switch (kind) {
      case 'latency_spike': {
        const start = at(0.72, 2 * HOUR, kind);
        incidents.push({
          id: 'latency-spike',
          kind,
          start,
          end: start + 2 * HOUR,
          workflow: workflow(1).name,
          magnitude: 3,
          description: `${workflow(1).name} runs 3x slower for 2 hours`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'level_shift': {
        const w = workflow(2);
        const step = w.steps[2].name;
        incidents.push({
          id: 'level-shift',
          kind,
          start: at(0.45, 0, kind),
          workflow: w.name,
          step,
          version: '2.0.0',
          magnitude: 2.5,
          description: `${w.name} 2.0.0 makes step '${step}' 2.5x slower from its release on`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'failure_burst': {
        const start = at(0.86, 4 * HOUR, kind);
        incidents.push({
          id: 'failure-burst',
          kind,
          start,
          end: start + 4 * HOUR,
          workflow: workflow(3).name,
          magnitude: 0.7,
          description: `${workflow(3).name} fails 70% of runs for 4 hours (Citrix session drops)`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'slow_drift': {
        incidents.push({
          id: 'slow-drift',
          kind,
          start: startOf.get(kind) ?? from + Math.round(0.4 * span),
          workflow: workflow(4).name,
          magnitude: 0.08,
          description: `${workflow(4).name} gets 8% slower every day`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'workflow_stop': {
        // A workflow that runs around the clock (a queue worker) stops at 02:00 for 4 hours: at
        // night, when the fleet's other workflows are quiet anyway.
        const w = workflow(11);
        const start = at(0.55, 4 * HOUR, kind) - 7 * HOUR;
        incidents.push({
          id: 'workflow-stop',
          kind,
          start,
          end: start + 4 * HOUR,
          workflow: w.name,
          magnitude: 2 * w.peakRunsPerHour,
          description: `${w.name} runs around the clock, about ${(2 * w.peakRunsPerHour).toFixed(0)} runs an hour, and stops for 4 hours at night`,
          affectedExecutions: 0,
          // Its first missing run is due at once.
          firstEvidenceAt: start,
        });
        break;
      }
      case 'memory_leak': {
        // A robot process leaks until the host is restarted, 7 hours on: memory climbs about 9% an hour.
        const start = at(0.3, 7 * HOUR, kind);
        const host = fleet.hosts[Math.min(2, fleet.hosts.length - 1)];
        incidents.push({
          id: 'memory-leak',
          kind,
          start,
          end: start + 7 * HOUR,
          host,
          magnitude: 9,
          description: `${host} leaks memory, about 9% of it an hour, until it is restarted 7 hours later`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'robot_licence': {
        // A robot's licence expires on a weekday morning and is renewed 5 hours later: 80% of its
        // runs fail at launch, on every workflow it serves; its peers run fine. The robot that
        // serves the fewest workflows: the rest of the fleet keeps its controls.
        const start = at(0.65, 5 * HOUR, kind);
        const served = (robot: string) => fleet.workflows.filter((w) => w.robots.includes(robot)).length;
        const robot = fleet.robots
          .map((r) => r.name)
          .filter((r) => served(r) > 0)
          .sort((a, b) => served(a) - served(b))[0];
        incidents.push({
          id: 'robot-licence',
          kind,
          start,
          end: start + 5 * HOUR,
          robot,
          magnitude: 0.8,
          description: `${robot}'s licence expires: 80% of its runs fail at launch for 5 hours, on every workflow it serves`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'step_timeout': {
        // A step waits on an application that hangs: it times out in half the runs for 2 hours, from
        // 14:00; on the busiest workflow (around the clock, when one stops at night), that half is many runs.
        const w = workflow(11);
        const step = w.steps[2].name;
        const start = at(0.79, 7 * HOUR, kind) + 5 * HOUR;
        incidents.push({
          id: 'step-timeout',
          kind,
          start,
          end: start + 2 * HOUR,
          workflow: w.name,
          step,
          magnitude: 0.5,
          description: `${w.name}: step '${step}' times out (${STEP_TIMEOUT_MS / 1000} s) in half the runs for 2 hours`,
          affectedExecutions: 0,
        });
        break;
      }
      case 'cpu_saturation': {
        const start = at(0.58, 3 * HOUR, kind);
        const host = fleet.robots.find((r) => fleet.workflows[5 % fleet.workflows.length].robots.includes(r.name))?.host ?? fleet.hosts[0];
        incidents.push({
          id: 'cpu-saturation',
          kind,
          start,
          end: start + 3 * HOUR,
          host,
          magnitude: 92,
          // Its host's samples show it at once.
          firstEvidenceAt: start,
          description: `${host} CPU saturated (above 92%) for 3 hours; runs on it 1.6x slower`,
          affectedExecutions: 0,
        });
        break;
      }
    }
  }
  return incidents;
}

export function isActive(incident: Incident, time: number): boolean {
  return time >= incident.start && (incident.end === undefined || time < incident.end);
}
