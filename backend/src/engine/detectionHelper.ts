import os from 'node:os';
import path from 'node:path';
import type { Judging, SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import type { Logger } from '../log';
import { SyncBridge } from '../threads/syncBridge';
import { type JudgedSeries, packSeries, type StoredState } from './detectionHandler';

/**
 * The helper thread's share of the points of the runs' series: the pass's own thread refreshes
 * insights and health besides (measured on a first pass over 90 days of 200 workflows, both end
 * together).
 */
const HELPER_SHARE = 0.65;

const count = (list: readonly SeriesPoints[]) => list.reduce((sum, s) => sum + s.points.length, 0);

/**
 * A second thread that judges a share of a large pass's series (a first pass, or a catch-up on a
 * backfill) while the pass's own thread judges the rest. Series are handed to it as they are
 * built; each goes with the state its detector resumes from. Should the helper fail, the pass's
 * thread judges the same points: copies of them go to the helper, or memory the two threads share
 * and neither writes to.
 */
export class DetectionHelper {
  readonly keys = new Set<string>();
  readonly series: SeriesPoints[] = [];
  points = 0;
  private readonly calls: number[] = [];

  private constructor(
    private readonly bridge: SyncBridge,
    private readonly judging: Judging,
    private readonly resumeFrom: (key: string) => { state?: StoredState; baseline?: unknown },
  ) {}

  /**
   * A helper when the pass is large (`points` at least `threshold`) and a second core can take a
   * share; undefined when the pass's thread judges all (said in the log when starting one failed).
   */
  static start(options: {
    points: number;
    threshold: number;
    judging: Judging;
    resumeFrom: DetectionHelper['resumeFrom'];
    log?: Logger;
  }): DetectionHelper | undefined {
    if (options.points < options.threshold || os.availableParallelism() < 2) return undefined;
    try {
      const bridge = new SyncBridge(path.join(__dirname, `detectionHandler${path.extname(__filename)}`), {}, 60_000, 'detection');
      options.log?.debug({ points: options.points }, 'analysis: a helper thread judges volumes and hosts, then a share of the runs');
      return new DetectionHelper(bridge, options.judging, options.resumeFrom);
    } catch (error) {
      options.log?.warn({ err: error }, 'analysis: no helper thread, this one judges every series');
      return undefined;
    }
  }

  /** Hands these series to the helper (those `skip` names stay with the pass's thread). */
  hand(series: readonly SeriesPoints[], skip: (key: string) => boolean = () => false): void {
    const handed = series.filter((s) => !skip(s.id.key));
    const packed = packSeries(handed, this.resumeFrom);
    this.calls.push(
      this.bridge.begin(
        'judge',
        [packed, this.judging],
        // Copies are moved; points in shared memory are shared.
        packed.flatMap((p) => (p.points.buffer instanceof SharedArrayBuffer ? [] : [p.points.buffer])),
      ),
    );
    for (const s of handed) {
      this.series.push(s);
      this.keys.add(s.id.key);
      this.points += s.points.length;
    }
  }

  /**
   * Hands the first of `series` until the helper has `fraction` of the points of those and of
   * `handed` (which it has already): by default `HELPER_SHARE`, for a pass whose thread has
   * insights and health to refresh meanwhile.
   */
  share(series: readonly SeriesPoints[], handed: readonly SeriesPoints[], skip?: (key: string) => boolean, fraction = HELPER_SHARE): void {
    const total = count(series) + count(handed);
    const share: SeriesPoints[] = [];
    let points = count(handed);
    for (const s of series) {
      if (points >= fraction * total) break;
      share.push(s);
      points += s.points.length;
    }
    this.hand(share, skip);
  }

  /** What the helper judged, or undefined (said in the log) when it failed: the caller then judges its series. */
  finish(log?: Logger): JudgedSeries[] | undefined {
    try {
      // Generous: a helper judges a million points in a few seconds.
      return this.calls.flatMap((call) => this.bridge.finish<JudgedSeries[]>(call, 60_000 + this.points / 10));
    } catch (error) {
      log?.warn({ err: error }, 'analysis: the helper thread failed, this one judges its series');
      return undefined;
    } finally {
      // The helper holds nothing to close, and one that did not answer would not answer `close` either.
      this.bridge.terminate().catch(() => undefined);
    }
  }
}
