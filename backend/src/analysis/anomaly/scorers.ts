import { betaBinomialUpperTail, binomialUpperTail, logBeta, normalQuantile } from '../distributions';
import { MAD_TO_SIGMA, median, medianInPlace, medianOfSorted } from '../stats';
import { isWeekendDay, localClock, type LocalClock } from '../localClock';
import { medianDistanceNear } from './bucketDistances';
import { FittedValues } from './fittedValues';

/** One observation: a value at a time; `trials` for rates (runs in the hour for a failure count). */
export interface Point {
  time: number;
  value: number;
  trials?: number;
  /** For failures among recent runs: which of them failed, bit 0 the latest (bit i: i runs before it). */
  outcomes?: number;
  /** ...and which of them failed on a system error (any but a business exception), bit for bit as `outcomes`. */
  systemOutcomes?: number;
}

/**
 * How a baseline follows the fleet's clock (`RPA_TIME_ZONE`, UTC by default): not at all, per hour of the day, per hour of the day on
 * weekdays and at weekends apart (`hourOfDayByWeekpart`: a fleet under weekday load runs slower
 * than at weekends, and a weekend must not teach Monday's hours the faster runs), or per hour of
 * the week.
 */
export type Seasonality = 'none' | 'hourOfDay' | 'hourOfDayByWeekpart' | 'hourOfWeek';

/** How far a point is from normal, in robust standard deviations, and what normal was. */
export interface Score {
  /** NaN when the scorer has no baseline for this point (`SameTimeScorer` without its earlier days): it is not judged. */
  z: number;
  expected: number;
  /**
   * False when a seasonal baseline had to fall back to the overall median for this point's
   * hour: good enough for a single point, not for judging a sustained shift.
   */
  settled?: boolean;
  /**
   * True when the baseline for this point is a weak guess (a first weekend's hour judged by that
   * hour on weekdays): good enough to tell whether an open anomaly goes on or ends, not to start one.
   */
  provisional?: boolean;
  /**
   * The failures, among this many recent runs, that the score is about, when not the point's own;
   * `system` when they are the failures on system errors alone (`expected` is then their rate).
   */
  window?: { failures: number; trials: number; system?: boolean };
}

/**
 * Turns the stable window into a baseline and scores new points against it. A scorer is pure
 * state over the window it was last fitted to; `fit` is called when the window has moved on.
 */
export interface Scorer {
  /** Fits the baseline to the first `count` points of `window` (all of them by default). */
  fit(window: readonly Point[], count?: number): void;
  score(point: Point): Score;
  /** A JSON-safe copy of the fitted baseline, for persistence and the API. */
  describe(): Record<string, unknown>;
  /** The fitted baseline exactly, for another thread's scorer to `load` (structured-cloneable). */
  save(): unknown;
  /**
   * Takes a baseline `save` gave, as if fitted to the window it was fitted to; false when it
   * cannot (saved by a scorer of another shape: a seasonality since changed), and the detector
   * fits its window again.
   */
  load(saved: unknown): boolean;
  /**
   * For an hour of the week: that hour of the day on the days of its week part (NaN where it has
   * none), which many days tell where the hour of the week has a week or two's count.
   */
  sameHourOfDay?(time: number): number;
}

const HOUR = 3600_000;

function seasonBucket(time: number, seasonality: Seasonality, clock: LocalClock): number {
  if (seasonality === 'none') return 0;
  const hour = clock.hour(time);
  if (seasonality === 'hourOfDay') return hour % 24;
  if (seasonality === 'hourOfWeek') return hour % (24 * 7);
  return (hour % 24) + (isWeekendDay(Math.floor(hour / 24)) ? 24 : 0);
}

export type Transform = 'identity' | 'log' | 'sqrt';

const TRANSFORMS: Record<Transform, { to: (v: number) => number; from: (v: number) => number }> = {
  identity: { to: (v) => v, from: (v) => v },
  // Durations are skewed: multiplicative noise becomes additive, and "3x slower" is one step.
  log: { to: (v) => Math.log(Math.max(v, 1e-9)), from: (v) => Math.exp(v) },
  // Counts: the square root steadies a Poisson's variance (sd about 0.5 whatever the mean).
  sqrt: { to: (v) => Math.sqrt(Math.max(v, 0)), from: (v) => v * v },
};

export interface RobustScorerOptions {
  transform: Transform;
  seasonality: Seasonality;
  /** Points a seasonal bucket needs before its own median is used (default 10). */
  minBucketPoints?: number;
  /** Smallest spread assumed, in transformed units: no series is judged as if noise-free. */
  minSigma: number;
  /**
   * With `hourOfWeek`: an hour of the week without a value of its own takes the median of that
   * hour on the other days of its week part where that is below the overall median (default
   * false: the overall median). For counts judged low, the lower of two guesses (for a series
   * watched for high values it would be the wrong one). A weekday hour that no weekday has yet
   * takes that hour at the weekend (as busy or quieter); a weekend hour that no weekend has yet
   * takes the weekdays', `provisional` (it may go on with or end an anomaly, not start one); an
   * hour no day has is not judged.
   */
  sameHourFallback?: boolean;
  /** The fleet's wall clock, whose hours and weekends the seasonal buckets are (default UTC's). */
  clock?: LocalClock;
}

/** Buckets of each seasonality: one per hour of the day or of the week. */
const SEASON_BUCKETS: Record<Seasonality, number> = { none: 1, hourOfDay: 24, hourOfDayByWeekpart: 48, hourOfWeek: 24 * 7 };

/**
 * Scratch space for fits, grown as needed: a baseline is refitted every few points of every
 * series, and fresh arrays for each fit were most of an analysis pass's garbage.
 */
let values = new Float64Array(1024);
let work = new Float64Array(1024);
let buckets = new Int32Array(1024);
/** An hour's weekday and weekend values together (`hourOfDayByWeekpart`). */
let pair = new Float64Array(1024);
/** Where each seasonal bucket starts in the sorted scratch, and its next free slot. */
const starts = new Int32Array(SEASON_BUCKETS.hourOfWeek + 1);
const next = new Int32Array(SEASON_BUCKETS.hourOfWeek);
/** Each seasonal bucket's center: its median, or the overall median where it has too few points. */
const centers = new Float64Array(SEASON_BUCKETS.hourOfWeek);
/** An hour of the day's bucket medians on the weekdays, at the weekend and on every day of a week (`fitSameHours`). */
const weekdayHours = new Float64Array(7);
const weekendHours = new Float64Array(7);
const everyDayHours = new Float64Array(7);

function reserve(n: number): void {
  if (values.length >= n) return;
  const size = Math.max(n, values.length * 2);
  values = new Float64Array(size);
  work = new Float64Array(size);
  buckets = new Int32Array(size);
  pair = new Float64Array(size);
}

/** Whether an hour of the day holds a full bucket's points, weekdays and weekends together. */
function anyHourFull(fitted: FittedValues): boolean {
  for (let hour = 0; hour < 24; hour++) if (fitted.countIn(hour) + fitted.countIn(hour + 24) >= Math.max(1, fitted.minBucketPoints)) return true;
  return false;
}

/**
 * Median and 1.4826 × MAD of the transformed values. With seasonality, each hour of the day (or
 * week) has its own median once it has enough points, and the spread is the robust spread of
 * the residuals from those medians; buckets without enough history fall back to the overall median.
 */
export class RobustScorer implements Scorer {
  private overallMedian = 0;
  private sigma = 0;
  /** Each seasonal bucket's median, NaN where the bucket has too few points. */
  private readonly bucketMedians: Float64Array;
  /** With `sameHourFallback`: each hour of the day's median on weekdays, at weekends and on every day (`fitSameHours`), NaN where none. */
  private readonly sameHourMedians?: Float64Array;
  private seasonalBuckets = 0;
  /** The last fit's points and values, kept to the next. */
  private readonly fitted: FittedValues;
  /** The last seasonal fit's median distance from the bucket medians: where the next one starts looking. */
  private lastDistance = Number.NaN;

  private readonly clock: LocalClock;

  constructor(private readonly options: RobustScorerOptions) {
    this.clock = options.clock ?? localClock();
    this.bucketMedians = new Float64Array(SEASON_BUCKETS[options.seasonality]).fill(Number.NaN);
    this.fitted = new FittedValues(
      SEASON_BUCKETS[options.seasonality],
      (time) => seasonBucket(time, options.seasonality, this.clock),
      options.minBucketPoints ?? 10,
    );
    if (options.sameHourFallback && options.seasonality === 'hourOfWeek') this.sameHourMedians = new Float64Array(72).fill(Number.NaN);
  }

  fit(window: readonly Point[], count = window.length): void {
    this.fitBuckets(window, count);
    this.fitSameHours();
  }

  /**
   * The median of each hour of the day's bucket medians on weekdays (0 to 23), at weekends (24 to
   * 47) and on every day (48 to 71): what an hour of the week without history of its own is
   * judged against (`sameHourFallback`).
   */
  private fitSameHours(): void {
    const same = this.sameHourMedians;
    if (!same) return;
    for (let hour = 0; hour < 24; hour++) {
      let weekdays = 0;
      let weekends = 0;
      for (let day = 0; day < 7; day++) {
        const value = this.bucketMedians[day * 24 + hour];
        if (Number.isNaN(value)) continue;
        if (isWeekendDay(day)) weekendHours[weekends++] = value;
        else weekdayHours[weekdays++] = value;
        everyDayHours[weekdays + weekends - 1] = value;
      }
      same[hour] = weekdays ? medianInPlace(weekdayHours, 0, weekdays) : Number.NaN;
      same[hour + 24] = weekends ? medianInPlace(weekendHours, 0, weekends) : Number.NaN;
      same[hour + 48] = weekdays + weekends ? medianInPlace(everyDayHours, 0, weekdays + weekends) : Number.NaN;
    }
  }

  private fitBuckets(window: readonly Point[], count: number): void {
    const { seasonality } = this.options;
    const n = count;
    reserve(n);
    const fitted = this.fitted;
    // In order unless a value is not a finite number: then selection makes of them what it always has.
    const ordered = n > 0 && fitted.update(window, n, TRANSFORMS[this.options.transform].to);
    const seasonal = n > 0 && seasonality !== 'none' && (fitted.anyBucketFull || (seasonality === 'hourOfDayByWeekpart' && anyHourFull(fitted)));
    if (!ordered) fitted.copyValues(values);
    if (ordered) this.overallMedian = fitted.median();
    else {
      work.set(values.subarray(0, n));
      this.overallMedian = medianInPlace(work, 0, n);
    }
    const medians = this.bucketMedians;
    medians.fill(Number.NaN);
    this.seasonalBuckets = 0;
    if (!seasonal) {
      if (ordered) {
        this.sigma = MAD_TO_SIGMA * fitted.medianDistance(this.overallMedian);
        return;
      }
      for (let i = 0; i < n; i++) work[i] = Math.abs(values[i] - this.overallMedian);
      this.sigma = MAD_TO_SIGMA * medianInPlace(work, 0, n);
      return;
    }
    const size = medians.length;
    const minPoints = this.options.minBucketPoints ?? 10;
    if (ordered && minPoints <= 1 && fitted.oneValueEach && seasonality !== 'hourOfDayByWeekpart') {
      // A bucket's one value is its median (a week of hours of the week): every value is its own
      // bucket's median, none is any distance from it.
      fitted.valuesByBucket(medians);
      this.seasonalBuckets = n;
      this.lastDistance = 0;
      this.sigma = 0;
      return;
    }
    if (ordered && fitted.bucketsInOrder) {
      // Each bucket's values are kept in order: its median is read off them.
      for (let key = 0; key < size; key++) {
        const points = fitted.countIn(key);
        if (points === 0 || points < minPoints) continue;
        medians[key] = medianOfSorted(fitted.ascendingIn(key), points);
        this.seasonalBuckets++;
      }
      if (seasonality === 'hourOfDayByWeekpart') this.weekendFallback(minPoints, (key) => fitted.ascendingIn(key).subarray(0, fitted.countIn(key)));
      // And the spread is found near the last fit's, from those orders, rather than over every value.
      for (let key = 0; key < size; key++) centers[key] = Number.isNaN(medians[key]) ? this.overallMedian : medians[key];
      const distance = medianDistanceNear(fitted, centers, n, this.lastDistance);
      if (distance !== undefined) {
        this.lastDistance = distance;
        this.sigma = MAD_TO_SIGMA * distance;
        return;
      }
      fitted.copyValues(values);
      fitted.copyBuckets(buckets);
    } else {
      if (ordered) fitted.copyValues(values);
      fitted.copyBuckets(buckets);
      // Counting sort of the values by bucket into `work`, then each bucket's median in place.
      starts.fill(0, 0, size + 1);
      for (let i = 0; i < n; i++) starts[buckets[i] + 1]++;
      for (let key = 0; key < size; key++) {
        starts[key + 1] += starts[key];
        next[key] = starts[key];
      }
      for (let i = 0; i < n; i++) work[next[buckets[i]]++] = values[i];
      for (let key = 0; key < size; key++) {
        const points = starts[key + 1] - starts[key];
        if (points === 0 || points < minPoints) continue;
        // Hours of the week hold a point or two a week: their medians need no selection.
        const first = starts[key];
        medians[key] = points === 1 ? work[first] : points === 2 ? (work[first] + work[first + 1]) / 2 : medianInPlace(work, first, starts[key + 1]);
        this.seasonalBuckets++;
      }
      if (seasonality === 'hourOfDayByWeekpart') this.weekendFallback(minPoints, (key) => work.subarray(starts[key], starts[key + 1]));
    }
    for (let i = 0; i < n; i++) {
      const bucket = medians[buckets[i]];
      work[i] = Math.abs(values[i] - (Number.isNaN(bucket) ? this.overallMedian : bucket));
    }
    this.lastDistance = medianInPlace(work, 0, n);
    this.sigma = MAD_TO_SIGMA * this.lastDistance;
  }

  /**
   * An hour of weekends without enough points of its own takes the median of that hour on every
   * day, where those are enough: a week of a fleet has few weekend runs, and they are judged as an
   * hour of the day's would have been. An hour of weekdays never takes the weekend's values: with
   * too few of its own (a baseline younger than a few weekdays) it falls back to the overall
   * median and is not settled, so a weekend cannot teach Monday's hours its faster runs.
   */
  private weekendFallback(minPoints: number, valuesIn: (bucket: number) => Float64Array): void {
    const medians = this.bucketMedians;
    for (let hour = 0; hour < 24; hour++) {
      if (!Number.isNaN(medians[hour + 24])) continue;
      const weekday = valuesIn(hour);
      const weekend = valuesIn(hour + 24);
      const count = weekday.length + weekend.length;
      if (count === 0 || count < minPoints) continue;
      pair.set(weekday, 0);
      pair.set(weekend, weekday.length);
      medians[hour + 24] = medianInPlace(pair, 0, count);
      this.seasonalBuckets++;
    }
  }

  score(point: Point): Score {
    const { to, from } = TRANSFORMS[this.options.transform];
    const seasonal = this.options.seasonality !== 'none';
    const key = seasonal ? seasonBucket(point.time, this.options.seasonality, this.clock) : 0;
    const bucket = seasonal ? this.bucketMedians[key] : Number.NaN;
    const settled = !seasonal || !Number.isNaN(bucket);
    let center = Number.isNaN(bucket) ? this.overallMedian : bucket;
    if (!settled && this.sameHourMedians) {
      const weekend = isWeekendDay(Math.floor(key / 24));
      const ofPart = this.sameHourMedians[(key % 24) + (weekend ? 24 : 0)];
      const sameHour = Number.isNaN(ofPart) ? this.sameHourMedians[(key % 24) + 48] : ofPart;
      if (Number.isNaN(sameHour)) return { z: Number.NaN, expected: point.value, settled: false };
      center = Math.min(sameHour, this.overallMedian);
      const z = (to(point.value) - center) / Math.max(this.sigma, this.options.minSigma);
      // A weekend hour by the weekdays' (a fleet's Saturday is quieter than its Friday).
      return { z, expected: from(center), settled: false, ...(weekend && Number.isNaN(ofPart) ? { provisional: true } : {}) };
    }
    const z = (to(point.value) - center) / Math.max(this.sigma, this.options.minSigma);
    return { z, expected: from(center), settled };
  }

  sameHourOfDay(time: number): number {
    const same = this.sameHourMedians;
    if (!same) return Number.NaN;
    const key = seasonBucket(time, this.options.seasonality, this.clock);
    const ofPart = same[(key % 24) + (isWeekendDay(Math.floor(key / 24)) ? 24 : 0)];
    const value = Number.isNaN(ofPart) ? same[(key % 24) + 48] : ofPart;
    return Number.isNaN(value) ? Number.NaN : TRANSFORMS[this.options.transform].from(value);
  }

  save(): unknown {
    const zone = this.clock.timeZone === 'UTC' ? {} : { timeZone: this.clock.timeZone };
    return { overallMedian: this.overallMedian, sigma: this.sigma, bucketMedians: this.bucketMedians.slice(), seasonalBuckets: this.seasonalBuckets, ...zone };
  }

  load(saved: unknown): boolean {
    const { overallMedian, sigma, bucketMedians, seasonalBuckets, timeZone } = saved as {
      overallMedian: number;
      sigma: number;
      bucketMedians: Float64Array;
      seasonalBuckets: number;
      timeZone?: string;
    };
    if (!bucketMedians || bucketMedians.length !== this.bucketMedians.length) return false;
    // Buckets of another zone's hours are other hours.
    if (this.options.seasonality !== 'none' && (timeZone ?? 'UTC') !== this.clock.timeZone) return false;
    this.overallMedian = overallMedian;
    this.sigma = sigma;
    this.bucketMedians.set(bucketMedians);
    this.seasonalBuckets = seasonalBuckets;
    this.lastDistance = sigma / MAD_TO_SIGMA;
    this.fitSameHours();
    return true;
  }

  describe(): Record<string, unknown> {
    return {
      kind: 'robust',
      transform: this.options.transform,
      seasonality: this.options.seasonality,
      median: TRANSFORMS[this.options.transform].from(this.overallMedian),
      sigma: this.sigma,
      seasonalBuckets: this.seasonalBuckets,
    };
  }
}

const DAY = 24 * HOUR;

export interface SameTimeScorerOptions {
  /** Earlier days a point is compared with (the same time of day on each). */
  days: number;
  /** Of which at least this many must be in the window. */
  minDays: number;
  /** Residuals the spread needs before any point is judged. */
  minResiduals: number;
  /** Smallest spread assumed: no series is judged as if noise-free. */
  minSigma: number;
}

/**
 * A regularly sampled series against itself on the days before: a point's expected value is the
 * median of the window's values at the same time of day on the `days` days before it (at least
 * `minDays` of them), and the spread is the robust spread of the window's own residuals from
 * theirs. A daily pattern sharper than an hour (a 5-minute series that steps up at 08:10 every
 * day) is a wide spread to a baseline per hour of the day, and what departs from it hides in that
 * spread; here the pattern is its own baseline. A point without its earlier days (the first days,
 * a gap, an irregular clock), or before the window holds `minResiduals` residuals to tell the
 * spread, has none: its z is NaN, and it is not judged.
 */
export class SameTimeScorer implements Scorer {
  /** The fitted window's values by time. */
  private values = new Map<number, number>();
  /** The median residual, and the robust spread of the residuals about it. */
  private center = 0;
  private sigma = 0;
  private residualCount = 0;

  constructor(private readonly options: SameTimeScorerOptions) {}

  fit(window: readonly Point[], count = window.length): void {
    this.values = new Map();
    for (let i = 0; i < count; i++) this.values.set(window[i].time, window[i].value);
    reserve(count);
    let n = 0;
    for (let i = 0; i < count; i++) {
      const expected = this.expectedAt(window[i].time);
      if (expected !== undefined) values[n++] = window[i].value - expected;
    }
    this.residualCount = n;
    if (n === 0) {
      this.center = 0;
      this.sigma = 0;
      return;
    }
    work.set(values.subarray(0, n));
    this.center = medianInPlace(work, 0, n);
    for (let i = 0; i < n; i++) work[i] = Math.abs(values[i] - this.center);
    this.sigma = MAD_TO_SIGMA * medianInPlace(work, 0, n);
  }

  score(point: Point): Score {
    const expected = this.residualCount < this.options.minResiduals ? undefined : this.expectedAt(point.time);
    if (expected === undefined) return { z: Number.NaN, expected: point.value, settled: false };
    return { z: (point.value - expected - this.center) / Math.max(this.sigma, this.options.minSigma), expected: expected + this.center };
  }

  /** The median of the values at this time of day on the days before, undefined with fewer than `minDays` of them. */
  private expectedAt(time: number): number | undefined {
    const earlier: number[] = [];
    for (let day = 1; day <= this.options.days; day++) {
      const value = this.values.get(time - day * DAY);
      if (value !== undefined) earlier.push(value);
    }
    return earlier.length === 0 || earlier.length < this.options.minDays ? undefined : median(earlier);
  }

  save(): unknown {
    return { times: [...this.values.keys()], values: [...this.values.values()], center: this.center, sigma: this.sigma, residualCount: this.residualCount };
  }

  load(saved: unknown): boolean {
    const {
      times,
      values: kept,
      center,
      sigma,
      residualCount,
    } = saved as { times: number[]; values: number[]; center: number; sigma: number; residualCount: number };
    if (!Array.isArray(times) || !Array.isArray(kept)) return false;
    this.values = new Map(times.map((time, i) => [time, kept[i]]));
    this.center = center;
    this.sigma = sigma;
    this.residualCount = residualCount;
    return true;
  }

  describe(): Record<string, unknown> {
    return { kind: 'sameTime', days: this.options.days, center: this.center, sigma: this.sigma, residuals: this.residualCount };
  }
}

/** The fewest recent runs a failure window is judged on. */
const MIN_SCAN_RUNS = 3;

/** Windows of up to this many runs have their tails kept (`BinomialScorer.scan`). */
const KEPT_TAIL_RUNS = 64;
/**
 * Tails a failure scan computed, by rate (all failures, system errors), runs and failures, each
 * valid for the fit whose number is in `keptTailFits`: from one point to the next a window's
 * counts repeat, and a tail is six log-gammas. One table for all of a thread's scorers (a
 * table each would be a hundred kilobytes a workflow); a scorer's fits are numbered anew.
 */
const keptTails = new Float64Array(2 * KEPT_TAIL_RUNS * KEPT_TAIL_RUNS);
const keptTailFits = new Float64Array(2 * KEPT_TAIL_RUNS * KEPT_TAIL_RUNS);
let lastFitNumber = 0;

/** How many set bits `mask` has (masks of a failure window's runs: 10 bits or so). */
function bitCount(mask: number): number {
  let count = 0;
  for (let m = mask; m > 0; m = Math.floor(m / 2)) count += m % 2;
  return count;
}

/**
 * Failure counts out of a number of runs: the baseline is the pooled failure rate of the stable
 * window, and a point's z is the normal quantile of its exact binomial tail probability
 * P(X >= failures), so one failure out of one run is not mistaken for a burst. (A median of
 * mostly-zero hourly rates would say nothing.) Failures on system errors are judged on their own
 * too, against their own, lower rate: a burst of them stands out by its third failure, where
 * among a workflow's everyday business exceptions (an invoice not found) it would take five.
 */
export class BinomialScorer implements Scorer {
  private rate = 0;
  /** The rate of failures on system errors, where the window's points tell them apart. */
  private systemRate?: number;
  /** The runs the rates were estimated on (one a point): how well they are known. */
  private runs = 0;
  private readonly priors: Array<{ a: number; b: number; logBeta: number }> = [];
  /** This fit's number among the thread's, for its `keptTails`. */
  private fitNumber = ++lastFitNumber;

  constructor(private readonly minRate = 0.005) {}

  fit(window: readonly Point[], count = window.length): void {
    let failures = 0;
    let trials = 0;
    let systemFailures = 0;
    let systemTrials = 0;
    for (let i = 0; i < count; i++) {
      failures += window[i].value;
      trials += window[i].trials ?? 0;
      const system = window[i].systemOutcomes;
      if (system === undefined) continue;
      systemFailures += bitCount(system);
      systemTrials += window[i].trials ?? 0;
    }
    this.rate = trials > 0 ? failures / trials : 0;
    this.runs = count;
    this.fitNumber = ++lastFitNumber;
    // Judged apart only on a baseline of points that tell them apart, most of the window's.
    this.systemRate = systemTrials > 0 && systemTrials >= 0.5 * trials ? systemFailures / systemTrials : undefined;
  }

  /**
   * The failures among the point's runs against the pooled rate. With the point's `outcomes`, the
   * run of recent runs that is least likely (every window of the last 3 to `trials` runs, the
   * tail corrected for the windows tried): four failures in a row stand out sooner than among ten.
   * With its `systemOutcomes` too, the same scan of its failures on system errors against their
   * rate, and the tails corrected for the two scans.
   */
  score(point: Point): Score {
    const n = point.trials ?? 0;
    const p = this.bounded(this.rate);
    if (n === 0) return { z: 0, expected: p };
    let best = { tail: point.value > n * p ? this.tail(point.value, n, p) : 1, expected: p, window: undefined as Score['window'] };
    if (point.outcomes !== undefined && n > MIN_SCAN_RUNS) {
      const system = point.systemOutcomes !== undefined && this.systemRate !== undefined;
      const scans = system ? 2 : 1;
      best = this.scan(point.outcomes, n, p, scans, false, best);
      if (system) best = this.scan(point.systemOutcomes!, n, this.bounded(this.systemRate!), scans, true, best);
    }
    if (best.tail >= 0.5) return { z: 0, expected: p };
    return { z: Math.min(40, -normalQuantile(best.tail)), expected: best.expected, ...(best.window ? { window: best.window } : {}) };
  }

  /**
   * P(`failures` or more of `trials`) at the baseline rate `p` as known from `runs` runs: the
   * beta-binomial with Jeffreys' prior, so that a rate estimated on a first day's few runs
   * (1.2% of 80: one failure) does not make three failures of ten a 1-in-5,000 event.
   */
  private tail(failures: number, trials: number, p: number): number {
    if (this.runs <= 0) return binomialUpperTail(failures, trials, p);
    const a = p * this.runs + 0.5;
    const b = (1 - p) * this.runs + 0.5;
    // Two rates a fit (all failures, system errors): log B(a, b) of each is kept.
    let prior = this.priors.find((c) => c.a === a && c.b === b);
    if (!prior) {
      prior = { a, b, logBeta: logBeta(a, b) };
      this.priors.unshift(prior);
      this.priors.length = Math.min(this.priors.length, 2);
    }
    return betaBinomialUpperTail(failures, trials, a, b, prior.logBeta);
  }

  private bounded(rate: number): number {
    return Math.min(0.99, Math.max(rate, this.minRate));
  }

  /** The least likely window of the last 3 to `n` runs of `mask` at rate `p`, if less likely than `best`. */
  private scan(mask: number, n: number, p: number, scans: number, system: boolean, best: { tail: number; expected: number; window: Score['window'] }) {
    const windows = scans * (n - MIN_SCAN_RUNS + 1);
    let failures = 0;
    let bestTail = best.tail;
    let bestFailures = 0;
    let bestRuns = 0;
    // The runs' bits latest first, halving what is left (exact to 2^53): a power of two a run was most of the scan.
    let rest = mask;
    for (let k = 1; k <= n; k++) {
      const bit = rest % 2;
      rest = (rest - bit) / 2;
      if (bit === 1) failures++;
      if (k < MIN_SCAN_RUNS || failures <= k * p) continue;
      const corrected = Math.min(1, windows * this.keptTail(failures, k, p, system));
      if (corrected < bestTail) {
        bestTail = corrected;
        bestFailures = failures;
        bestRuns = k;
      }
    }
    if (bestRuns === 0) return best;
    return { tail: bestTail, expected: p, window: { failures: bestFailures, trials: bestRuns, ...(system ? { system } : {}) } };
  }

  /** `tail` for a window of the scan, from `keptTails` when this fit computed it before. */
  private keptTail(failures: number, runs: number, p: number, system: boolean): number {
    if (runs >= KEPT_TAIL_RUNS) return this.tail(failures, runs, p);
    const slot = ((system ? KEPT_TAIL_RUNS : 0) + runs) * KEPT_TAIL_RUNS + failures;
    if (keptTailFits[slot] === this.fitNumber) return keptTails[slot];
    const tail = this.tail(failures, runs, p);
    keptTails[slot] = tail;
    keptTailFits[slot] = this.fitNumber;
    return tail;
  }

  save(): unknown {
    return { rate: this.rate, runs: this.runs, ...(this.systemRate === undefined ? {} : { systemRate: this.systemRate }) };
  }

  load(saved: unknown): boolean {
    const { rate, systemRate, runs } = saved as { rate: number; systemRate?: number; runs?: number };
    this.rate = rate;
    this.systemRate = systemRate;
    this.fitNumber = ++lastFitNumber;
    // A baseline saved before the runs were kept: taken as well known, as it was judged then.
    this.runs = runs ?? 0;
    return true;
  }

  describe(): Record<string, unknown> {
    return { kind: 'binomial', rate: this.rate, ...(this.systemRate === undefined ? {} : { systemRate: this.systemRate }) };
  }
}
