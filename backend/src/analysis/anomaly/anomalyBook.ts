import type { Anomaly, AnomalyPart, Incident } from '@rpa-analytics/contract';
import { anomalyId, applyEvent, composeSlowdown, isDuration } from './anomalies';
import { cameWithRelease, type ContextOf, correlationReach, DEFAULT_CORRELATION, goingAt, groupIncidents, RELEASE_REACH_MS, refresh } from './incidents';
import { parseSeriesKey, type SeriesId, seriesKey } from './seriesCatalog';
import type { DetectorEvent, Episode } from './seriesDetector';

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
 * each episode still open, or closed at or after `from`, or `superseded` (stored as still active
 * at `from`, now found to end before it: empty hours after the data of its pass had continued it);
 * earlier ones stand as they were stored. In order.
 */
export function keptEvents({ series, from, events }: Rejudged, superseded: ReadonlySet<string> = new Set()): DetectorEvent[] {
  const last = new Map<number, DetectorEvent>();
  for (const event of events) last.set(event.episode.startedAt, event);
  const stays = (event: DetectorEvent) => event.type !== 'closed' || event.endedAt >= from || superseded.has(anomalyId(series.key, event.episode.startedAt));
  const kept = new Set([...last.values()].filter(stays).map((event) => event.episode.startedAt));
  return events.filter((event) => kept.has(event.episode.startedAt));
}

/**
 * The anomaly record a series' events go to, by key: a workflow's run and step durations all go
 * to its slowdown (keyed by the run series), every other series to its own.
 */
export function bookingKey(series: SeriesId): string {
  return isDuration(series.metric)
    ? seriesKey({ metric: 'run_duration', ...(series.workflow === undefined ? {} : { workflow: series.workflow }) })
    : series.key;
}

/** A slowdown's parts; a run's anomaly from before slowdowns had parts is its own. */
function partsOf(slowdown: Anomaly | undefined): AnomalyPart[] {
  if (!slowdown) return [];
  if (slowdown.parts) return slowdown.parts;
  const { incidentId: _incident, steps: _steps, ...part } = slowdown;
  return [part];
}

const eventTime = (event: DetectorEvent) => (event.type === 'closed' ? event.endedAt : event.episode.lastSeenAt);

/**
 * A workflow's slowdown whose parts all closed opens again, the same anomaly, when one of them
 * opens within this long of its end and the slowdown was sustained (two hours or more) or the
 * part continues its own sustained episode: a drift quiet overnight is one anomaly, not one a
 * day; a spike the next morning after a short one is another, and so is one after a sustained
 * slowdown whose series went back to their level in between (`Episode.distinct`).
 */
export const SLOWDOWN_REJOIN_MS = 86_400_000;
/** ...and, sustained or not, when one opens within this long of its end (a slowdown flapping about its threshold). */
export const SLOWDOWN_FLAP_MS = 7_200_000;

function rejoins(slowdown: Anomaly, gap: number, opening: Episode): boolean {
  // The part's own series went back to its level since, or jumped twice as far: a new problem.
  if (opening.distinct) return false;
  if (gap <= SLOWDOWN_FLAP_MS) return true;
  const sustained = (slowdown.endedAt ?? slowdown.lastSeenAt) - slowdown.startedAt >= 7_200_000 || (opening.spells ?? 1) > 1;
  return sustained && gap <= SLOWDOWN_REJOIN_MS;
}

/**
 * One booking key's anomaly as its events arrive. A slowdown stays with its ledger for
 * `SLOWDOWN_REJOIN_MS` after it closes, to be opened again.
 */
class Ledger {
  private current?: Anomaly;
  private readonly parts = new Map<string, AnomalyPart>();

  constructor(
    private readonly key: string,
    private readonly slowdown: boolean,
    open?: Anomaly,
  ) {
    this.current = open;
    if (slowdown) for (const part of partsOf(open)) this.parts.set(part.seriesKey, part);
  }

  /** The anomaly to carry to the next pass: open, or a slowdown that closed lately. */
  get open(): Anomaly | undefined {
    return this.current;
  }

  /** The anomaly after `event`, and whether it opened (or opened again) with it. */
  apply(series: SeriesId, event: DetectorEvent): { anomaly: Anomaly; opened: boolean } {
    if (!this.slowdown) {
      const anomaly = applyEvent(series, event, this.current);
      this.current = event.type === 'closed' ? undefined : anomaly;
      return { anomaly, opened: event.type === 'opened' };
    }
    const previous = this.current;
    const closedAt = previous?.status === 'closed' ? previous.endedAt! : undefined;
    const expired = closedAt !== undefined && (event.type !== 'opened' || !rejoins(previous!, eventTime(event) - closedAt, event.episode));
    const fresh = previous === undefined || expired;
    if (fresh) this.parts.clear();
    const before = this.parts.get(series.key);
    const {
      incidentId: _incident,
      steps: _steps,
      parts: _parts,
      ...part
    } = applyEvent(series, event, before?.startedAt === event.episode.startedAt ? (before as Anomaly) : undefined);
    this.parts.set(series.key, part);
    const anomaly = composeSlowdown(this.key, fresh ? part.startedAt : previous.startedAt, [...this.parts.values()], fresh ? undefined : previous);
    this.current = anomaly;
    return { anomaly, opened: fresh || closedAt !== undefined };
  }
}

/** Each series' events merged in time order by booking key (a series' own are in order already). */
function byBookingKey(entries: readonly SeriesEvent[]): Map<string, SeriesEvent[]> {
  const out = new Map<string, SeriesEvent[]>();
  for (const entry of entries) {
    const key = bookingKey(entry.series);
    const list = out.get(key);
    if (list) list.push(entry);
    else out.set(key, [entry]);
  }
  for (const list of out.values()) if (list.some((e) => isDuration(e.series.metric))) list.sort((a, b) => eventTime(a.event) - eventTime(b.event));
  return out;
}

/**
 * Turns a pass's detector events into anomaly records: online events open, update and close
 * anomalies from where the last pass left them; a re-judged family's anomalies are booked afresh
 * from its detectors' events and replace its superseded ones from `from` on (same episode start,
 * same id: an episode judged again the same keeps its id and incident). A workflow's run and step
 * durations book into one anomaly, its slowdown (`composeSlowdown`).
 */
export function bookAnomalies(input: BookInput): BookedAnomalies {
  const changed = new Map<string, Anomaly>();
  const supersededById = new Map(input.superseded.map((a) => [a.id, a]));
  let opened = 0;
  let closed = 0;
  let regroupFrom = Infinity;
  const note = (anomaly: Anomaly, isNew: boolean) => {
    if (isNew) {
      const before = supersededById.get(anomaly.id);
      if (before?.incidentId) anomaly.incidentId = before.incidentId;
      else regroupFrom = Math.min(regroupFrom, anomaly.startedAt);
      if (!before) opened++;
    }
    if (anomaly.status === 'closed') closed++;
    changed.set(anomaly.id, anomaly);
  };
  const rejudged = new Map<string, { from: number; entries: SeriesEvent[] }>();
  for (const judged of input.rejudged) {
    const key = bookingKey(judged.series);
    input.open.delete(key);
    const events = isDuration(judged.series.metric) ? judged.events : keptEvents(judged, new Set(supersededById.keys()));
    const known = rejudged.get(key);
    const entries = events.map((event) => ({ series: judged.series, event }));
    if (known) known.entries.push(...entries);
    else rejudged.set(key, { from: judged.from, entries });
  }
  // A step's open anomaly from before a workflow's slowdown was one anomaly goes into its slowdown.
  const absorbed: string[] = [];
  for (const [key, legacy] of [...input.open]) {
    if (legacy.metric !== 'step_duration' || legacy.parts !== undefined) continue;
    const target = bookingKey(parseSeriesKey(key));
    const current = input.open.get(target);
    const { incidentId: _incident, ...part } = legacy;
    const slowdown = composeSlowdown(target, current?.startedAt ?? legacy.startedAt, [...partsOf(current), part], current);
    input.open.delete(key);
    input.open.set(target, slowdown);
    changed.set(slowdown.id, slowdown);
    absorbed.push(legacy.id);
    regroupFrom = Math.min(regroupFrom, slowdown.startedAt);
  }
  for (const [key, entries] of byBookingKey(input.online)) {
    const ledger = new Ledger(key, isDuration(entries[0].series.metric), input.open.get(key));
    for (const { series, event } of entries) {
      const { anomaly, opened: isNew } = ledger.apply(series, event);
      note(anomaly, isNew);
    }
    if (ledger.open) input.open.set(key, ledger.open);
    else input.open.delete(key);
  }
  for (const [key, judged] of rejudged) {
    // A family judged again that found nothing: its superseded anomalies are removed.
    const entries = byBookingKey(judged.entries).get(key);
    if (!entries) continue;
    const from = judged.from;
    const ledger = new Ledger(key, isDuration(entries[0].series.metric));
    // Booked from the warm-up on; what ended before `from` stands as stored, unless stored as active at `from`.
    const booked = new Map<string, { anomaly: Anomaly; isNew: boolean }>();
    for (const { series, event } of entries) {
      const { anomaly, opened: isNew } = ledger.apply(series, event);
      booked.set(anomaly.id, { anomaly, isNew: isNew || (booked.get(anomaly.id)?.isNew ?? false) });
    }
    for (const { anomaly, isNew } of booked.values()) {
      if (anomaly.status === 'closed' && anomaly.endedAt! < from && !supersededById.has(anomaly.id)) continue;
      note(anomaly, isNew);
    }
    if (ledger.open) input.open.set(key, ledger.open);
  }
  const removed = input.superseded.filter((a) => !changed.has(a.id));
  for (const a of removed) regroupFrom = Math.min(regroupFrom, a.startedAt);
  return {
    anomalies: [...changed.values()],
    removedAnomalies: [...removed.map((a) => a.id), ...absorbed],
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
  /** The anomalies this pass changed: their incidents are refreshed, also those before the regrouped ones. */
  changed?: ReadonlySet<string>;
}

export interface Regrouped {
  incidents: Incident[];
  removedIncidents: string[];
  /** Anomalies whose incident changed. */
  moved: Anomaly[];
}

/**
 * Incidents after a pass. When anomalies were added or removed, every anomaly from the last
 * quiet gap before `from` on (no anomaly starting within the correlation reach, still going, or a
 * release's slowdown within `RELEASE_REACH_MS`) is grouped again
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
  // Back to the last quiet gap: no anomaly starting within reach of the next, nor still going
  // then, nor a slowdown that came with a release within a release's reach of it.
  const reach = correlationReach(options);
  const byStart = [...input.anomalies].sort((a, b) => b.startedAt - a.startedAt);
  let start = input.from;
  for (const a of byStart) {
    if (a.startedAt >= start) continue;
    const released = () => start - a.startedAt <= RELEASE_REACH_MS && cameWithRelease(a, input.contextOf);
    if (start - a.startedAt > reach && !goingAt(a, start) && !released()) continue;
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
  // And those of anomalies before them that changed (late data closed a stop stored as going on).
  const changedBefore = input.anomalies.filter((a) => a.startedAt < start && input.changed?.has(a.id));
  for (const id of new Set([...regrouped, ...input.removed, ...changedBefore].map((a) => a.incidentId).filter((i): i is string => !!i && !newIds.has(i)))) {
    const before = stored.get(id);
    const rest = before
      ? refreshed(
          before,
          before.anomalyIds.filter((a) => !regroupedIds.has(a)),
        )
      : undefined;
    if (rest) incidents.push(rest);
    else removedIncidents.push(id);
  }
  return { incidents, removedIncidents, moved };
}
