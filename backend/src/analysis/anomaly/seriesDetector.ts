import type { Point, Scorer } from './scorers';

export type Direction = 'high' | 'low' | 'both';

export interface DetectorSettings {
  /** Threshold in robust standard deviations (default 3.5): lower finds more. */
  sensitivity: number;
  direction: Direction;
  /** Points of history before anything is judged (default 30). */
  minHistory: number;
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
  /** An anomaly lasting this long is the new normal: its points enter the baseline (default 1 day). */
  acceptAfterMs: number;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  sensitivity: 3.5,
  direction: 'high',
  minHistory: 30,
  windowMs: 7 * 86_400_000,
  maxWindowPoints: 2000,
  refitEvery: 10,
  minConsecutive: 2,
  extremeFactor: 2,
  closeAfterNormal: 3,
  acceptAfterMs: 86_400_000,
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
  normalRun: number;
}

export type DetectorEvent =
  | { type: 'opened'; episode: Episode }
  | { type: 'updated'; episode: Episode }
  | { type: 'closed'; episode: Episode; endedAt: number };

/** One point's verdict. `score` is the directional distance in thresholds' units, 0 while warming up. */
export interface Judgement {
  ready: boolean;
  z: number;
  exceeds: boolean;
  severity: number;
  expected: number;
}

export interface DetectorState {
  window: Point[];
  pending: Array<{ point: Point; z: number; expected: number }>;
  episode?: Episode;
  sinceFit: number;
  fitted: boolean;
  lastTime?: number;
}

/**
 * Severity of a point `z` robust deviations out: 0.4 at the threshold, 0.7 at twice it, 1 from
 * three times on.
 */
export function pointSeverity(z: number, threshold: number): number {
  return Math.min(1, Math.max(0.4, 0.4 + (0.6 * (Math.abs(z) - threshold)) / (2 * threshold)));
}

/** Persistence escalates: level 2 after 5 points or 30 minutes, level 3 after 15 points or 2 hours. */
export function escalationLevel(episode: Episode): number {
  const duration = episode.lastSeenAt - episode.startedAt;
  return 1 + Number(episode.points >= 5 || duration >= 1_800_000) + Number(episode.points >= 15 || duration >= 7_200_000);
}

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

  constructor(
    private readonly scorer: Scorer,
    settings: Partial<DetectorSettings> = {},
    state?: DetectorState,
  ) {
    this.settings = { ...DEFAULT_DETECTOR_SETTINGS, ...settings };
    if (!(this.settings.sensitivity > 0)) throw new RangeError(`sensitivity must be positive, got ${this.settings.sensitivity}`);
    this.state = state ?? { window: [], pending: [], sinceFit: 0, fitted: false };
    if (this.state.fitted && this.state.window.length > 0) this.scorer.fit(this.state.window);
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

  baseline(): Record<string, unknown> | undefined {
    return this.state.fitted ? { ...this.scorer.describe(), points: this.state.window.length } : undefined;
  }

  /** Judges `point` (points must come in time order) and reports what changed. */
  observe(point: Point): { judgement: Judgement; events: DetectorEvent[] } {
    const s = this.settings;
    const state = this.state;
    state.lastTime = point.time;
    this.prune(point.time);
    if (!state.fitted) {
      this.admit(point);
      return { judgement: { ready: false, z: 0, exceeds: false, severity: 0, expected: point.value }, events: [] };
    }
    const { z, expected } = this.scorer.score(point);
    const directional = s.direction === 'high' ? z : s.direction === 'low' ? -z : Math.abs(z);
    const exceeds = directional >= s.sensitivity;
    const severity = exceeds ? pointSeverity(directional, s.sensitivity) : 0;
    const events: DetectorEvent[] = [];
    const episode = state.episode;
    if (exceeds) {
      const direction = z >= 0 ? 'high' : 'low';
      if (episode) {
        episode.points++;
        episode.lastSeenAt = point.time;
        episode.normalRun = 0;
        episode.peakSeverity = Math.max(episode.peakSeverity, severity);
        episode.peakScore = Math.max(episode.peakScore, directional);
        episode.observed = point.value;
        episode.expected = expected;
        events.push({ type: 'updated', episode: { ...episode } });
        if (point.time - episode.startedAt >= s.acceptAfterMs) this.admit(point);
      } else {
        state.pending.push({ point, z: directional, expected });
        if (state.pending.length >= s.minConsecutive || directional >= s.extremeFactor * s.sensitivity) {
          const first = state.pending[0];
          const peakScore = Math.max(...state.pending.map((p) => p.z));
          state.episode = {
            startedAt: first.point.time,
            lastSeenAt: point.time,
            points: state.pending.length,
            direction,
            firstSeverity: pointSeverity(peakScore, s.sensitivity),
            peakSeverity: pointSeverity(peakScore, s.sensitivity),
            peakScore,
            expected,
            observed: point.value,
            normalRun: 0,
          };
          state.pending = [];
          events.push({ type: 'opened', episode: { ...state.episode } });
        }
      }
    } else {
      // A lone point beyond the threshold that was not followed up was noise: it joins the window.
      for (const pending of state.pending) this.admit(pending.point);
      state.pending = [];
      if (episode) {
        episode.normalRun++;
        if (episode.normalRun >= s.closeAfterNormal) {
          state.episode = undefined;
          events.push({ type: 'closed', episode: { ...episode }, endedAt: point.time });
        }
      }
      this.admit(point);
    }
    return { judgement: { ready: true, z: directional, exceeds, severity, expected }, events };
  }

  private admit(point: Point): void {
    const state = this.state;
    state.window.push(point);
    if (state.window.length > this.settings.maxWindowPoints) state.window.splice(0, state.window.length - this.settings.maxWindowPoints);
    state.sinceFit++;
    const due = state.fitted ? state.sinceFit >= this.settings.refitEvery : state.window.length >= this.settings.minHistory;
    if (due) {
      this.scorer.fit(state.window);
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
    drop = Math.min(drop, Math.max(0, window.length - this.settings.minHistory));
    if (drop > 0) window.splice(0, drop);
  }
}
