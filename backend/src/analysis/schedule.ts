import type { RunReader } from '../store/store';
import { localClock, type LocalClock } from './localClock';

const HOUR = 3_600_000;
const HOURS_A_WEEK = 168;
/** Weeks of runs a schedule is learnt from. */
export const SCHEDULE_WEEKS = 4;

/** The hour of the week of `time` on `clock` (UTC's by default): 0 is Monday 00:00-01:00, 167 Sunday 23:00-24:00. */
export function hourOfWeek(time: number, clock: LocalClock = localClock()): number {
  // 1970-01-01 was a Thursday: hour 0 of the epoch is hour 72 of its week.
  return (clock.hour(time) + 72) % HOURS_A_WEEK;
}

/** A workflow's usual runs an hour at each hour of the week (index: `hourOfWeek` on the fleet's clock). */
export type Schedule = Float64Array;

/**
 * Each workflow's schedule as its runs keep it: at each hour of the week, the runs started in
 * that hour over the last `weeks` weeks, per such hour since the workflow's first run in them (a
 * workflow two days old has a schedule for the hours it was seen in, nothing due in the others).
 * A workflow's hours from the one its last run arrived in (`arrivals`) are left out: a silence is
 * what the schedule is asked about, not something it learns. Read from the hourly rollups, so it
 * costs the same whatever the fleet's size in runs. Hours of the week are `clock`'s: a fleet's
 * 09:00 stays its 09:00 through a daylight-saving change.
 */
export function workflowSchedules(
  store: Pick<RunReader, 'visitRunRollups'>,
  now: number,
  arrivals: ReadonlyMap<string, number> = new Map(),
  { weeks = SCHEDULE_WEEKS, clock = localClock() }: { weeks?: number; clock?: LocalClock } = {},
): Map<string, Schedule> {
  const to = Math.floor(now / HOUR) * HOUR;
  const from = to - weeks * HOURS_A_WEEK * HOUR;
  const endOf = (workflow: string) => Math.min(to, Math.floor((arrivals.get(workflow) ?? now) / HOUR) * HOUR);
  const counts = new Map<string, { runs: Float64Array; first: number; end: number }>();
  store.visitRunRollups({ resolution: HOUR, from, to, digests: false }, (rollup) => {
    let seen = counts.get(rollup.workflow);
    if (!seen) counts.set(rollup.workflow, (seen = { runs: new Float64Array(HOURS_A_WEEK), first: rollup.bucket, end: endOf(rollup.workflow) }));
    if (rollup.bucket >= seen.end) return;
    seen.runs[hourOfWeek(rollup.bucket, clock)] += rollup.runs;
    seen.first = Math.min(seen.first, rollup.bucket);
  });
  const schedules = new Map<string, Schedule>();
  for (const [workflow, { runs, first, end }] of counts) {
    const observed = new Float64Array(HOURS_A_WEEK);
    for (let hour = first; hour < end; hour += HOUR) observed[hourOfWeek(hour, clock)]++;
    schedules.set(
      workflow,
      runs.map((n, h) => (observed[h] ? n / observed[h] : 0)),
    );
  }
  return schedules;
}

/** The runs a schedule (of `clock`'s hours) expects in [from, to): its hourly rates over the part of each hour inside. */
export function runsDue(schedule: Schedule, from: number, to: number, clock: LocalClock = localClock()): number {
  let due = 0;
  // Past a few weeks the answer is "many" whatever it is: a silence of years costs no more.
  const start = Math.max(from, to - 2 * SCHEDULE_WEEKS * HOURS_A_WEEK * HOUR);
  for (let hour = Math.floor(start / HOUR) * HOUR; hour < to; hour += HOUR) {
    const inside = Math.min(to, hour + HOUR) - Math.max(start, hour);
    due += (schedule[hourOfWeek(hour, clock)] * inside) / HOUR;
  }
  return due;
}

/**
 * How many runs a workflow is overdue by: what its schedule expected since its last run arrived,
 * less the runs that came. Counted from the start of the hour the last one arrived in, less the
 * runs started in that hour (`came`): runs on the hour, or a queue's burst at 09:00, are that
 * hour's runs, not the start of a silence for the rest of it. Each hour expects no more than the
 * hour before it did: a fleet that starts an hour late (a daylight-saving change, on a schedule
 * learnt in another zone than the fleet's) is not overdue for its first hour; one that runs around
 * the clock loses nothing.
 */
export function runsOverdue(schedule: Schedule, lastArrival: number, now: number, came: number, clock: LocalClock = localClock()): number {
  const lenient = schedule.map((rate, h) => Math.min(rate, schedule[(h + HOURS_A_WEEK - 1) % HOURS_A_WEEK]));
  return Math.max(0, runsDue(lenient, Math.floor(lastArrival / HOUR) * HOUR, now, clock) - came);
}

/**
 * The runs that started in each workflow's hour of its last arrival and after (`arrivals`), and
 * the fleet's in the hour of its last: what `runsOverdue` takes away. Silences longer than two
 * days count none (what is due by then dwarfs one hour's runs).
 */
export function runsCameSince(
  store: Pick<RunReader, 'visitRunRollups'>,
  arrivals: ReadonlyMap<string, number>,
  now: number,
): { byWorkflow: Map<string, number>; fleet: number } {
  const hourOf = (time: number) => Math.floor(time / HOUR) * HOUR;
  const latest = Math.max(...arrivals.values());
  const byWorkflow = new Map<string, number>();
  let fleet = 0;
  if (!(latest > 0)) return { byWorkflow, fleet };
  store.visitRunRollups({ resolution: HOUR, from: hourOf(now) - 48 * HOUR, to: now + HOUR, digests: false }, (rollup) => {
    const arrived = arrivals.get(rollup.workflow);
    if (arrived !== undefined && rollup.bucket >= hourOf(arrived)) byWorkflow.set(rollup.workflow, (byWorkflow.get(rollup.workflow) ?? 0) + rollup.runs);
    if (rollup.bucket >= hourOf(latest)) fleet += rollup.runs;
  });
  return { byWorkflow, fleet };
}

/** Schedules added together: the fleet's, from its workflows'. */
export function combined(schedules: Iterable<Schedule>): Schedule {
  const sum = new Float64Array(HOURS_A_WEEK);
  for (const schedule of schedules) for (let h = 0; h < HOURS_A_WEEK; h++) sum[h] += schedule[h];
  return sum;
}
