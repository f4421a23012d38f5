import type { Anomaly } from '@rpa-analytics/contract';
import type { Execution } from '@rpa-analytics/contract';
import type { StoreReader } from '../store/store';
import { applyEvent } from '../analysis/anomaly/anomalies';
import { createDetector, type Judging, seriesKey } from '../analysis/anomaly/seriesCatalog';
import type { DetectorState, SeriesDetector } from '../analysis/anomaly/seriesDetector';
import { isTimedRun } from '../analysis/performance';
import { lastDays } from './timeRange';

export interface AnomalyDetectorOptions {
  /** Threshold in robust standard deviations (default 4); the seed's `sensitivity`. */
  sensitivity?: number;
  /** The fleet's time zone, whose hours and weekends the baselines keep (default UTC). */
  timeZone?: string;
  now?: () => number;
}

/**
 * The seed's AnomalyDetector for one workflow's run durations: `updateBaseline` fits the
 * detector to a stable period, `detectAnomalies` judges runs against it. The collector's own
 * continuous detection (all metrics, persisted) is the AnalysisScheduler, on the same detector.
 */
export class AnomalyDetector {
  readonly sensitivity: number;
  private readonly judging: Judging;
  private readonly now: () => number;
  private readonly baselines = new Map<string, DetectorState>();

  constructor(
    readonly store: StoreReader,
    options: AnomalyDetectorOptions = {},
  ) {
    this.sensitivity = options.sensitivity ?? 4;
    this.judging = { sensitivity: this.sensitivity, timeZone: options.timeZone ?? 'UTC' };
    if (!(this.sensitivity > 0)) throw new RangeError(`sensitivity must be positive, got ${options.sensitivity}`);
    this.now = options.now ?? Date.now;
  }

  /**
   * Fits the run-duration baseline of `workflow` to its last `stablePeriodDays` (anomalous runs
   * in that period stay out of it).
   * @returns the baseline, or undefined when there is not enough history to judge yet.
   */
  updateBaseline(workflow: string, options: { stablePeriodDays?: number } = {}): Record<string, unknown> | undefined {
    const range = lastDays(options.stablePeriodDays ?? 7, this.now());
    const detector = createDetector('run_duration', this.judging);
    for (const run of this.store.runs({ workflows: [workflow], ...range }).filter(isTimedRun)) {
      detector.observe({ time: run.startedAt, value: run.durationMs });
    }
    const state = detector.snapshot();
    // What was anomalous in the stable period is history, not an open anomaly of the runs to come.
    state.episode = undefined;
    state.pending = [];
    this.baselines.set(workflow, state);
    return detector.baseline();
  }

  /**
   * Judges `runs` (completed ones, in time order) against the baseline and returns the anomalies
   * they contain. Judging does not move the baseline: call `updateBaseline` for that.
   * @throws Error when no baseline was fitted for `workflow`.
   */
  detectAnomalies(workflow: string, runs: readonly Execution[], options: { metricName?: 'durationMs' } = {}): Anomaly[] {
    if ((options.metricName ?? 'durationMs') !== 'durationMs') throw new RangeError(`unsupported metric '${options.metricName}'`);
    const state = this.baselines.get(workflow);
    if (!state) throw new Error(`no baseline for '${workflow}': call updateBaseline('${workflow}') first`);
    // A baseline fitted on purpose judges from its first run on, however short its history.
    const { since: _since, ...fitted } = structuredClone(state);
    const detector: SeriesDetector = createDetector('run_duration', this.judging, fitted);
    const series = { key: seriesKey({ metric: 'run_duration', workflow }), metric: 'run_duration' as const, workflow };
    const found = new Map<number, Anomaly>();
    const ordered = runs.filter(isTimedRun).sort((a, b) => a.startedAt - b.startedAt);
    for (const run of ordered) {
      for (const event of detector.observe({ time: run.startedAt, value: run.durationMs }).events) {
        found.set(event.episode.startedAt, applyEvent(series, event, found.get(event.episode.startedAt)));
      }
    }
    return [...found.values()];
  }
}
