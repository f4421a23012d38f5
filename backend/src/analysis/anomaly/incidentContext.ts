import type { Anomaly } from '@rpa-analytics/contract';
import type { Execution } from '@rpa-analytics/contract';
import { hypergeometricUpperTail } from '../distributions';
import { median } from '../stats';
import { errorPatterns, FAILED } from '../success';
import { isDuration } from './anomalies';
import type { AnomalyContext } from './incidents';
import { failedOnRobot } from './seriesCatalog';

const HOUR = 3600_000;

/**
 * An anomaly's runs, for where they ran: those from its start to its last point, at least half an
 * hour and at most three hours of them (and, for a failure rate, the three hours before).
 */
export function contextWindow(anomaly: Pick<Anomaly, 'metric' | 'startedAt' | 'lastSeenAt'>): { from: number; to: number } {
  // A failure rate opens on failures among runs before its first point: those hours count too.
  const from = anomaly.metric === 'failure_rate' ? anomaly.startedAt - 3 * HOUR : anomaly.startedAt;
  return { from, to: anomaly.startedAt + Math.min(3 * HOUR, Math.max(HOUR / 2, anomaly.lastSeenAt - anomaly.startedAt + 1)) };
}

/** What was usual: the week before the anomaly, up to six hours before it (a version it came with may have been out a while before it opened). */
export const CONTEXT_BASELINE_MS = 7 * 24 * HOUR;
export const CONTEXT_MARGIN_MS = 6 * HOUR;

/** A host's runs this much slower than usual (median)... */
const SLOW_ON_HOST = 1.25;
/** ...while every other host's stay below this, or 1.25 times below it: the slowdown is the host's. */
const FINE_ELSEWHERE = 1.1;

const durationOf = (run: Execution) => (run.endedAt !== undefined ? run.endedAt - run.startedAt : undefined);
const medianOr0 = (values: readonly number[]) => (values.length ? median(values) : 0);

/**
 * Where a workflow's anomaly is, from its runs: the host its slow runs (duration anomalies) or
 * its failures (failure rate) concentrated on while its other hosts ran as usual, the robot its
 * failures concentrated on while its other robots ran as usual, a version its runs (a failure
 * rate's: its failed runs) took up as it began, and the versions they ran. `before` are the
 * workflow's runs in the week before the anomaly started (`CONTEXT_BASELINE_MS`, ending `CONTEXT_MARGIN_MS` before it), `during` those in its
 * `contextWindow`. A workflow-wide problem has no host; one on the only host that ran has it, but
 * not `hostOnly`. Failures that chance could have spread so (`hostByChance`, `robotByChance`)
 * still link the anomaly to others on that host or robot, but its incident's title does not
 * blame them.
 */
export function workflowContext(anomaly: Pick<Anomaly, 'metric'>, before: readonly Execution[], during: readonly Execution[]): AnomalyContext {
  const byHost = new Map<string, Execution[]>();
  for (const run of during) if (run.host) byHost.set(run.host, [...(byHost.get(run.host) ?? []), run]);
  let hosts: string[] = [];
  let hostOnly = false;
  let robot: string | undefined;
  let hostByChance = false;
  let robotByChance = false;
  if (anomaly.metric === 'failure_rate') {
    const host = failingAlone(byHost);
    if (host) {
      hosts = [host.name];
      hostOnly = host.alone;
      hostByChance = host.byChance;
    }
    const byRobot = new Map<string, Execution[]>();
    for (const run of during) if (run.robot) byRobot.set(run.robot, [...(byRobot.get(run.robot) ?? []), run]);
    const failingRobot = failingAlone(byRobot);
    if (failingRobot?.alone) {
      robot = failingRobot.name;
      robotByChance = failingRobot.byChance;
    }
  } else if (isDuration(anomaly.metric)) {
    const usual = medianOr0(before.map(durationOf).filter((d): d is number => d !== undefined));
    if (usual > 0) {
      const ratios = [...byHost].map(([host, runs]) => [host, medianOr0(runs.map(durationOf).filter((d): d is number => d !== undefined)) / usual] as const);
      const slow = ratios.filter(([, ratio]) => ratio >= SLOW_ON_HOST);
      // The others as usual, or (busy hours slow every host a little) well below the slow one.
      const fine = (ratio: number) => ratio < FINE_ELSEWHERE || ratio * SLOW_ON_HOST <= slow[0][1];
      if (slow.length === 1 && ratios.every(([host, ratio]) => host === slow[0][0] || fine(ratio))) {
        hosts = [slow[0][0]];
        hostOnly = ratios.length > 1;
      }
    }
  }
  const failures = anomaly.metric === 'failure_rate' ? during.filter(FAILED) : undefined;
  const error = failures ? commonError(failures) : undefined;
  const known = new Set(before.map((r) => r.packageVersion));
  // A failure rate's version is one its failed runs ran: failures just before a release are not the release's.
  const fresh = (failures ?? during).map((r) => r.packageVersion).filter((v): v is string => v !== undefined && !known.has(v));
  const ranVersions = [...new Set((failures ?? during).map((r) => r.packageVersion).filter((v): v is string => v !== undefined))];
  return {
    hosts,
    ...(hostOnly ? { hostOnly } : {}),
    ...(hostByChance ? { hostByChance } : {}),
    ...(robot ? { robot } : {}),
    ...(robotByChance ? { robotByChance } : {}),
    ...(fresh.length ? { version: fresh[0] } : {}),
    ...(ranVersions.length ? { ranVersions } : {}),
    ...(error ? { error } : {}),
  };
}

/**
 * Where a robot's own failures were, from its runs in the anomaly's `contextWindow`: the
 * workflows it failed on, as its series counts failures (`failedOnRobot`), and the error most of
 * them share.
 */
export function robotContext(anomaly: Pick<Anomaly, 'robot'>, during: readonly Execution[]): AnomalyContext {
  const failures = during.filter(failedOnRobot);
  const workflows = [...new Set(failures.map((r) => r.workflow))];
  const error = commonError(failures);
  return { hosts: [], robot: anomaly.robot!, ...(workflows.length ? { workflows } : {}), ...(error ? { error } : {}) };
}

/** A run that failed on anything but a business exception (which is about the data a run was given, not where it ran). */
const FAILED_ON_SYSTEM = (run: Execution) => FAILED(run) && run.errorType !== 'business';

/**
 * Above this chance that a workflow's failures fell as unevenly on one host or robot by luck
 * (one-sided Fisher's exact test), the host or robot is not blamed in an incident's title: a
 * robot that had 3 of its 6 runs time out while its peer ran 3 fine is a 1-in-4 chance.
 */
export const UNEVEN_BY_CHANCE = 0.1;

/**
 * The one host or robot (by name in `runs`) whose runs failed on system errors, two or more and a
 * third or more of them, while the others together failed so under 20% (each alone has too few
 * runs to tell: one error in four runs is not a failing robot); `alone` when others ran
 * meanwhile; `byChance` when chance spreads failures so unevenly more often than
 * `UNEVEN_BY_CHANCE`. A third: the window reaches past the problem's end, where the robot's runs
 * succeed again.
 */
function failingAlone(runs: ReadonlyMap<string, readonly Execution[]>): { name: string; alone: boolean; byChance: boolean } | undefined {
  const failed = (list: readonly Execution[]) => list.filter(FAILED_ON_SYSTEM).length;
  const failing = [...runs].filter(([, list]) => failed(list) >= 2 && failed(list) / list.length >= 1 / 3);
  const others = [...runs].filter(([name]) => !failing.some(([f]) => f === name)).flatMap(([, list]) => list);
  if (failing.length !== 1 || (others.length > 0 && failed(others) / others.length >= 0.2)) return undefined;
  const [name, own] = failing[0];
  const chance = hypergeometricUpperTail(failed(own), own.length, failed(own) + failed(others), own.length + others.length);
  // A hair's margin: 1 in 10 exactly (3 failed runs of 3, 2 of a peer's fine) is within it.
  return { name, alone: others.length > 0, byChance: others.length > 0 && chance > UNEVEN_BY_CHANCE * (1 + 1e-9) };
}

/** The error pattern (`errorPatterns`) at least half of `failures` (two or more) share, if one does. */
function commonError(failures: readonly Execution[]): AnomalyContext['error'] {
  const [top] = errorPatterns(failures, Infinity);
  if (!top || top.count < 2 || top.count < failures.length / 2) return undefined;
  return { pattern: top.fingerprint, ...(top.errorType ? { type: top.errorType } : {}), count: top.count, failed: failures.length };
}
