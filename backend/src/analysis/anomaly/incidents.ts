import { createHash } from 'node:crypto';
import type { Anomaly, AnomalyMetric, Incident } from '@rpa-analytics/contract';
import { formatDuration, isDuration, listNames, quoteError, silenceLength, slowdownRatio } from './anomalies';
import { DEFAULT_DETECTOR_SETTINGS } from './seriesDetector';

export interface CorrelationOptions {
  /** Anomalies of one workflow, or on one host, that start this close share a cause (default 2 hours). */
  sameSubjectMs: number;
  /** Runs per hour or failures rising on several workflows at once: one fleet-wide cause (default 30 minutes). */
  fleetWideMs: number;
}

export const DEFAULT_CORRELATION: CorrelationOptions = { sameSubjectMs: 2 * 3600_000, fleetWideMs: 30 * 60_000 };

/** The longest time apart two anomalies' starts may be and still link (a workflow's slow-downs that overlap, or on a release's runs, aside). */
export const correlationReach = (options: CorrelationOptions): number => Math.max(options.sameSubjectMs, options.fleetWideMs);

/** What an anomaly is about beyond its series, read from the runs around it. */
export interface AnomalyContext {
  /**
   * The hosts it is on: a host's own anomaly, or the host a workflow's slow or failing runs
   * concentrated on while its other hosts were fine. Empty for a workflow-wide problem.
   */
  hosts: readonly string[];
  /** Whether other hosts ran the workflow meanwhile and were fine (the problem is the host's alone). */
  hostOnly?: boolean;
  /** For failures: the robot they concentrated on while the workflow's other robots ran fine (its licence, its session). */
  robot?: string;
  /**
   * For failures: chance spreads them as unevenly on the host or on the robot more than 1 time
   * in 10 (`UNEVEN_BY_CHANCE`): they still link the anomaly to others there, but no title blames it.
   */
  hostByChance?: boolean;
  robotByChance?: boolean;
  /** For a robot's own failures: the workflows it failed on. */
  workflows?: readonly string[];
  /** A package version its workflow's runs took up as it began (not run in the week before). */
  version?: string;
  /** The package versions its runs (for failures: its failed runs) ran, where they say. */
  ranVersions?: readonly string[];
  /** For failures: the error most of its failed runs share (`fingerprint`), how many share it, of how many failed. */
  error?: { pattern: string; type?: string; count: number; failed: number };
}

export type ContextOf = (anomaly: Anomaly) => AnomalyContext;

const HOST_METRICS: readonly AnomalyMetric[] = ['host_cpu', 'host_memory', 'host_disk'];
const FLEET_WIDE: readonly AnomalyMetric[] = ['volume', 'failure_rate'];
const RESOURCE_NAME: Partial<Record<AnomalyMetric, string>> = { host_cpu: 'CPU', host_memory: 'memory', host_disk: 'disk' };

interface Node {
  anomaly: Anomaly;
  context: AnomalyContext;
  parent: number;
}

function root(nodes: Node[], i: number): number {
  while (nodes[i].parent !== i) i = nodes[i].parent = nodes[nodes[i].parent].parent;
  return i;
}

/** Whether an anomaly was still going at `time` (open ones are). */
export const goingAt = (anomaly: Anomaly, time: number): boolean => anomaly.status === 'open' || (anomaly.endedAt ?? anomaly.lastSeenAt) >= time;

/**
 * How long after a slowdown that came with a version a slowdown of the same workflow's runs on that
 * version is still its doing: a detector's baseline window (`windowMs`, 7 days) holds the level
 * before the release that long, and a series that did not open on the release (a step's, the
 * run's at hours the week had not seen on the new version yet, as Monday's after a Friday
 * release) opens on it later.
 */
export const RELEASE_REACH_MS = DEFAULT_DETECTOR_SETTINGS.windowMs;

/** A duration anomaly that came with a version: later slowdowns of its workflow may be its (`sameRelease`). Its context is read only for a workflow's durations. */
export const cameWithRelease = (anomaly: Anomaly, contextOf: ContextOf): boolean =>
  isDuration(anomaly.metric) && anomaly.workflow !== undefined && contextOf(anomaly).version !== undefined;

/**
 * Whether `b`, a duration anomaly of `a`'s workflow, is on the runs of the version `a`'s slowdown
 * came with, the same way, within `RELEASE_REACH_MS`, and on every host (a release slows them all:
 * runs slow on one host are that host's).
 */
function sameRelease(a: Node, b: Node): boolean {
  const version = a.context.version;
  return (
    version !== undefined &&
    b.anomaly.startedAt - a.anomaly.startedAt <= RELEASE_REACH_MS &&
    a.anomaly.direction === b.anomaly.direction &&
    b.context.hosts.length === 0 &&
    (b.context.ranVersions ?? []).includes(version)
  );
}

/**
 * Whether two anomalies share a cause (`a` started first): the same workflow within
 * `sameSubjectMs` (or its durations, while the earlier one lasts: its run and steps slowed by one
 * cause; or on the runs of the version the earlier slowdown came with, `sameRelease`), but not a robot's failures on it and its slowdown, nor its failures and a slowdown that
 * came with a version the failed runs did not run; the same host within `sameSubjectMs` (a host's CPU and the runs slow on it); the same
 * robot within `sameSubjectMs` or while the earlier lasts (its own failures and the workflows'
 * they caused); runs per hour or
 * failures moving the same way on workflows with no host of their own within `fleetWideMs`, or
 * runs per hour down while the earlier silence lasts (the whole fleet stopped; a robot's own
 * failures are its own). Time alone links nothing: two
 * problems in the same hour stay two incidents.
 */
function sameCause(a: Node, b: Node, options: CorrelationOptions): boolean {
  const apart = b.anomaly.startedAt - a.anomaly.startedAt;
  const x = a.anomaly;
  const y = b.anomaly;
  // Failures one robot made while its peers ran fine are the robot's; a slowdown of the same
  // workflow meanwhile has its own cause (a drift, a new version).
  const byRobot = (n: Node) => n.anomaly.metric === 'failure_rate' && n.context.robot !== undefined;
  const robotAndSlowdown = (byRobot(a) && isDuration(y.metric)) || (byRobot(b) && isDuration(x.metric));
  // Failures and a slowdown that came with a new version are one cause only where the failed runs ran it.
  const [failing, slowing] = x.metric === 'failure_rate' && isDuration(y.metric) ? [a, b] : isDuration(x.metric) && y.metric === 'failure_rate' ? [b, a] : [];
  const ran = failing?.context.ranVersions;
  const version = slowing?.context.version;
  const versionApart = version !== undefined && ran !== undefined && ran.length > 0 && !ran.includes(version);
  if (x.workflow !== undefined && x.workflow === y.workflow && !robotAndSlowdown && !versionApart) {
    if (apart <= options.sameSubjectMs) return true;
    return isDuration(x.metric) && isDuration(y.metric) && (goingAt(x, y.startedAt) || sameRelease(a, b));
  }
  if (apart <= options.sameSubjectMs && a.context.hosts.some((h) => b.context.hosts.includes(h))) return true;
  // A robot's failures, while its own series is still open: its workflows' failure rates found later.
  if (a.context.robot !== undefined && a.context.robot === b.context.robot && (apart <= options.sameSubjectMs || goingAt(x, y.startedAt))) return true;
  // A workflow whose runs stop coming while another's silence lasts is part of it: the fleet, or
  // what reports its runs, stopped. Each silence is found at the hour its runs were due, hours apart.
  const silent = (n: Anomaly) => n.metric === 'volume' && n.direction === 'low';
  return (
    (apart <= options.fleetWideMs || (silent(x) && silent(y) && goingAt(x, y.startedAt))) &&
    x.metric === y.metric &&
    x.direction === y.direction &&
    FLEET_WIDE.includes(x.metric) &&
    // A robot's own failures are its own: two robots failing in one hour are two causes.
    x.robot === undefined &&
    y.robot === undefined &&
    a.context.hosts.length === 0 &&
    b.context.hosts.length === 0
  );
}

/**
 * The incidents of a set of anomalies: anomalies linked through pairs that share a cause
 * (`sameCause`). It depends on the anomalies alone, not on the order they were found in: a fleet
 * judged live, a backfill judged later and a history judged at once group alike.
 *
 * An incident's id comes from its earliest anomaly, so an incident found again keeps its id.
 */
export function groupIncidents(anomalies: readonly Anomaly[], contextOf: ContextOf, options = DEFAULT_CORRELATION): Incident[] {
  const sorted = [...anomalies].sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  const nodes: Node[] = sorted.map((anomaly, i) => ({ anomaly, context: contextOf(anomaly), parent: i }));
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i - 1; j >= 0; j--) {
      if (root(nodes, i) !== root(nodes, j) && sameCause(nodes[j], nodes[i], options)) nodes[root(nodes, i)].parent = root(nodes, j);
    }
  }
  const groups = new Map<number, Node[]>();
  for (let i = 0; i < nodes.length; i++) {
    const r = root(nodes, i);
    const group = groups.get(r);
    if (group) group.push(nodes[i]);
    else groups.set(r, [nodes[i]]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0].anomaly;
    const incident: Incident = {
      id: `in-${createHash('sha1').update(first.id).digest('hex').slice(0, 16)}`,
      status: 'open',
      startedAt: first.startedAt,
      lastSeenAt: first.lastSeenAt,
      severity: 0,
      anomalyIds: group.map((n) => n.anomaly.id),
      workflows: [...new Set(group.flatMap((n) => (n.anomaly.workflow !== undefined ? [n.anomaly.workflow] : (n.context.workflows ?? []))))],
      hosts: [...new Set(group.flatMap((n) => n.context.hosts))].sort(),
      title: '',
    };
    return refresh(
      incident,
      group.map((n) => n.anomaly),
      contextOf,
    );
  });
}

/**
 * Keeps an incident's severity, state and title in step with its anomalies; closed when all of
 * them are.
 */
export function refresh(incident: Incident, anomalies: readonly Anomaly[], contextOf?: ContextOf): Incident {
  const members = anomalies.filter((a) => incident.anomalyIds.includes(a.id));
  if (members.length === 0) return incident;
  const updated = { ...incident };
  updated.severity = Math.max(...members.map((a) => a.severity));
  updated.lastSeenAt = Math.max(...members.map((a) => a.lastSeenAt));
  if (members.every((a) => a.status === 'closed')) {
    updated.status = 'closed';
    updated.endedAt = Math.max(...members.map((a) => a.endedAt ?? a.lastSeenAt));
  } else {
    updated.status = 'open';
    delete updated.endedAt;
  }
  const contexts = contextOf ? members.map(contextOf) : [];
  const version = contexts.map((c) => c.version).find((v) => v !== undefined);
  const error = contexts.map((c) => c.error).find((e) => e !== undefined);
  const robots = [...new Set(contexts.filter((c) => !c.robotByChance).map((c) => c.robot))].filter((r): r is string => r !== undefined);
  const hostOnly = contexts.some((c) => c.hostOnly && !c.hostByChance);
  const failedOn = contexts.flatMap((c) => c.workflows ?? []);
  // The hosts a title may name: those of anomalies on them for more than chance.
  const told = contextOf ? updated.hosts.filter((h) => contexts.some((c) => c.hosts.includes(h) && !c.hostByChance)) : updated.hosts;
  updated.title = incidentTitle(members, told, {
    ...(version ? { version } : {}),
    ...(error ? { error } : {}),
    ...(robots.length === 1 ? { robot: robots[0] } : {}),
    ...(failedOn.length ? { workflows: failedOn } : {}),
    hostOnly,
  });
  return updated;
}

const list = (names: readonly string[]) => listNames(names, 3);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The point a slowdown is told by: its latest, unless its `worst` was 1.2x or more and either half
 * as slow again as its latest point (a spike held open by the drift check after its runs came
 * back) or slower than its latest, which is under 1.2x (a drift the shift check holds: its latest
 * run may be no slower than expected, "0% slower").
 */
function toldBy(anomaly: Anomaly): { ratio: number; atWorst: boolean } {
  const worst = anomaly.worst;
  const latest = slowdownRatio(anomaly);
  if (worst && slowdownRatio(worst) >= 1.2 && (worst.observed >= 1.5 * anomaly.observed || (latest < 1.2 && worst.observed > anomaly.observed)))
    return { ratio: slowdownRatio(worst), atWorst: true };
  return { ratio: latest, atWorst: false };
}

/** How much slower an anomaly is than expected, as people say it (`toldBy`). */
function slower(anomaly: Anomaly): string {
  const { ratio, atWorst } = toldBy(anomaly);
  const values = `${formatDuration(anomaly.observed)} vs ${formatDuration(anomaly.expected)}`;
  if (atWorst) {
    const worst = anomaly.worst!;
    return `${ratio.toFixed(1)}x slower at worst (${formatDuration(worst.observed)} vs ${formatDuration(worst.expected)}; latest ${formatDuration(anomaly.observed)})`;
  }
  if (ratio >= 1.2) return `${ratio.toFixed(1)}x slower (${values})`;
  // A drift, or one back near normal at its latest point: by how much, as of that point (0% is as usual).
  const percent = Math.round(100 * (ratio - 1));
  return percent >= 1 ? `${percent}% slower (latest ${values})` : `slower, back to usual at the latest (${values})`;
}

/**
 * What one workflow's anomalies say, most telling first: failures; then its run and steps,
 * led by the run unless a step is markedly slower for its size (a step 2.5x slower says more than
 * its run 1.2x slower), with the others named; then its volume.
 */
function workflowEffect(anomalies: readonly Anomaly[]): string {
  // A slowdown is told by its parts: its run and each step.
  const members: readonly Anomaly[] = anomalies.flatMap((a) => a.parts ?? [a]);
  const strongest = (metric: AnomalyMetric) => members.filter((a) => a.metric === metric).sort((a, b) => b.severity - a.severity)[0];
  const parts: string[] = [];
  const failures = strongest('failure_rate');
  if (failures) {
    const on = failures.systemErrors ? ' on a system error' : '';
    const count = failures.trials !== undefined ? `${Math.round(failures.observed)} of ${failures.trials} runs failed${on}` : `runs failing${on}`;
    parts.push(`${count}, usually ${(100 * failures.expected).toFixed(1)}%`);
  }
  const run = strongest('run_duration');
  const steps = members.filter((a) => a.metric === 'step_duration').sort((a, b) => toldBy(b).ratio - toldBy(a).ratio);
  const names = [...new Set(steps.map((a) => `'${a.step}'`))];
  const stepWord = (n: number) => (n === 1 ? 'step' : 'steps');
  // The run leads unless a step is markedly slower for its size (a step 2.5x slower says more than
  // its run 1.2x slower); with three or more steps slower, the run is the story unless one of them
  // is over twice as much slower as the run.
  const lead = names.length >= 3 ? 0.5 : 0.8;
  if (run && (names.length === 0 || toldBy(run).ratio >= lead * toldBy(steps[0]).ratio))
    parts.push(`runs ${slower(run)}${names.length ? `, ${stepWord(names.length)} ${list(names)}` : ''}`);
  else if (steps.length) {
    const also = names.slice(1);
    parts.push(
      `step ${names[0]} ${slower(steps[0])}${also.length ? `, also ${stepWord(also.length)} ${list(also)}` : ''}${run ? `; runs ${slower(run)}` : ''}`,
    );
  }
  const volume = strongest('volume');
  if (volume && volume.direction === 'low' && volume.observed === 0 && volume.points === 0 && volume.silentSince !== undefined)
    parts.push(`no runs for ${formatDuration(silenceLength(volume)!)} (usually ${volume.expected.toFixed(1)} an hour)`);
  else if (volume && volume.direction === 'low' && volume.observed === 0)
    parts.push(`no runs for ${plural(volume.points, 'hour')} (usually ${volume.expected.toFixed(1)} an hour)`);
  else if (volume)
    parts.push(
      `runs per hour ${volume.direction === 'low' ? 'far below' : 'far above'} usual (${volume.observed.toFixed(1)} vs ${volume.expected.toFixed(1)})`,
    );
  return parts.join('; ');
}

/**
 * An incident named by its cause: a host and what it did to the workflows on it; a workflow (and
 * the version it took up) and what happened to its runs; or the workflows that moved together.
 */
export function incidentTitle(
  members: readonly Anomaly[],
  hosts: readonly string[],
  {
    version,
    error,
    robot,
    workflows: failedOn = [],
    hostOnly = false,
  }: { version?: string; error?: AnomalyContext['error']; robot?: string; workflows?: readonly string[]; hostOnly?: boolean } = {},
): string {
  const workflows = [...new Set([...members.map((a) => a.workflow).filter((w): w is string => w !== undefined), ...failedOn])];
  const onHost = members.filter((a) => HOST_METRICS.includes(a.metric));
  // A failure rate a new error opened, while its hours have too few failures to share one.
  const newError = members.find((a) => a.newError !== undefined)?.newError;
  const cause = (error: AnomalyContext['error']) => {
    if (!error) return newError ? `; new on the fleet: ${quoteError(newError.pattern, newError.errorType)}` : '';
    // The failures of its hours (the window's and the three before), told by their pattern with '…' for what varies.
    const share = error.count === error.failed ? `all ${error.failed} failures in its hours` : `${error.count} of ${error.failed} failures in its hours`;
    const isNew = newError?.pattern === error.pattern && (newError.errorType ?? '') === (error.type ?? '') ? ', new on the fleet' : '';
    return `; ${share}: ${quoteError(error.pattern, error.type)}${isNew}`;
  };
  if (onHost.length === 0 && robot !== undefined) {
    // A robot failing while its peers on the same workflows do not: its licence, its session, its machine.
    return `robot ${robot}: failing while its peers run fine, on ${list(workflows)}${workflows.length === 1 ? ` (${workflowEffect(members)})` : ''}${cause(error)}`;
  }
  if (onHost.length === 0 && workflows.length === 1) {
    const where = hosts.length === 1 ? `, on ${hosts[0]}${hostOnly ? ' only' : ''}` : '';
    return `${workflows[0]}${version ? ` ${version}` : ''}: ${workflowEffect(members)}${cause(error)}${where}`;
  }
  const host = onHost[0]?.host ?? (hosts.length === 1 ? hosts[0] : undefined);
  if (host !== undefined) {
    const resources = HOST_METRICS.flatMap((metric) => {
      const peak = onHost.filter((a) => a.metric === metric).sort((a, b) => b.observed - a.observed)[0];
      const heading = onHost.find((a) => a.metric === metric && a.forecast)?.forecast;
      return peak ? [`${RESOURCE_NAME[metric]} ${peak.observed.toFixed(0)}%${heading ? ` and rising ${heading.perHour.toFixed(0)}% an hour` : ''}`] : [];
    });
    const effect = workflows.length ? `${plural(workflows.length, 'workflow')} slower or failing on it (${list(workflows)})` : '';
    return `${host}: ${[...resources, effect].filter(Boolean).join(', ')}`;
  }
  const metrics = [...new Set(members.map((a) => a.metric))];
  if (metrics.length === 1 && metrics[0] === 'volume')
    return `runs per hour ${members[0].direction === 'low' ? 'down' : 'up'} on ${plural(workflows.length, 'workflow')} at once: ${list(workflows)}`;
  if (metrics.length === 1 && metrics[0] === 'failure_rate') return `failures up on ${plural(workflows.length, 'workflow')} at once: ${list(workflows)}`;
  return `${members.length} anomal${members.length === 1 ? 'y' : 'ies'} on ${list(workflows) || 'the fleet'}`;
}
