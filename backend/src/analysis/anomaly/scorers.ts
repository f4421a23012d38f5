import { binomialUpperTail, normalQuantile } from '../distributions';
import { MAD_TO_SIGMA, median } from '../stats';

/** One observation: a value at a time; `trials` for rates (runs in the hour for a failure count). */
export interface Point {
  time: number;
  value: number;
  trials?: number;
}

export type Seasonality = 'none' | 'hourOfDay' | 'hourOfWeek';

/** How far a point is from normal, in robust standard deviations, and what normal was. */
export interface Score {
  z: number;
  expected: number;
  /**
   * False when a seasonal baseline had to fall back to the overall median for this point's
   * hour: good enough for a single point, not for judging a sustained shift.
   */
  settled?: boolean;
}

/**
 * Turns the stable window into a baseline and scores new points against it. A scorer is pure
 * state over the window it was last fitted to; `fit` is called when the window has moved on.
 */
export interface Scorer {
  fit(window: readonly Point[]): void;
  score(point: Point): Score;
  /** A JSON-safe copy of the fitted baseline, for persistence and the API. */
  describe(): Record<string, unknown>;
}

const HOUR = 3600_000;

function seasonBucket(time: number, seasonality: Seasonality): number {
  if (seasonality === 'none') return 0;
  const hour = Math.floor(time / HOUR);
  return seasonality === 'hourOfDay' ? hour % 24 : hour % (24 * 7);
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
}

/**
 * Median and 1.4826 × MAD of the transformed values. With seasonality, each hour of the day (or
 * week) has its own median once it has enough points, and the spread is the robust spread of
 * the residuals from those medians; buckets without enough history fall back to the overall median.
 */
export class RobustScorer implements Scorer {
  private overallMedian = 0;
  private sigma = 0;
  private bucketMedians = new Map<number, number>();

  constructor(private readonly options: RobustScorerOptions) {}

  fit(window: readonly Point[]): void {
    const t = TRANSFORMS[this.options.transform].to;
    const values = window.map((p) => t(p.value));
    this.overallMedian = median(values);
    this.bucketMedians = new Map();
    if (this.options.seasonality !== 'none') {
      const buckets = new Map<number, number[]>();
      window.forEach((p, i) => {
        const key = seasonBucket(p.time, this.options.seasonality);
        const list = buckets.get(key) ?? [];
        list.push(values[i]);
        buckets.set(key, list);
      });
      for (const [key, list] of buckets) {
        if (list.length >= (this.options.minBucketPoints ?? 10)) this.bucketMedians.set(key, median(list));
      }
    }
    const residuals = window.map((p, i) => values[i] - this.center(p.time));
    this.sigma = MAD_TO_SIGMA * median(residuals.map(Math.abs));
  }

  score(point: Point): Score {
    const { to, from } = TRANSFORMS[this.options.transform];
    const bucket = this.bucketMedians.get(seasonBucket(point.time, this.options.seasonality));
    const center = bucket ?? this.overallMedian;
    const z = (to(point.value) - center) / Math.max(this.sigma, this.options.minSigma);
    return { z, expected: from(center), settled: this.options.seasonality === 'none' || bucket !== undefined };
  }

  describe(): Record<string, unknown> {
    return {
      kind: 'robust',
      transform: this.options.transform,
      seasonality: this.options.seasonality,
      median: TRANSFORMS[this.options.transform].from(this.overallMedian),
      sigma: this.sigma,
      seasonalBuckets: this.bucketMedians.size,
    };
  }

  private center(time: number): number {
    return this.bucketMedians.get(seasonBucket(time, this.options.seasonality)) ?? this.overallMedian;
  }
}

/**
 * Failure counts out of a number of runs: the baseline is the pooled failure rate of the stable
 * window, and a point's z is the normal quantile of its exact binomial tail probability
 * P(X >= failures), so one failure out of one run is not mistaken for a burst. (A median of
 * mostly-zero hourly rates would say nothing.)
 */
export class BinomialScorer implements Scorer {
  private rate = 0;

  constructor(private readonly minRate = 0.005) {}

  fit(window: readonly Point[]): void {
    let failures = 0;
    let trials = 0;
    for (const p of window) {
      failures += p.value;
      trials += p.trials ?? 0;
    }
    this.rate = trials > 0 ? failures / trials : 0;
  }

  score(point: Point): Score {
    const n = point.trials ?? 0;
    const p = Math.min(0.99, Math.max(this.rate, this.minRate));
    if (n === 0 || point.value <= n * p) return { z: 0, expected: p };
    const tail = binomialUpperTail(point.value, n, p);
    return { z: Math.min(40, -normalQuantile(tail)), expected: p };
  }

  describe(): Record<string, unknown> {
    return { kind: 'binomial', rate: this.rate };
  }
}
