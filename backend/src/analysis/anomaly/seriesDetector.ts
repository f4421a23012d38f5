import { normalQuantile } from '../distributions';
import { medianInPlace } from '../stats';
import type { NewError } from './newErrors';
import { Rarity } from './rarity';
import { SortedWindow } from './sortedWindow';
import type { Point, Scorer } from './scorers';

export type Direction = 'high' | 'low' | 'both';

export interface DetectorSettings {
  /** Threshold in robust standard deviations (default 4): lower finds more. */
  sensitivity: number;
  direction: Direction;
  /** Points of history before anything is judged (default 30). */
  minHistory: number;
  /**
   * ...and at least this long since its first point (default 0): a duration's baseline learned
   * over a quiet weekend or a first morning judges the first busy weekday as a slowdown.
   */
  minHistoryMs: number;
  /** The rolling stable window the baseline is fitted to (default 7 days). */
  windowMs: number;
  maxWindowPoints: number;
  /** Refit after this many new stable points. */
  refitEvery: number;
  /** Consecutive points beyond the threshold that open an anomaly (default 2)... */
  minConsecutive: number;
  /** ...unless one point is this many thresholds out (default 2). */
  extremeFactor: number;
  /** Consecutive normal points that close an anomaly (default 3). */
  closeAfterNormal: number;
  /** An anomaly lasting this long is the new normal: the baseline restarts from its points (default 1 day). */
  acceptAfterMs: number;
  /**
   * An episode that opens in the same direction within this long of the end of a sustained one
   * (`sustained`) continues it (default 1 day; 0 turns it off): a drift that closes overnight and
   * comes back in the morning, or goes on past its acceptance as the new normal, is one anomaly,
   * not one a day. A short spike that comes back is another.
   */
  rejoinMs: number;
  /**
   * Points in the sustained-shift check (default 20; 0 turns it off): when the median z of the
   * last `shiftWindow` points, scaled to its own standard error, passes the threshold, the
   * series has shifted or drifted even if no single point stands out.
   */
  shiftWindow: number;
  /**
   * ...and that median is at least this many robust SDs out (default 1.5): a shift too small to
   * matter, or a seasonal baseline a little off, is not an anomaly however significant.
   */
  shiftMinEffect: number;
  /**
   * How far beyond the threshold severity reaches 1 (default twice the threshold): an exact tail
   * (failures) is far less likely to be that far out by chance than a robust z of durations.
   */
  severitySpan?: number;
  /**
   * A severity from how much the point departs, beside how improbable it is (the larger counts):
   * for failures, the share of recent runs failing beyond the usual rate (3 of 4 runs failing
   * where 1% usually do is 0.74, severe however few runs tell it).
   */
  effectSeverity?: (seen: Point, expected: number) => number;
  /** For 'high' series: values below this never count as anomalous (e.g. CPU under 80%)... */
  floor?: number;
  /**
   * ...unless the series climbs steadily toward `limit` and, at its pace over its last `points`
   * points, reaches it within `horizonMs` (memory leaking toward 100%), from `minValue` up.
   */
  forecast?: { limit: number; horizonMs: number; points: number; minValue: number };
  /**
   * How rare a point is, `Judgement.rarity`, is judged among this many earlier points (default
   * 1000; 0 turns it off)...
   */
  rarityPoints: number;
  /** ...for its own distance and for the mean distance of the last this many points (default 5). */
  rarityMeanPoints: number;
  /**
   * When a point's evidence is complete, in the data's time (default: the point's time): a run
   * timed from its start is known at its end, an hour's count when the hour is over.
   */
  evidenceEnd?: (point: Point) => number;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  sensitivity: 4,
  direction: 'high',
  minHistory: 30,
  minHistoryMs: 0,
  windowMs: 7 * 86_400_000,
  maxWindowPoints: 2000,
  refitEvery: 10,
  minConsecutive: 2,
  extremeFactor: 2,
  closeAfterNormal: 3,
  acceptAfterMs: 86_400_000,
  rejoinMs: 86_400_000,
  shiftWindow: 20,
  shiftMinEffect: 1.5,
  rarityPoints: 1000,
  rarityMeanPoints: 5,
};

/** The anomaly a series is in, while it lasts. */
export interface Episode {
  startedAt: number;
  lastSeenAt: number;
  points: number;
  direction: 'high' | 'low';
  firstSeverity: number;
  peakSeverity: number;
  peakScore: number;
  expected: number;
  observed: number;
  /** The trials of the last point (runs in a failure-rate window), where it has them. */
  observedTrials?: number;
  /** When `observed` counts the failures on system errors alone, `expected` being their rate. */
  observedSystem?: boolean;
  /**
   * What holds its latest point beyond the threshold: the point itself (with those before it in a
   * row), or the sustained-shift check (a drift or a shift no single point gives away: the point
   * may even look normal).
   */
  evidence?: 'points' | 'shift';
  normalRun: number;
  /** When the evidence that opened it was complete (`evidenceEnd` of the point that opened it). */
  detectedAt?: number;
  /** How many times it opened: above 1 when it came back within `rejoinMs` of closing. */
  spells?: number;
  /** Where the current spell began, when it is not the first (`acceptAfterMs` counts from here). */
  spellStartedAt?: number;
  /**
   * Opened as a new episode, within `rejoinMs` of the last one in its direction, for what it is:
   * twice as far out, or after a sustained one whose series went back to its level between them
   * (`wentBack`). What books it (a workflow's slowdown) keeps it apart too, even within a flap.
   */
  distinct?: boolean;
  /** When it was last accepted as the new normal (the baseline restarted from its points). */
  acceptedAt?: number;
  /** Where the series is heading, while it climbs toward its `forecast` limit: its pace an hour and when it gets there. */
  forecast?: { perHour: number; reachesAt: number; limit: number };
  /**
   * Its point farthest out, by the point's own score in its direction: a spike's slowest run,
   * where `observed` may by now be a point back near normal that the drift check still holds.
   */
  worst?: { z: number; observed: number; expected: number };
  /**
   * Opened within an hour not judged whole yet, by a silence (`SeriesDetector.silence`): when the
   * last run before it ended. Kept once the hour's point goes on with it.
   */
  silentSince?: number;
  /** For a failure rate: the first failure on an error new to the fleet that held it beyond the threshold (opening it or bringing it back), and how rare one was. */
  newError?: NewError;
}

/**
 * A stretch of a workflow's runs without one ending: from the end of the run before it (`from`)
 * to the end of the next (`to`: Infinity while none has), and how many runs ended in the hour
 * before it (the rate it broke off from).
 */
export interface Silence {
  from: number;
  to: number;
  runsBefore: number;
}

/**
 * Usual intervals between runs that a silence is told after. No run in 12 of them comes 1 time in
 * 160,000 to runs that come at random at their usual rate; an hour's usual rate is a few weeks'
 * count, and a day 25% quieter than it makes that 1 in 8,100 (at 9, five chance silences were
 * told in a week of `eval:sim --runs-per-hour 12`, seed 2).
 */
export const SILENCE_INTERVALS = 12;

/** Silences shorter than this are not told, however busy the workflow: runs that queue behind a slow one, an agent that sends in batches. */
export const MIN_SILENCE_MS = 10 * 60_000;

/** A silence not told within this long of its start is left to the hourly points (a workflow that runs a few times an hour). */
export const MAX_SILENCE_WAIT_MS = 2 * 3_600_000;

export type DetectorEvent =
  | { type: 'opened'; episode: Episode }
  | { type: 'updated'; episode: Episode }
  | { type: 'closed'; episode: Episode; endedAt: number; acceptedAsNormal: boolean };

/** One point's verdict. `score` is the directional distance in thresholds' units, 0 while warming up. */
export interface Judgement {
  ready: boolean;
  z: number;
  exceeds: boolean;
  severity: number;
  expected: number;
  /**
   * How rare this point's distance is for this series, in [0, 1): the larger of the rarity of
   * its own directional z and of the mean z of the last `rarityMeanPoints` points (a shift or a
   * burst no single point shows) among the last `rarityPoints` points. Above 0.999 with the
   * defaults: farther out than any of the last thousand points.
   */
  rarity: number;
}

export interface DetectorState {
  window: Point[];
  /** Points beyond the threshold not yet an episode: `z` the score they exceeded by, `own` the point's own z in the series' direction (absent in states kept before it). */
  pending: Array<{ point: Point; z: number; expected: number; byShift?: boolean; own?: number }>;
  episode?: Episode;
  /**
   * The last episode, closed at `endedAt`: a new one soon after in its direction continues it,
   * unless the points between them (`between`: how many, and how many of them beyond the expected
   * value in its direction) say the series went back to its level.
   */
  previous?: Episode & { endedAt: number; between?: { points: number; beyond: number } };
  /** Every point since the episode began: the new baseline if the episode is accepted. */
  episodePoints?: Point[];
  recentZ?: number[];
  /** The directional z of recent points, and the means of `rarityMeanPoints` of them, for `rarity`. */
  rarity?: { z: number[]; means: number[]; recent: number[] };
  sinceFit: number;
  fitted: boolean;
  lastTime?: number;
  /** The last `forecast.points` points' times and values, for the forecast. */
  recentValues?: Array<[number, number]>;
  /** The time of the first point the series had (`minHistoryMs` counts from it). */
  since?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Takes the first `count` points (if any) off a window. One at a time, the usual case once a window
 * is full, `shift` moves the array's start rather than its 2,000 points.
 */
function dropOldest(window: Point[], count: number): void {
  if (count === 1) window.shift();
  else if (count > 1) window.splice(0, count);
}

/**
 * The Theil-Sen slope of `values[from..to)` (the median of the slopes of every pair: robust to a
 * few jumps) and the share of pairs that rise.
 */
function trend(values: ReadonlyArray<readonly [number, number]>, from: number, to: number): { slope: number; rising: number } | undefined {
  const pairs = ((to - from) * (to - from - 1)) / 2;
  if (slopeScratch.length < pairs) slopeScratch = new Float64Array(pairs);
  let n = 0;
  let rising = 0;
  for (let i = from; i < to; i++) {
    for (let j = i + 1; j < to; j++) {
      const dt = values[j][0] - values[i][0];
      if (dt <= 0) continue;
      slopeScratch[n++] = (values[j][1] - values[i][1]) / dt;
      if (values[j][1] > values[i][1]) rising++;
    }
  }
  return n ? { slope: medianInPlace(slopeScratch, 0, n), rising: rising / n } : undefined;
}

/** Scratch for the pairwise slopes of `trend`. */
let slopeScratch = new Float64Array(300);

/**
 * The share of the pairs of `values[from, to)` that rise and the steepest of their slopes, without
 * the median `trend` sorts for: a series that cannot pass the forecast's checks (fewer than 70% of
 * its pairs rising, or no pair steep enough to reach the limit in time, so neither is the median)
 * is let go before it. Most points of a busy host's memory or a disk's space are.
 */
function pairBounds(values: ReadonlyArray<readonly [number, number]>): { rising: number; steepest: number } {
  let pairs = 0;
  let rising = 0;
  let steepest = -Infinity;
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const dt = values[j][0] - values[i][0];
      if (dt <= 0) continue;
      pairs++;
      const rise = values[j][1] - values[i][1];
      if (rise > 0) rising++;
      if (rise / dt > steepest) steepest = rise / dt;
    }
  }
  return { rising: pairs ? rising / pairs : 0, steepest };
}

/** Scratch for the sustained-shift median, taken at every point of every series. */
let shiftScratch = new Float64Array(64);

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * `Number(value.toPrecision(4))`, without the string: the analysis rounds two numbers a point.
 * Exact: the scaled value is rounded as toPrecision rounds it, and scaling back by an exact power
 * of ten rounds once, as parsing the string does; values within a millionth of a tie, and those
 * whose decimal exponent `log10` may misjudge, take the string path.
 */
export function fourSignificant(value: number): number {
  if (value === 0) return 0;
  const magnitude = Math.abs(value);
  const scale = 3 - Math.floor(Math.log10(magnitude));
  if (!(scale >= -22 && scale <= 22)) return Number(value.toPrecision(4));
  const scaled = scale >= 0 ? magnitude * POWERS_OF_TEN[scale] : magnitude / POWERS_OF_TEN[-scale];
  const digits = Math.round(scaled);
  if (digits < 1000 || digits > 9999 || Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) return Number(value.toPrecision(4));
  const rounded = scale >= 0 ? digits / POWERS_OF_TEN[scale] : digits * POWERS_OF_TEN[-scale];
  return value < 0 ? -rounded : rounded;
}

/**
 * Severity of a point `z` robust deviations out: 0.4 at the threshold, 1 from `span` beyond it on
 * (by default twice the threshold: 0.7 at twice it, 1 from three times on).
 */
export function pointSeverity(z: number, threshold: number, span = 2 * threshold): number {
  return Math.min(1, Math.max(0.4, 0.4 + (0.6 * (Math.abs(z) - threshold)) / span));
}

/** Persistence escalates: level 2 after 5 points or 30 minutes, level 3 after 15 points or 2 hours. */
export function escalationLevel(episode: Episode): number {
  const duration = episode.lastSeenAt - episode.startedAt;
  return 1 + Number(episode.points >= 5 || duration >= 1_800_000) + Number(episode.points >= 15 || duration >= 7_200_000);
}

/**
 * Whether an episode was sustained, so that it may continue when it comes back: held by the drift
 * check at its end, taken as the new normal, or two hours long in its last spell.
 */
export function sustained(episode: Episode): boolean {
  return episode.evidence === 'shift' || episode.acceptedAt !== undefined || episode.lastSeenAt - (episode.spellStartedAt ?? episode.startedAt) >= 7_200_000;
}

/**
 * Whether the points between two episodes say the series went back to its level: two hours or
 * more of them, as many on either side of the expected value as a stable series gives (a sign
 * test: at most 65% beyond it in the episode's direction, over 10 points or more). A drift that the threshold lets go of
 * overnight keeps its points on its side; a host's slow morning followed by a normal afternoon
 * does not, and a spike the next day is a new anomaly.
 */
export function wentBack(between: { points: number; beyond: number } | undefined, gapMs: number): boolean {
  return gapMs >= WENT_BACK_MS && between !== undefined && between.points >= 10 && between.beyond <= 0.65 * between.points;
}

/** A gap shorter than this is a flap, whatever its points: the episode goes on. */
const WENT_BACK_MS = 7_200_000;

export function currentSeverity(episode: Episode): number {
  return Math.min(1, episode.peakSeverity + 0.1 * (escalationLevel(episode) - 1));
}

/**
 * An online anomaly detector for one series: each point is judged against a baseline fitted to
 * the points before it only, then (when normal) joins the rolling stable window. Anomalous points
 * stay out of the window, so an anomaly does not teach the baseline that it is normal, until it has
 * lasted `acceptAfterMs` and is taken as the new level.
 */
export class SeriesDetector {
  readonly settings: DetectorSettings;
  private state: DetectorState;
  private rarityTrackers?: { z: Rarity; means: Rarity };
  /** The last point's judgement, as `observe` reports it. */
  private readonly last: Judgement = { ready: false, z: 0, exceeds: false, severity: 0, expected: 0, rarity: 0 };
  /** The state's `recentZ` kept in order too, for the sustained-shift median (undefined while a NaN is among them). */
  private recentWindow?: SortedWindow;
  /** Where the series is heading at the last point, when it climbs toward its forecast limit. */
  private heading?: Episode['forecast'];

  /**
   * @param state where to resume from (`currentState` of a detector of the same series)
   * @param baseline that detector's fitted baseline (`fittedBaseline`): without it, the baseline
   *   is fitted again to the state's window, which may hold points the other had not fitted yet
   */
  constructor(
    private readonly scorer: Scorer,
    settings: Partial<DetectorSettings> = {},
    state?: DetectorState,
    baseline?: unknown,
  ) {
    this.settings = { ...DEFAULT_DETECTOR_SETTINGS, ...settings };
    if (!(this.settings.sensitivity > 0)) throw new RangeError(`sensitivity must be positive, got ${this.settings.sensitivity}`);
    this.state = state ?? { window: [], pending: [], sinceFit: 0, fitted: false };
    // A state kept before rarity was turned off carries its history: it would never change again.
    if (this.settings.rarityPoints <= 0 && this.state.rarity) this.state.rarity = undefined;
    const loaded = this.state.fitted && baseline !== undefined && this.scorer.load(baseline);
    if (!loaded && this.state.fitted && this.state.window.length > 0) this.fit();
  }

  get episode(): Episode | undefined {
    return this.state.episode;
  }

  get lastTime(): number | undefined {
    return this.state.lastTime;
  }

  /** A JSON-safe snapshot that a new detector resumes from. */
  snapshot(): DetectorState {
    return structuredClone(this.state);
  }

  /** The baseline as last fitted, for a detector resuming from `currentState` elsewhere; undefined before the first fit. */
  get fittedBaseline(): unknown {
    return this.state.fitted ? this.scorer.save() : undefined;
  }

  /** The live state, JSON-safe: to write out at once (it changes with the next point), not to keep. */
  get currentState(): DetectorState {
    return this.state;
  }

  baseline(): Record<string, unknown> | undefined {
    return this.state.fitted ? { ...this.scorer.describe(), points: this.state.window.length } : undefined;
  }

  /**
   * Whether `silence` is told within the hour starting at `hour`, before that hour is judged whole
   * (runs per hour, judged low). It is told once it has lasted `SILENCE_INTERVALS` usual intervals
   * between runs (and `MIN_SILENCE_MS`), that moment falling within the hour, within the silence,
   * within the data (`until`) and within `MAX_SILENCE_WAIT_MS` of its start. The usual rate is the
   * lowest of:
   * - the hour's expected runs;
   * - that hour on the days of its week part (an hour of the week a week or two old is a count or two);
   * - the runs in the hour before the silence and one standard deviation of them (a slow day).
   *
   * Not told where an empty hour would not open an anomaly on its own (beyond the threshold by
   * `extremeFactor`: a workflow that runs a few times an hour), nor after an hour with under half
   * the usual runs. The episode opens at `hour` with no point yet. The hour's point, judged
   * whole, goes on with it when beyond the threshold (its strength then the point's, not an
   * empty hour's), or ends it at once, at the hour's end. Returns the event, or undefined when it
   * is not told (or an episode or pending points are there already).
   */
  silence(hour: number, silence: Silence, until: number): DetectorEvent | undefined {
    const s = this.settings;
    const state = this.state;
    if (state.episode || state.pending.length > 0 || !state.fitted || state.since === undefined || hour - state.since < s.minHistoryMs) return undefined;
    if (state.lastTime !== undefined && hour <= state.lastTime) return undefined;
    const scored = this.scorer.score({ time: hour, value: 0 });
    if (Number.isNaN(scored.z) || scored.provisional || -scored.z < s.extremeFactor * s.sensitivity) return undefined;
    // The hour's usual runs, or that hour on the days of its week part where fewer: an hour of the
    // week a week or two old is a count or two.
    const sameHour = this.scorer.sameHourOfDay?.(hour) ?? Number.NaN;
    const usual = sameHour < scored.expected ? sameHour : scored.expected;
    // A workflow already at half its usual pace or less is left to the hourly points.
    if (silence.runsBefore < usual / 2) return undefined;
    const rate = Math.min(usual, silence.runsBefore + Math.sqrt(silence.runsBefore));
    const at = silence.from + Math.max(MIN_SILENCE_MS, Math.ceil((SILENCE_INTERVALS * HOUR_MS) / rate));
    if (at < hour || at >= hour + HOUR_MS || at > silence.to || at > until || at - silence.from > MAX_SILENCE_WAIT_MS) return undefined;
    const score = -scored.z;
    const severity = this.severityOf(score, { time: hour, value: 0 }, usual);
    state.previous = undefined;
    state.episode = {
      startedAt: hour,
      lastSeenAt: hour,
      points: 0,
      direction: 'low',
      evidence: 'points',
      detectedAt: at,
      firstSeverity: severity,
      peakSeverity: severity,
      peakScore: score,
      expected: usual,
      observed: 0,
      normalRun: 0,
      worst: { z: score, observed: 0, expected: usual },
      silentSince: silence.from,
    };
    state.episodePoints = [];
    return { type: 'opened', episode: { ...state.episode } };
  }

  /** Judges `point` (points must come in time order) and reports what changed. */
  observe(point: Point): { judgement: Judgement; events: DetectorEvent[] } {
    const events: DetectorEvent[] = [];
    this.judge(point, events);
    const last = this.last;
    return {
      judgement: { ready: last.ready, z: last.z, exceeds: last.exceeds, severity: last.severity, expected: last.expected, rarity: last.rarity },
      events,
    };
  }

  /**
   * `observe` for a series judged whole: what changed goes to `events`, and the point's judgement
   * is not made an object (millions of points a first pass).
   */
  observeInto(point: Point, events: DetectorEvent[], newError?: NewError): void {
    this.judge(point, events, newError);
  }

  /**
   * Judges `point` into `this.last`, what changed into `events`. A failure on an error new to the
   * fleet (`newError`) is as far out as its chance says, where that is farther than its window's
   * failures are.
   */
  private judge(point: Point, events: DetectorEvent[], newError?: NewError): void {
    const s = this.settings;
    const state = this.state;
    const last = this.last;
    state.lastTime = point.time;
    this.prune(point.time);
    this.heading = s.forecast ? this.forecast(point, s.forecast) : undefined;
    // A state kept before `since` was, already judging, goes on judging (its window's start may
    // be recent: a baseline accepted anew, a busy series' points capped); 0 is JSON-safe.
    state.since ??= state.fitted ? 0 : point.time;
    // A point the baseline cannot judge yet (a `SameTimeScorer`'s without its earlier days), or
    // judges only `provisional`ly (a first weekend's hour of runs per hour by the weekdays'), is
    // history only while nothing is pending or open; else it is judged (one that cannot be judged:
    // as not beyond). A provisional judgement goes on with or ends an anomaly, or confirms a point
    // already pending; it never starts one.
    const scored = state.fitted && point.time - state.since >= s.minHistoryMs ? this.scorer.score(point) : undefined;
    if (!scored || ((Number.isNaN(scored.z) || scored.provisional) && !state.episode && state.pending.length === 0)) {
      this.admit(point);
      last.ready = false;
      last.z = 0;
      last.exceeds = false;
      last.severity = 0;
      last.expected = point.value;
      last.rarity = 0;
      return;
    }
    const novel = newError && Math.min(40, -normalQuantile(newError.chance)) > scored.z ? newError : undefined;
    const { z, expected, settled, window } = novel ? { z: Math.min(40, -normalQuantile(novel.chance)), expected: scored.expected } : scored;
    const directional = s.direction === 'high' ? z : s.direction === 'low' ? -z : Math.abs(z);
    const rarity = this.rarity(directional);
    const shift = settled === false ? 0 : this.shiftScore(directional);
    const score = Math.max(directional, shift);
    const belowFloor = s.floor !== undefined && s.direction === 'high' && point.value < s.floor && this.heading === undefined;
    const exceeds = score >= s.sensitivity && !belowFloor;
    const previous = state.previous;
    if (previous && !state.episode && !exceeds) {
      const between = (previous.between ??= { points: 0, beyond: 0 });
      between.points++;
      if (previous.direction === 'high' ? z > 0 : z < 0) between.beyond++;
    }
    last.ready = true;
    last.z = score;
    last.exceeds = exceeds;
    // What the anomaly says it saw: the point, or the window of recent runs its score is about.
    const seen = window ? { ...point, value: window.failures, trials: window.trials } : point;
    last.severity = exceeds ? this.severityOf(score, seen, expected) : 0;
    last.expected = expected;
    last.rarity = rarity;
    if (exceeds) this.onExceeding(point, seen, window?.system === true, z, directional, score, expected, shift > directional, events, novel);
    else this.onNormal(point, events);
  }

  private rarity(directional: number): number {
    const { rarityPoints, rarityMeanPoints } = this.settings;
    if (rarityPoints <= 0) return 0;
    const kept = (this.state.rarity ??= { z: [], means: [], recent: [] });
    // The trackers update the state's arrays in place, so a snapshot carries them.
    const trackers = (this.rarityTrackers ??= { z: new Rarity(rarityPoints, kept.z), means: new Rarity(rarityPoints, kept.means) });
    const recent = kept.recent;
    recent.push(directional);
    if (recent.length > rarityMeanPoints) recent.shift();
    let total = 0;
    for (const z of recent) total += z;
    const mean = total / recent.length;
    // Four significant digits are plenty to rank by, and keep the persisted state small.
    return Math.max(trackers.z.observe(fourSignificant(directional)), trackers.means.observe(fourSignificant(mean)));
  }

  /**
   * Whether the series, at the pace of its last `points` points (`trend`), reaches `limit` within
   * `horizonMs`: only when it climbs steadily (70% of the pairs rise, and both halves climb), from
   * `minValue` up.
   */
  private forecast(point: Point, { limit, horizonMs, points, minValue }: NonNullable<DetectorSettings['forecast']>): Episode['forecast'] {
    const recent = (this.state.recentValues ??= []);
    recent.push([point.time, point.value]);
    if (recent.length > points) recent.shift();
    if (recent.length < points || point.value < minValue || point.value >= limit) return undefined;
    const bounds = pairBounds(recent);
    if (bounds.rising < 0.7 || !((limit - point.value) / bounds.steepest <= horizonMs)) return undefined;
    const whole = trend(recent, 0, recent.length);
    if (whole === undefined || whole.rising < 0.7 || !(whole.slope > 0)) return undefined;
    // Steadily: each half climbs too, at half the pace or more (a step up then flat is not a leak).
    const half = Math.floor(recent.length / 2);
    for (const part of [trend(recent, 0, half), trend(recent, half, recent.length)]) {
      if (part === undefined || !(part.slope >= 0.5 * whole.slope)) return undefined;
    }
    const reachesIn = (limit - point.value) / whole.slope;
    return reachesIn <= horizonMs ? { perHour: whole.slope * 3_600_000, reachesAt: Math.round(point.time + reachesIn), limit } : undefined;
  }

  /**
   * Median of the last `shiftWindow` directional z-scores over its standard error under no
   * change (1.2533 / √n): about N(0, 1) while the series is stable.
   */
  private shiftScore(directional: number): number {
    const n = this.settings.shiftWindow;
    if (n <= 0) return 0;
    const recent = (this.state.recentZ ??= []);
    // Made again for a new state's scores (the baseline restarted), and left aside while a NaN is among them.
    let window = this.recentWindow?.history === recent && !Number.isNaN(directional) ? this.recentWindow : undefined;
    if (window) window.push(directional);
    else {
      recent.push(directional);
      if (recent.length > n) recent.shift();
      window = recent.some(Number.isNaN) ? undefined : new SortedWindow(n, recent);
    }
    this.recentWindow = window;
    if (recent.length < n) return 0;
    let center: number;
    if (window) center = window.median();
    else {
      if (shiftScratch.length < n) shiftScratch = new Float64Array(n);
      shiftScratch.set(recent);
      center = medianInPlace(shiftScratch, 0, n);
    }
    return center >= this.settings.shiftMinEffect ? (center * Math.sqrt(n)) / 1.2533 : 0;
  }

  /**
   * @param system whether `seen` counts the failures on system errors alone
   * @param own the point's own distance in the series' direction (not the drift check's): what `worst` is kept by
   */
  private onExceeding(
    point: Point,
    seen: Point,
    system: boolean,
    z: number,
    own: number,
    score: number,
    expected: number,
    byShift: boolean,
    events: DetectorEvent[],
    newError?: NewError,
  ): void {
    const s = this.settings;
    const state = this.state;
    const episode = state.episode;
    if (episode) {
      // A silence's episode took an empty hour's strength: its hour's own point replaces it.
      if (episode.points === 0) {
        episode.peakSeverity = 0;
        episode.peakScore = 0;
      }
      episode.points++;
      episode.lastSeenAt = point.time;
      episode.normalRun = 0;
      episode.peakSeverity = Math.max(episode.peakSeverity, this.severityOf(score, seen, expected));
      episode.peakScore = Math.max(episode.peakScore, score);
      episode.observed = seen.value;
      if (!(own <= (episode.worst?.z ?? -Infinity))) episode.worst = { z: own, observed: seen.value, expected };
      if (seen.trials !== undefined) episode.observedTrials = seen.trials;
      if (system) episode.observedSystem = true;
      else delete episode.observedSystem;
      // A point the drift check alone holds beyond the threshold may itself look normal.
      episode.evidence = byShift ? 'shift' : 'points';
      episode.expected = expected;
      // The latest heading it had: a point that dips does not undo the climb.
      if (this.heading) episode.forecast = this.heading;
      this.keepEpisodePoint(point);
      events.push(
        point.time - (episode.spellStartedAt ?? episode.startedAt) >= s.acceptAfterMs ? this.accept(point) : { type: 'updated', episode: { ...episode } },
      );
      return;
    }
    state.pending.push({ point, z: score, expected, byShift, own });
    if (state.pending.length < s.minConsecutive && score < s.extremeFactor * s.sensitivity) return;
    const first = state.pending[0];
    const peakScore = Math.max(...state.pending.map((p) => p.z));
    // The direction the series is watched in: a drift check fires on the median of recent points,
    // whose sign the last point alone need not share.
    const direction = s.direction === 'both' ? (z >= 0 ? 'high' : 'low') : s.direction;
    const severity = this.severityOf(peakScore, seen, expected);
    const previous = state.previous;
    const recent = previous !== undefined && previous.direction === direction && s.rejoinMs > 0 && first.point.time - previous.endedAt <= s.rejoinMs;
    // A problem twice as far out as the last one is a new one (a spike on a morning after a slow one);
    // so is one after the series went back to its level (once taken as the new normal, the points
    // after it are judged against its level: they say nothing of the old one).
    const tooFar = recent && peakScore > 2 * previous.peakScore;
    const returned = recent && previous.acceptedAt === undefined && wentBack(previous.between, first.point.time - previous.endedAt);
    const rejoins = recent && sustained(previous) && !tooFar && !returned;
    // Kept apart for what it is, not merely because the last one was short: what books it may join them still.
    const distinct = tooFar || (recent && sustained(previous) && returned);
    state.previous = undefined;
    const top = state.pending.reduce((a, b) => ((b.own ?? b.z) > (a.own ?? a.z) ? b : a));
    const topZ = top.own ?? top.z;
    const worst = rejoins && previous.worst && previous.worst.z >= topZ ? previous.worst : { z: topZ, observed: top.point.value, expected: top.expected };
    state.episode = {
      startedAt: rejoins ? previous.startedAt : first.point.time,
      lastSeenAt: point.time,
      points: state.pending.length + (rejoins ? previous.points : 0),
      direction,
      evidence: byShift ? 'shift' : 'points',
      detectedAt: rejoins && previous.detectedAt !== undefined ? previous.detectedAt : (s.evidenceEnd?.(point) ?? point.time),
      firstSeverity: rejoins ? previous.firstSeverity : severity,
      peakSeverity: rejoins ? Math.max(previous.peakSeverity, severity) : severity,
      peakScore: rejoins ? Math.max(previous.peakScore, peakScore) : peakScore,
      expected,
      observed: seen.value,
      ...(seen.trials === undefined ? {} : { observedTrials: seen.trials }),
      ...(system ? { observedSystem: true } : {}),
      // A failure rate that comes back keeps the new error it came with; one that a new error brings back says so too.
      ...((rejoins ? (previous.newError ?? newError) : newError) ? { newError: rejoins ? (previous.newError ?? newError) : newError } : {}),
      normalRun: 0,
      ...(this.heading ? { forecast: this.heading } : {}),
      ...(distinct ? { distinct: true } : {}),
      worst,
      ...(rejoins
        ? {
            spells: (previous.spells ?? 1) + 1,
            spellStartedAt: first.point.time,
            ...(previous.acceptedAt === undefined ? {} : { acceptedAt: previous.acceptedAt }),
          }
        : {}),
    };
    state.episodePoints = state.pending.map((p) => p.point);
    state.pending = [];
    events.push({ type: 'opened', episode: { ...state.episode } });
  }

  /** A point's severity beyond the threshold: by how improbable it is, or by its effect where that is more. */
  private severityOf(score: number, seen: Point, expected: number): number {
    const s = this.settings;
    return Math.max(pointSeverity(score, s.sensitivity, s.severitySpan), Math.min(1, s.effectSeverity?.(seen, expected) ?? 0));
  }

  private onNormal(point: Point, events: DetectorEvent[]): void {
    const state = this.state;
    // A lone point beyond the threshold that was not followed up was noise: it joins the window.
    if (state.pending.length > 0) {
      for (const pending of state.pending) this.admit(pending.point);
      state.pending = [];
    }
    const episode = state.episode;
    if (episode) {
      episode.normalRun++;
      this.keepEpisodePoint(point);
      // A silence its hour did not bear out (the runs came back within it) ends with that hour.
      const unconfirmed = episode.points === 0 && episode.silentSince !== undefined;
      if (unconfirmed || episode.normalRun >= this.settings.closeAfterNormal) {
        const endedAt = unconfirmed ? (this.settings.evidenceEnd?.(point) ?? point.time) : point.time;
        state.episode = undefined;
        state.episodePoints = undefined;
        state.previous = { ...episode, endedAt };
        events.push({ type: 'closed', episode: { ...episode }, endedAt, acceptedAsNormal: false });
      }
    }
    this.admit(point);
  }

  /** The anomaly has lasted long enough to be the new normal: the baseline restarts from it. */
  private accept(point: Point): DetectorEvent {
    const state = this.state;
    const episode = state.episode!;
    episode.acceptedAt = point.time;
    state.window = state.episodePoints ?? [point];
    state.previous = { ...episode, endedAt: point.time };
    state.episode = undefined;
    state.episodePoints = undefined;
    state.recentZ = [];
    state.sinceFit = 0;
    this.scorer.fit(state.window);
    return { type: 'closed', episode: { ...episode }, endedAt: point.time, acceptedAsNormal: true };
  }

  /**
   * Fits the baseline to the window without its newest `shiftWindow` points, when the rest is
   * history enough: the points the sustained-shift check looks at must not have moved the
   * baseline they are compared with, or a slow drift would teach the baseline as it goes.
   */
  private fit(): void {
    const window = this.state.window;
    const guard = this.settings.shiftWindow;
    this.scorer.fit(window, guard > 0 && window.length - guard >= this.settings.minHistory ? window.length - guard : window.length);
  }

  private keepEpisodePoint(point: Point): void {
    const points = (this.state.episodePoints ??= []);
    points.push(point);
    if (points.length > this.settings.maxWindowPoints) points.shift();
  }

  private admit(point: Point): void {
    const state = this.state;
    state.window.push(point);
    dropOldest(state.window, state.window.length - this.settings.maxWindowPoints);
    state.sinceFit++;
    // A long window moves slowly: refit after a twentieth of it is new, at least every `refitEvery`.
    const refitAfter = Math.max(this.settings.refitEvery, Math.floor(state.window.length / 20));
    const due = state.fitted ? state.sinceFit >= refitAfter : state.window.length >= this.settings.minHistory;
    if (due) {
      this.fit();
      state.fitted = true;
      state.sinceFit = 0;
    }
  }

  private prune(now: number): void {
    const cutoff = now - this.settings.windowMs;
    const window = this.state.window;
    let drop = 0;
    while (drop < window.length && window[drop].time < cutoff) drop++;
    // Keep enough history to stay judged even after a long quiet spell.
    dropOldest(window, Math.min(drop, window.length - this.settings.minHistory));
  }
}
