import type { Arrivals } from '../../store/store';
import { floorTo, HOST_BUCKET_MS, type SeriesId } from './seriesCatalog';

const HOUR = 3600_000;

/**
 * How far each kind of series has been judged, in event time: runs that ended before `runs`,
 * hours of volume before `hours`, host buckets before `hosts`.
 */
export interface JudgedThrough {
  runs: number;
  hours: number;
  hosts: number;
}

/**
 * The series that are judged and re-judged together: a workflow's (its run and step durations,
 * failure rate and volume, which share its runs), a host's (CPU and memory, which share its
 * samples) or a robot's (its failures against its peers'). A run belongs to its workflow's
 * family; a late run marks its robot's family too.
 */
export type Family = `workflow:${string}` | `host:${string}` | `robot:${string}`;

export function familyOf(id: Pick<SeriesId, 'workflow' | 'host' | 'robot'>): Family {
  if (id.workflow !== undefined) return `workflow:${id.workflow}`;
  return id.robot !== undefined ? `robot:${id.robot}` : `host:${id.host ?? ''}`;
}

export function familySubject(family: Family): { workflow?: string; host?: string; robot?: string } {
  const colon = family.indexOf(':');
  return { [family.slice(0, colon)]: family.slice(colon + 1) };
}

/**
 * The families that data arrived late for, each with the time from which its judgements are
 * stale: a run that ended before the runs judged so far, a run placed in an hour whose volume was
 * judged (new, or moved there), a run moved away from a place judged already, a sample in a host
 * bucket judged already. Everything else that
 * arrived is ahead of what was judged, and the next online read takes it.
 *
 * The time is the hour a late run started in (its duration points are placed at its start, its
 * failure-rate point at its end, its volume in its start hour: the hour covers all three), or the
 * bucket of a host's earliest late sample.
 */
export function lateFamilies(arrivals: Arrivals, through: JudgedThrough): Map<Family, number> {
  const late = new Map<Family, number>();
  const mark = (family: Family, from: number) => {
    const known = late.get(family);
    if (known === undefined || from < known) late.set(family, from);
  };
  for (const run of arrivals.runs) {
    const ended = run.status !== 'running' && run.endedAt !== undefined;
    const lateForDurations = ended && run.endedAt! < through.runs;
    const lateForVolume = run.placed && run.startedAt < through.hours;
    if (lateForDurations || lateForVolume) mark(familyOf({ workflow: run.workflow }), floorTo(run.startedAt, HOUR));
    if (lateForDurations && run.robot !== undefined) mark(familyOf({ robot: run.robot }), floorTo(run.startedAt, HOUR));
  }
  // A run moved elsewhere leaves its old place's points (its duration, its hour's count) behind.
  for (const { workflow, startedAt } of arrivals.vacated) {
    if (startedAt < through.runs || startedAt < through.hours) mark(familyOf({ workflow }), floorTo(startedAt, HOUR));
  }
  for (const { host, earliest } of arrivals.hosts) {
    if (earliest < through.hosts) mark(familyOf({ host }), floorTo(earliest, HOST_BUCKET_MS));
  }
  return late;
}
