import type { Anomaly } from '@rpa-analytics/contract';
import { anomalyId, applyEvent } from './anomalies';
import { bookAnomalies, type BookInput, keptEvents, regroupIncidents } from './anomalyBook';
import { parseSeriesKey } from './seriesCatalog';
import type { DetectorEvent, Episode } from './seriesDetector';

const HOUR = 3600_000;
const T = Date.UTC(2026, 10, 20);
const claims = parseSeriesKey('failure_rate|Claims||');
const billing = parseSeriesKey('failure_rate|Billing||');

const episode = (startedAt: number, lastSeenAt: number, points = 3): Episode => ({
  startedAt,
  lastSeenAt,
  points,
  direction: 'high',
  firstSeverity: 0.5,
  peakSeverity: 0.6,
  peakScore: 6,
  expected: 1000,
  observed: 3000,
  normalRun: 0,
});
const opened = (start: number, last = start): DetectorEvent => ({ type: 'opened', episode: episode(start, last) });
const closed = (start: number, last: number, endedAt: number): DetectorEvent => ({
  type: 'closed',
  episode: episode(start, last),
  endedAt,
  acceptedAsNormal: false,
});

const input = (over: Partial<BookInput>): BookInput => ({ online: [], rejudged: [], open: new Map(), superseded: [], ...over });

describe('keptEvents', () => {
  it('keeps every event of each episode still open or closed from `from` on', () => {
    const events = [
      opened(T),
      closed(T, T + HOUR, T + 2 * HOUR),
      opened(T + 9 * HOUR),
      closed(T + 9 * HOUR, T + 10 * HOUR, T + 11 * HOUR),
      opened(T + 20 * HOUR),
    ];
    expect(keptEvents({ series: claims, from: T + 10 * HOUR, events })).toEqual(events.slice(2));
  });
});

describe('bookAnomalies', () => {
  it('when online events open and close anomalies, then the open ones are kept by series and new ones ask for regrouping from their start', () => {
    const open = new Map<string, Anomaly>();
    const book = bookAnomalies(
      input({
        open,
        online: [
          { series: claims, event: opened(T + HOUR) },
          { series: billing, event: opened(T + 10 * 60_000) },
        ],
      }),
    );
    expect(book).toMatchObject({ opened: 2, closed: 0, removedAnomalies: [], regroupFrom: T + 10 * 60_000 });
    expect([...open.keys()].sort()).toEqual([billing.key, claims.key]);

    const next = bookAnomalies(input({ open, online: [{ series: claims, event: closed(T + HOUR, T + 2 * HOUR, T + 3 * HOUR) }] }));
    expect(next).toMatchObject({ opened: 0, closed: 1, removedAnomalies: [] });
    expect(next.regroupFrom).toBeUndefined();
    expect(next.anomalies[0]).toMatchObject({ id: anomalyId(claims.key, T + HOUR), status: 'closed', endedAt: T + 3 * HOUR });
    expect([...open.keys()]).toEqual([billing.key]);
  });

  it('when a series is judged again, then its anomalies from `from` on are replaced, and an episode found again keeps its id and incident', () => {
    const stored: Anomaly[] = [
      { ...bookAnomalies(input({ online: [{ series: claims, event: closed(T + 5 * HOUR, T + 6 * HOUR, T + 7 * HOUR) }] })).anomalies[0], incidentId: 'in-a' },
      { ...bookAnomalies(input({ online: [{ series: claims, event: opened(T + 20 * HOUR) }] })).anomalies[0], incidentId: 'in-b' },
    ];
    const open = new Map([[claims.key, stored[1]]]);
    // Late runs: the episode at +5 h is found again (longer), the one at +20 h is gone, one at +30 h is new.
    const book = bookAnomalies(
      input({
        open,
        superseded: stored,
        rejudged: [
          { series: claims, from: T + 4 * HOUR, events: [opened(T + 5 * HOUR), closed(T + 5 * HOUR, T + 8 * HOUR, T + 9 * HOUR), opened(T + 30 * HOUR)] },
        ],
      }),
    );
    expect(book.removedAnomalies).toEqual([stored[1].id]);
    expect(book.anomalies.find((a) => a.startedAt === T + 5 * HOUR)).toMatchObject({
      id: stored[0].id,
      incidentId: 'in-a',
      lastSeenAt: T + 8 * HOUR,
      status: 'closed',
    });
    expect(book.anomalies.find((a) => a.startedAt === T + 30 * HOUR)?.incidentId).toBeUndefined();
    expect(book).toMatchObject({ opened: 1, regroupFrom: T + 20 * HOUR });
    expect(open.get(claims.key)?.startedAt).toBe(T + 30 * HOUR);
  });

  it('when an episode stored open is found again closed before `from`, then it stays, closed where the late data ends it', () => {
    // A pass saw the episode at +2 h close at +7 h, then the hours after the data so far came up
    // empty and continued it: stored open. The late data fills those hours: judged again, it
    // closes at +7 h, before the late data's `from` (+12 h).
    const stored = bookAnomalies(input({ online: [{ series: claims, event: opened(T + 2 * HOUR, T + 20 * HOUR) }] })).anomalies[0];
    const open = new Map([[claims.key, stored]]);
    const book = bookAnomalies(
      input({
        open,
        superseded: [stored],
        rejudged: [{ series: claims, from: T + 12 * HOUR, events: [opened(T + 2 * HOUR), closed(T + 2 * HOUR, T + 6 * HOUR, T + 7 * HOUR)] }],
      }),
    );
    expect(book.removedAnomalies).toEqual([]);
    expect(book.anomalies).toEqual([expect.objectContaining({ id: stored.id, status: 'closed', endedAt: T + 7 * HOUR, lastSeenAt: T + 6 * HOUR })]);
    expect(open.has(claims.key)).toBe(false);
  });
});

describe('regroupIncidents', () => {
  const anomaly = (series: typeof claims, start: number, incidentId?: string): Anomaly => ({
    ...bookAnomalies(input({ online: [{ series, event: closed(start, start + HOUR, start + 2 * HOUR) }] })).anomalies[0],
    ...(incidentId ? { incidentId } : {}),
  });

  it('when anomalies are added, then those from the last quiet gap on are grouped again, the same as if judged at once', () => {
    // Claims and Billing both slow on vm-1.
    const contextOf = () => ({ hosts: ['vm-1'] });
    const early = anomaly(claims, T, 'in-early');
    const a = anomaly(claims, T + 10 * HOUR, 'in-a');
    const b = anomaly(billing, T + 10 * HOUR + 20 * 60_000);
    const lone = anomaly(billing, T + 20 * HOUR);
    const regrouped = regroupIncidents({
      removed: [],
      anomalies: [early, a, b, lone],
      incidents: [
        {
          id: 'in-a',
          status: 'closed',
          startedAt: a.startedAt,
          lastSeenAt: a.lastSeenAt,
          severity: 0.6,
          anomalyIds: [a.id],
          workflows: ['Claims'],
          hosts: [],
          title: '',
        },
      ],
      from: b.startedAt,
      contextOf,
      stored: () => undefined,
    });
    expect(regrouped.incidents.map((i) => [...i.anomalyIds].sort())).toEqual([[a.id, b.id].sort(), [lone.id]]);
    // The early one stands apart (a gap of hours): untouched.
    expect(regrouped.moved.map((m) => m.id).sort()).toEqual([a.id, b.id, lone.id].sort());
    expect(regrouped.removedIncidents).toEqual(['in-a']);
    // Judged at once, the same history groups the same: the early one alone, then the same two incidents, same ids.
    const atOnce = regroupIncidents({
      removed: [],
      anomalies: [early, a, b, lone].map((x) => ({ ...x, incidentId: undefined })),
      incidents: [],
      from: T,
      contextOf,
      stored: () => undefined,
    });
    const groups = (incidents: Array<{ anomalyIds: string[] }>) => incidents.map((i) => [...i.anomalyIds].sort().join(',')).sort();
    expect(groups(atOnce.incidents)).toEqual(groups([...regrouped.incidents, { anomalyIds: [early.id] }]));
    for (const incident of regrouped.incidents)
      expect(atOnce.incidents.find((i) => i.id === incident.id)?.anomalyIds.sort()).toEqual([...incident.anomalyIds].sort());
  });

  it("when a workflow's runs slow down days after a release its step slowed with, then the live pass groups them as one judged at once does", () => {
    const step = anomaly(parseSeriesKey('step_duration|Onboarding||'), T, 'in-step');
    const monday = anomaly(parseSeriesKey('run_duration|Onboarding||'), T + 3 * 24 * HOUR);
    const contextOf = (x: Anomaly) => (x.id === step.id ? { hosts: [], version: '2.0.0', ranVersions: ['2.0.0'] } : { hosts: [], ranVersions: ['2.0.0'] });
    const stepIncident = {
      id: 'in-step',
      status: 'closed' as const,
      startedAt: step.startedAt,
      lastSeenAt: step.lastSeenAt,
      severity: 0.6,
      anomalyIds: [step.id],
      workflows: ['Onboarding'],
      hosts: [],
      title: '',
    };
    // Live: the step's anomaly, closed for days, is stored; Monday's is new.
    const live = regroupIncidents({
      removed: [],
      anomalies: [step, monday],
      incidents: [stepIncident],
      from: monday.startedAt,
      contextOf,
      stored: () => undefined,
    });
    const atOnce = regroupIncidents({
      removed: [],
      anomalies: [step, monday].map((x) => ({ ...x, incidentId: undefined })),
      incidents: [],
      from: T,
      contextOf,
      stored: () => undefined,
    });
    expect(atOnce.incidents.map((i) => i.anomalyIds)).toEqual([[step.id, monday.id]]);
    expect(live.incidents.map((i) => i.anomalyIds)).toEqual([[step.id, monday.id]]);
    expect(live.incidents[0].id).toBe(atOnce.incidents[0].id);
    // A step's slowdown that came with no version reaches no further than two hours back.
    const unreleased = regroupIncidents({
      removed: [],
      anomalies: [step, monday],
      incidents: [stepIncident],
      from: monday.startedAt,
      contextOf: () => ({ hosts: [], ranVersions: ['2.0.0'] }),
      stored: () => undefined,
    });
    expect(unreleased.incidents.map((i) => i.anomalyIds)).toEqual([[monday.id]]);
  });

  it('links anomalies two hours apart only when they share a host', () => {
    const cpu = { ...anomaly(parseSeriesKey('host_cpu|||vm-1'), T) };
    const slow = anomaly(claims, T + 90 * 60_000);
    const apart = regroupIncidents({
      removed: [],
      anomalies: [cpu, slow],
      incidents: [],
      from: T,
      contextOf: (x) => ({ hosts: x.host ? [x.host] : ['vm-2'] }),
      stored: () => undefined,
    });
    expect(apart.incidents).toHaveLength(2);
    const shared = regroupIncidents({
      removed: [],
      anomalies: [cpu, slow],
      incidents: [],
      from: T,
      contextOf: (x) => ({ hosts: x.host ? [x.host] : ['vm-1'] }),
      stored: () => undefined,
    });
    expect(shared.incidents).toHaveLength(1);
    expect(shared.incidents[0]).toMatchObject({ hosts: ['vm-1'], workflows: ['Claims'], status: 'closed', startedAt: T });
  });

  it('when no anomaly was added or removed, then the incidents of those that moved on are refreshed', () => {
    const a = { ...anomaly(claims, T, 'in-a'), status: 'open' as const, endedAt: undefined };
    const incident = {
      id: 'in-a',
      status: 'closed' as const,
      startedAt: T,
      endedAt: T,
      lastSeenAt: T,
      severity: 0.1,
      anomalyIds: [a.id],
      workflows: ['Claims'],
      hosts: [],
      title: '',
    };
    const regrouped = regroupIncidents({ removed: [], anomalies: [a], incidents: [incident], contextOf: () => ({ hosts: [] }), stored: () => undefined });
    expect(regrouped.incidents).toEqual([expect.objectContaining({ id: 'in-a', status: 'open', lastSeenAt: a.lastSeenAt })]);
    expect(regrouped.moved).toEqual([]);
  });

  it('when an anomaly added regroups from its start, then the incident of one that changed long before is refreshed too', () => {
    // A stop stored as going on for a day, closed by late data after 5 hours; a new anomaly two days on.
    const stop = { ...anomaly(claims, T, 'in-stop'), lastSeenAt: T + 4 * HOUR, endedAt: T + 5 * HOUR };
    const incident = {
      id: 'in-stop',
      status: 'open' as const,
      startedAt: T,
      lastSeenAt: T + 28 * HOUR,
      severity: 1,
      anomalyIds: [stop.id],
      workflows: ['Claims'],
      hosts: [],
      title: 'stale',
    };
    const later = anomaly(billing, T + 48 * HOUR);
    const input = {
      removed: [],
      anomalies: [stop, later],
      incidents: [incident],
      from: later.startedAt,
      contextOf: () => ({ hosts: [] }),
      stored: () => undefined,
    };
    const regrouped = regroupIncidents({ ...input, changed: new Set([stop.id, later.id]) });
    expect(regrouped.incidents.find((i) => i.id === 'in-stop')).toMatchObject({ status: 'closed', lastSeenAt: T + 4 * HOUR, endedAt: T + 5 * HOUR });
    expect(regrouped.incidents.find((i) => i.id === 'in-stop')!.title).not.toBe('stale');
    // Unchanged, it is left as stored.
    expect(regroupIncidents({ ...input, changed: new Set([later.id]) }).incidents.find((i) => i.id === 'in-stop')).toBeUndefined();
  });
});

describe("a workflow's slowdown", () => {
  const run = parseSeriesKey('run_duration|Onboarding||');
  const read = parseSeriesKey('step_duration|Onboarding|Read input file|');
  const archive = parseSeriesKey('step_duration|Onboarding|Archive documents|');
  const slowStep = (start: number, last: number, ratio: number): Episode => ({ ...episode(start, last), expected: 3000, observed: 3000 * ratio });
  const on = (series: typeof run, event: DetectorEvent) => ({ series, event });

  it('when its run and steps open, update and close over two passes, then it is one anomaly naming the steps, closed with the last of them', () => {
    const open = new Map<string, Anomaly>();
    const first = bookAnomalies(
      input({
        open,
        online: [
          // Out of order across series, as a pass reads them: booked by time.
          on(run, {
            type: 'opened',
            episode: { ...episode(T + 20 * 60_000, T + 30 * 60_000), expected: 33_000, observed: 39_800, detectedAt: T + 31 * 60_000 },
          }),
          on(read, { type: 'opened', episode: { ...slowStep(T, T + 10 * 60_000, 2.6), detectedAt: T + 40 * 60_000 } }),
        ],
      }),
    );
    expect(first).toMatchObject({ opened: 1, closed: 0, regroupFrom: T });
    expect(first.anomalies).toHaveLength(1);
    const slowdown = first.anomalies[0];
    // Detected with the first of its parts to be detected (the run), though the step leads and began first.
    expect(slowdown).toMatchObject({
      id: anomalyId(run.key, T),
      seriesKey: run.key,
      workflow: 'Onboarding',
      status: 'open',
      startedAt: T,
      detectedAt: T + 31 * 60_000,
      metric: 'step_duration',
      step: 'Read input file',
      steps: ['Read input file'],
    });
    // The step is 2.6x slower, the run 1.2x: the step leads, the run is named.
    expect(slowdown.description).toMatch(
      /^step duration of step 'Read input file' of Onboarding is unusually high: 7\.8 s vs expected 3\.0 s .*; the run slower too$/,
    );
    expect([...open.keys()]).toEqual([run.key]);

    const second = bookAnomalies(
      input({
        open,
        online: [
          on(archive, { type: 'opened', episode: slowStep(T + HOUR, T + HOUR, 1.5) }),
          on(read, { type: 'closed', episode: slowStep(T, T + 2 * HOUR, 2.6), endedAt: T + 3 * HOUR, acceptedAsNormal: false }),
          on(run, {
            type: 'closed',
            episode: { ...episode(T + 20 * 60_000, T + 2 * HOUR), expected: 33_000, observed: 39_800 },
            endedAt: T + 3 * HOUR,
            acceptedAsNormal: false,
          }),
        ],
      }),
    );
    expect(second.anomalies).toEqual([expect.objectContaining({ id: slowdown.id, status: 'open', steps: ['Read input file', 'Archive documents'] })]);
    const third = bookAnomalies(input({ open, online: [on(archive, closed(T + HOUR, T + 4 * HOUR, T + 5 * HOUR))] }));
    expect(third).toMatchObject({ opened: 0, closed: 1 });
    expect(third.anomalies[0]).toMatchObject({ id: slowdown.id, status: 'closed', endedAt: T + 5 * HOUR });
    expect(third.anomalies[0].parts!.map((p) => p.seriesKey).sort()).toEqual([archive.key, read.key, run.key].sort());
  });

  it.each([
    // [case, how long the slowdown lasted, hours from its end to the next opening, whether that part came back, same anomaly?]
    // (A part's episode does not come back more than a day after its end: its detector opens a new one.)
    ['a short one, and a new spike 3 hours after: another', 1, 3, false, false],
    ['a short one, and a new spike within 2 hours (flapping): the same', 1, 1.5, false, true],
    ['a short one, and its part back (continuing its episode) 20 hours after: the same', 1, 20, true, true],
    ['a sustained one (3 hours), and a new part 10 hours after: the same', 3, 10, false, true],
    ['a sustained one, and a new part 25 hours after: another', 3, 25, false, false],
    ['a sustained one, and a part its detector keeps apart (back to its level between, or twice as far) 10 hours after: another', 3, 10, 'distinct', false],
    ['a sustained one, and a part its detector keeps apart 1 hour after (within a flap): another', 3, 1, 'distinct', false],
  ])('when a slowdown closed, then the next opening: %s', (_, lasted, gap, cameBack, same) => {
    const open = new Map<string, Anomaly>();
    const end = T + lasted * HOUR;
    bookAnomalies(input({ open, online: [on(read, opened(T)), on(read, closed(T, end - 10 * 60_000, end))] }));
    const at = end + gap * HOUR;
    const episodeBack =
      cameBack === true
        ? { ...episode(T, at), spells: 2, spellStartedAt: at }
        : cameBack === 'distinct'
          ? { ...episode(at, at), distinct: true }
          : episode(at, at);
    const next = bookAnomalies(input({ open, online: [on(cameBack ? read : archive, { type: 'opened', episode: episodeBack })] }));
    expect(next.anomalies).toHaveLength(1);
    expect(next.anomalies[0].id === anomalyId(run.key, T)).toBe(same);
    expect(next.anomalies[0]).toMatchObject({ status: 'open', startedAt: same ? T : episodeBack.startedAt });
    if (same) expect(next.anomalies[0].endedAt).toBeUndefined();
  });

  it('when a part of a sustained slowdown opens again as a new episode of its series, then the slowdown goes on, reported when it first was', () => {
    const open = new Map<string, Anomaly>();
    const first = { ...episode(T, T + 3 * HOUR), detectedAt: T + 5 * 60_000 };
    bookAnomalies(
      input({
        open,
        online: [on(read, { type: 'opened', episode: first }), on(read, { type: 'closed', episode: first, endedAt: T + 3 * HOUR, acceptedAsNormal: false })],
      }),
    );
    // The same step's series, 10 hours on, a new episode of its own (not a spell of the first).
    const again = { ...episode(T + 13 * HOUR, T + 13 * HOUR), detectedAt: T + 13 * HOUR + 60_000 };
    const next = bookAnomalies(input({ open, online: [on(read, { type: 'opened', episode: again })] }));
    expect(next.anomalies[0]).toMatchObject({ id: anomalyId(run.key, T), startedAt: T, detectedAt: T + 5 * 60_000 });
    expect(next.anomalies[0].parts!.map((p) => p.startedAt)).toEqual([T + 13 * HOUR]);
  });

  it("when a step's anomaly is open from before slowdowns were one anomaly, then it goes into its workflow's slowdown", () => {
    // As a collector of the version before stored them: the run's and a step's, each on its own.
    const legacyRun = { ...applyEvent(run, opened(T)), incidentId: 'in-old' };
    const legacyStep = { ...applyEvent(read, opened(T + 10 * 60_000)), incidentId: 'in-old' };
    const open = new Map<string, Anomaly>([
      [run.key, legacyRun],
      [read.key, legacyStep],
    ]);
    const book = bookAnomalies(input({ open, online: [on(archive, opened(T + HOUR))] }));
    expect([...open.keys()]).toEqual([run.key]);
    expect(book.removedAnomalies).toEqual([legacyStep.id]);
    expect(book.anomalies).toEqual([
      expect.objectContaining({ id: legacyRun.id, status: 'open', incidentId: 'in-old', steps: ['Read input file', 'Archive documents'] }),
    ]);
    expect(book.anomalies[0].parts!.map((p) => p.seriesKey)).toEqual([run.key, read.key, archive.key]);
  });

  it('when its workflow is judged again, then the slowdown is booked afresh from the events and keeps its id and incident', () => {
    const events = {
      run: [opened(T + 30 * 60_000), closed(T + 30 * 60_000, T + HOUR, T + 2 * HOUR)],
      read: [opened(T), closed(T, T + 3 * HOUR, T + 4 * HOUR)],
    };
    const online = bookAnomalies(input({ online: [on(run, events.run[0]), on(read, events.read[0]), on(run, events.run[1]), on(read, events.read[1])] }))
      .anomalies[0];
    const stored = { ...online, incidentId: 'in-x' };
    const open = new Map<string, Anomaly>();
    const rejudged = bookAnomalies(
      input({
        open,
        superseded: [stored],
        rejudged: [
          { series: run, from: T, events: events.run },
          { series: read, from: T, events: events.read },
        ],
      }),
    );
    expect(rejudged.removedAnomalies).toEqual([]);
    expect(rejudged.anomalies).toEqual([{ ...online, incidentId: 'in-x' }]);
    expect(rejudged.regroupFrom).toBeUndefined();
  });

  it('when a slowdown stored open is found again closed before `from`, then it stays, closed', () => {
    const stored = bookAnomalies(input({ online: [on(read, opened(T, T + 20 * HOUR))] })).anomalies[0];
    const open = new Map([[run.key, stored]]);
    const book = bookAnomalies(
      input({ open, superseded: [stored], rejudged: [{ series: read, from: T + 12 * HOUR, events: [opened(T), closed(T, T + 3 * HOUR, T + 4 * HOUR)] }] }),
    );
    expect(book.removedAnomalies).toEqual([]);
    expect(book.anomalies).toEqual([expect.objectContaining({ id: stored.id, status: 'closed', endedAt: T + 4 * HOUR })]);
  });
});
