import type { Anomaly, Incident } from '../../domain/analysis';
import { applyEvent } from './anomalies';
import { type ContextOf, correlationReach, DEFAULT_CORRELATION, groupIncidents, refresh } from './incidents';
import type { SeriesId } from './seriesCatalog';
import type { DetectorEvent } from './seriesDetector';

/** A detector event of a series judged online, from where its state stood. */
export interface SeriesEvent {
  series: SeriesId;
  event: DetectorEvent;
}

/**
 * A series judged again by a fresh detector because data arrived late for it: every event the
 * detector reported, from a warm-up before `from` on. Its judgements from `from` on replace the
 * stored ones.
 */
export interface Rejudged {
  series: SeriesId;
  from: number;
  events: DetectorEvent[];
}

export interface BookInput {
  online: readonly SeriesEvent[];
  rejudged: readonly Rejudged[];
  /** Each series' open anomaly before the pass, by series key: updated in place. */
  open: Map<string, Anomaly>;
  /** The stored anomalies of the re-judged series still active at or after their `from`. */
  superseded: readonly Anomaly[];
}

/** The anomalies a pass writes and removes. */
export interface BookedAnomalies {
  anomalies: Anomaly[];
  removedAnomalies: string[];
  opened: number;
  closed: number;
  /** The earliest start of an anomaly new or removed this pass: incidents from there on are grouped again. */
  regroupFrom?: number;
}

/**
 * The events of a re-judged series that make its anomalies from its `from` on: every event of
 * each episode still open, or closed at or after `from` (earlier ones stand as they were
 * stored), in order.
 */
export function keptEvents({ from, events }: Rejudged): DetectorEvent[] {
  const last = new Map<number, DetectorEvent>();
  for (const event of events) last.set(event.episode.startedAt, event);
  const kept = new Set([...last.values()].filter((event) => event.type !== 'closed' || event.endedAt >= from).map((event) => event.episode.startedAt));
  return events.filter((event) => kept.has(event.episode.startedAt));
}

/**
 * Turns a pass's detector events into anomaly records: online events open, update and close
 * anomalies; a re-judged series' anomalies replace its superseded ones (same episode start, same
 * id: an episode judged again the same keeps its id and incident).
 */
export function bookAnomalies(input: BookInput): BookedAnomalies {
  const changed = new Map<string, Anomaly>();
  const supersededById = new Map(input.superseded.map((a) => [a.id, a]));
  const entries: SeriesEvent[] = [...input.online];
  for (const rejudged of input.rejudged) {
    input.open.delete(rejudged.series.key);
    for (const event of keptEvents(rejudged)) entries.push({ series: rejudged.series, event });
  }
  let opened = 0;
  let closed = 0;
  let regroupFrom = Infinity;
  for (const { series, event } of entries) {
    const anomaly = applyEvent(series, event, input.open.get(series.key));
    if (event.type === 'opened') {
      const before = supersededById.get(anomaly.id);
      if (before?.incidentId) anomaly.incidentId = before.incidentId;
      else regroupFrom = Math.min(regroupFrom, anomaly.startedAt);
      if (!before) opened++;
    }
    if (event.type === 'closed') {
      closed++;
      input.open.delete(series.key);
    } else input.open.set(series.key, anomaly);
    changed.set(anomaly.id, anomaly);
  }
  const removed = input.superseded.filter((a) => !changed.has(a.id));
  for (const a of removed) regroupFrom = Math.min(regroupFrom, a.startedAt);
  return {
    anomalies: [...changed.values()],
    removedAnomalies: removed.map((a) => a.id),
    opened,
    closed,
    ...(regroupFrom === Infinity ? {} : { regroupFrom }),
  };
}

export interface RegroupInput {
  /**
   * The anomalies as the pass leaves them that started in the week before `from` or later (those
   * still active from then on), and their incidents as stored.
   */
  anomalies: readonly Anomaly[];
  /** Anomalies the pass removed, as stored (their incidents lose them). */
  removed: readonly Anomaly[];
  incidents: readonly Incident[];
  /** Where membership changed (`BookedAnomalies.regroupFrom`), or undefined when no anomaly was added or removed. */
  from?: number;
  contextOf: ContextOf;
  /** A stored anomaly, for members of incidents that began before the regrouped ones. */
  stored: (id: string) => Anomaly | undefined;
}

export interface Regrouped {
  incidents: Incident[];
  removedIncidents: string[];
  /** Anomalies whose incident changed. */
  moved: Anomaly[];
}

/**
 * Incidents after a pass. When anomalies were added or removed, every anomaly from the last
 * quiet gap before `from` on (no anomaly starting within the correlation reach, or still going) is grouped again
 * (`groupIncidents`): the grouping is the same however the anomalies arrived. Incidents of
 * anomalies that only moved on are refreshed.
 */
export function regroupIncidents(input: RegroupInput, options = DEFAULT_CORRELATION): Regrouped {
  const stored = new Map(input.incidents.map((i) => [i.id, i]));
  const byId = new Map(input.anomalies.map((a) => [a.id, a]));
  const removed = new Set(input.removed.map((a) => a.id));
  const member = (id: string) => (removed.has(id) ? undefined : (byId.get(id) ?? input.stored(id)));
  const refreshed = (incident: Incident, ids: readonly string[]): Incident | undefined => {
    const members = ids.map(member).filter((a): a is Anomaly => a !== undefined);
    return members.length ? refresh({ ...incident, anomalyIds: members.map((a) => a.id) }, members, input.contextOf) : undefined;
  };
  if (input.from === undefined) {
    const incidents = [...new Set([...input.anomalies, ...input.removed].map((a) => a.incidentId).filter((id): id is string => !!id))]
      .map((id) => stored.get(id))
      .filter((i): i is Incident => i !== undefined)
      .map((i) => refreshed(i, i.anomalyIds))
      .filter((i): i is Incident => i !== undefined);
    return { incidents, removedIncidents: [], moved: [] };
  }
  // Back to the last quiet gap: no anomaly starting within reach of the next, nor still going then.
  const reach = correlationReach(options);
  const byStart = [...input.anomalies].sort((a, b) => b.startedAt - a.startedAt);
  let start = input.from;
  for (const a of byStart) {
    if (a.startedAt >= start) continue;
    const goingAt = a.status === 'open' || (a.endedAt ?? a.lastSeenAt) >= start;
    if (start - a.startedAt > reach && !goingAt) continue;
    start = a.startedAt;
  }
  const regrouped = input.anomalies.filter((a) => a.startedAt >= start);
  const regroupedIds = new Set(regrouped.map((a) => a.id));
  const groups = groupIncidents(regrouped, input.contextOf, options);
  const moved: Anomaly[] = [];
  for (const incident of groups) {
    for (const id of incident.anomalyIds) {
      const anomaly = byId.get(id)!;
      if (anomaly.incidentId !== incident.id) moved.push({ ...anomaly, incidentId: incident.id });
    }
  }
  // Incidents the regrouped anomalies left: what remains of them is their members from before.
  const newIds = new Set(groups.map((i) => i.id));
  const removedIncidents: string[] = [];
  const incidents = [...groups];
  for (const id of new Set([...regrouped, ...input.removed].map((a) => a.incidentId).filter((i): i is string => !!i && !newIds.has(i)))) {
    const before = stored.get(id);
    const rest = before ? refreshed(before, before.anomalyIds.filter((a) => !regroupedIds.has(a))) : undefined;
    if (rest) incidents.push(rest);
    else removedIncidents.push(id);
  }
  return { incidents, removedIncidents, moved };
}
