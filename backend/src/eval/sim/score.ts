import type { Anomaly, AnomalyMetric, Incident as ReportedIncident } from '@rpa-analytics/contract';
import type { Incident as InjectedIncident } from '../../sim/incidents';
import { median } from '../../analysis/stats';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What the simulator injected and over which period: the ground truth. */
export interface SimTruth {
  from: number;
  to: number;
  incidents: readonly InjectedIncident[];
  /** The fleet's workflows; controls are touched by no incident and should raise nothing. */
  workflows?: ReadonlyArray<{ name: string; control: boolean }>;
}

export interface ScoreOptions {
  /** An anomaly may start this long before its incident (a detector's window straddles the start). */
  leadMs?: number;
  /** An anomaly may start this long after its incident ended (the evidence arrives with runs that end later). */
  graceMs?: number;
  /** Anomalies before this much of the period are not counted as unexplained: baselines are still forming. */
  settleMs?: number;
}

export interface IncidentScore {
  id: string;
  kind: InjectedIncident['kind'];
  found: boolean;
  /** The first matching anomaly's start minus the incident's start, in minutes: where it says the problem began. */
  delayMinutes: number | null;
  /**
   * When the first matching anomaly was detected (its `detectedAt`: the end of the run, hour or
   * host bucket that tipped it over; its start where it has none) minus the incident's start, in
   * minutes: how long the problem went unreported, in the data's time.
   */
  detectedMinutes: number | null;
  /**
   * The same, from the end of the first run it changed (`firstEvidenceAt`) instead of its start:
   * the detector's share of the delay, the fleet's traffic left out (0 when a step of that run
   * tipped it over before the run ended). Null when missed or when nothing showed it.
   */
  afterEvidenceMinutes: number | null;
  anomalies: number;
  /** Reported incidents made of its anomalies alone: one is what people should see. */
  pureIncidents: number;
}

export interface SimScore {
  injected: number;
  found: number;
  recall: number;
  incidents: IncidentScore[];
  /** Anomalies that start in the period (those after it are left out of every figure). */
  anomalies: number;
  /** Anomalies that start after the period: the fleet stopped with the simulation. */
  afterPeriod: number;
  /** Anomalies that match no injected incident, after the settling period. */
  unexplained: number;
  /** Per day of the period after settling; null when nothing of the period is past it. */
  unexplainedPerDay: number | null;
  reportedIncidents: number;
  /** Anomalies on control workflows (touched by no incident): each is a false alarm. */
  controlAnomalies: number;
  /** Reported incidents all of whose anomalies belong to one injected incident. */
  pure: number;
  /** Reported incidents with anomalies of several injected incidents, or of one and of none. */
  mixed: number;
  /** Reported incidents none of whose anomalies belong to an injected incident. */
  noise: number;
  /**
   * The median `detectedMinutes` of the incidents of one workflow (a workflow's own slowdown,
   * failures, stop or step; not a host's or a robot's), found or not (a miss counts as never):
   * the simulator's workflows run several times an hour. Null when there are none.
   */
  medianDetectedMinutes: number | null;
  /** The median `afterEvidenceMinutes` of the same incidents, of those a run showed (a miss counts as never). */
  medianAfterEvidenceMinutes: number | null;
}

const DURATIONS: readonly AnomalyMetric[] = ['run_duration', 'step_duration'];

/** Whether `anomaly` is on the subject and the measure that `incident` changed (time aside). */
export function onSubject(anomaly: Pick<Anomaly, 'metric' | 'workflow' | 'step' | 'host' | 'robot'>, incident: InjectedIncident): boolean {
  switch (incident.kind) {
    case 'latency_spike':
    case 'slow_drift':
    case 'level_shift':
      return anomaly.workflow === incident.workflow && DURATIONS.includes(anomaly.metric);
    case 'failure_burst':
    case 'step_timeout':
      return anomaly.workflow === incident.workflow && anomaly.metric === 'failure_rate';
    case 'robot_licence':
      // The robot's own failures, or those of the workflows whose runs it made meanwhile.
      if (anomaly.robot !== undefined) return anomaly.robot === incident.robot && anomaly.metric === 'failure_rate';
      return anomaly.workflow !== undefined && (incident.workflows ?? []).includes(anomaly.workflow) && anomaly.metric === 'failure_rate';
    case 'workflow_stop':
      return anomaly.workflow === incident.workflow && anomaly.metric === 'volume';
    case 'memory_leak':
      return anomaly.host === incident.host && anomaly.metric === 'host_memory';
    case 'cpu_saturation':
      // The host's own CPU, or the durations of the workflows whose runs it slowed.
      if (anomaly.host === incident.host) return anomaly.metric === 'host_cpu' || DURATIONS.includes(anomaly.metric);
      return anomaly.workflow !== undefined && (incident.workflows ?? []).includes(anomaly.workflow) && DURATIONS.includes(anomaly.metric);
  }
}

/**
 * Scores what a collector reported against the simulator's ground truth: recall (an incident is
 * found by an anomaly on its subject and measure that starts within its window), detection delay,
 * anomalies explained by no incident per day after the settling period, and how pure the reported
 * incidents are.
 */
export function scoreSimulation(
  truth: SimTruth,
  allAnomalies: readonly Anomaly[],
  allReported: readonly ReportedIncident[],
  options: ScoreOptions = {},
): SimScore {
  // The simulated fleet stops at the end of its period; what a collector says of the hours after
  // (no runs: "runs per hour unusually low") is about the simulation stopping, not about the fleet.
  const anomalies = allAnomalies.filter((a) => a.startedAt < truth.to);
  const reported = allReported.filter((i) => i.startedAt < truth.to);
  const lead = options.leadMs ?? HOUR;
  const grace = options.graceMs ?? 6 * HOUR;
  const settle = options.settleMs ?? 7 * DAY;
  const explains = (anomaly: Anomaly, incident: InjectedIncident) =>
    onSubject(anomaly, incident) && anomaly.startedAt >= incident.start - lead && anomaly.startedAt <= (incident.end ?? truth.to) + grace;
  const cause = new Map<string, string | undefined>(anomalies.map((a) => [a.id, truth.incidents.find((i) => explains(a, i))?.id]));
  let pure = 0;
  let mixed = 0;
  let noise = 0;
  const pureOf = new Map<string, number>();
  for (const incident of reported) {
    const causes = new Set(incident.anomalyIds.map((id) => cause.get(id)));
    if (!causes.size || (causes.size === 1 && causes.has(undefined))) noise++;
    else if (causes.size === 1) {
      pure++;
      const id = [...causes][0]!;
      pureOf.set(id, (pureOf.get(id) ?? 0) + 1);
    } else mixed++;
  }
  const incidents = truth.incidents.map((incident): IncidentScore => {
    const matching = anomalies.filter((a) => cause.get(a.id) === incident.id || explains(a, incident));
    const first = Math.min(...matching.map((a) => a.startedAt));
    const detected = Math.min(...matching.map((a) => a.detectedAt ?? a.startedAt));
    return {
      id: incident.id,
      kind: incident.kind,
      found: matching.length > 0,
      delayMinutes: matching.length ? Math.round((first - incident.start) / 60_000) : null,
      detectedMinutes: matching.length ? Math.round((detected - incident.start) / 60_000) : null,
      // A step of that run may tip it over before the run ends (steps reported as they end): 0.
      afterEvidenceMinutes:
        matching.length && incident.firstEvidenceAt !== undefined ? Math.max(0, Math.round((detected - incident.firstEvidenceAt) / 60_000)) : null,
      anomalies: matching.length,
      pureIncidents: pureOf.get(incident.id) ?? 0,
    };
  });
  const controls = new Set((truth.workflows ?? []).filter((w) => w.control).map((w) => w.name));
  const settledFrom = truth.from + settle;
  const unexplained = anomalies.filter((a) => cause.get(a.id) === undefined && a.startedAt >= settledFrom).length;
  const settledDays = (truth.to - settledFrom) / DAY;
  const found = incidents.filter((i) => i.found).length;
  const ofWorkflows = incidents.filter((_, i) => truth.incidents[i].workflow !== undefined).map((i) => i.detectedMinutes ?? Infinity);
  const shown = incidents
    .filter((_, i) => truth.incidents[i].workflow !== undefined && truth.incidents[i].firstEvidenceAt !== undefined)
    .map((i) => i.afterEvidenceMinutes ?? Infinity);
  return {
    injected: truth.incidents.length,
    found,
    recall: truth.incidents.length ? found / truth.incidents.length : 1,
    incidents,
    anomalies: anomalies.length,
    afterPeriod: allAnomalies.length - anomalies.length,
    controlAnomalies: anomalies.filter((a) => a.workflow !== undefined && controls.has(a.workflow)).length,
    unexplained,
    unexplainedPerDay: settledDays > 0 ? unexplained / settledDays : null,
    reportedIncidents: reported.length,
    pure,
    mixed,
    noise,
    medianDetectedMinutes: ofWorkflows.length ? median(ofWorkflows) : null,
    medianAfterEvidenceMinutes: shown.length ? median(shown) : null,
  };
}

/** Why two modes' scores disagree, if they do: the incidents found, and anomaly counts beyond 10% (and 2) apart. */
export function disagreement(live: SimScore, preloaded: SimScore): string | undefined {
  const found = (score: SimScore) =>
    score.incidents
      .filter((i) => i.found)
      .map((i) => i.id)
      .join(', ');
  if (found(live) !== found(preloaded)) return `live found [${found(live)}], preloaded [${found(preloaded)}]`;
  if (Math.abs(live.anomalies - preloaded.anomalies) > Math.max(2, 0.1 * preloaded.anomalies))
    return `live reports ${live.anomalies} anomalies, preloaded ${preloaded.anomalies}`;
  return undefined;
}
