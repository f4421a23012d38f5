import os from 'node:os';
import path from 'node:path';
import type { Judging, SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import type { Logger } from '../log';
import { SyncBridge } from '../threads/syncBridge';
import { claimPart, type JudgedSeries, packSeries, type PartClaim, type StoredState } from './detectionHandler';

/**
 * Parts series offered to either thread are cut into (`offer`): the two threads end within one
 * part of each other, whatever else the machine runs meanwhile.
 */
const OFFERED_PARTS = 16;

/**
 * A second thread that judges a share of a large pass's series (a first pass, or a catch-up on a
 * backfill) while the pass's own thread judges the rest. Series are handed to it as they are
 * built (`hand`), or offered (`offer`) for either thread to judge, this one taking back what the
 * helper has not begun once it has done its own work (`takeBack`). Each goes with the state its
 * detector resumes from. Should the helper fail, the pass's thread judges the same points: copies
 * of them go to the helper, or memory the two threads share and neither writes to.
 */
export class DetectionHelper {
  /** The series the helper judges: those handed, and those offered that this thread did not take back. */
  readonly keys = new Set<string>();
  private readonly handed: SeriesPoints[] = [];
  points = 0;
  private readonly calls: number[] = [];
  /** The parts offered and not taken back, first offered first, each with its claim. */
  private readonly offered: Array<{ claim: PartClaim; series: SeriesPoints[] }> = [];

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

  /** The series the helper judges. */
  get series(): SeriesPoints[] {
    return this.handed.filter((s) => this.keys.has(s.id.key));
  }

  /** Hands these series to the helper (those `skip` names stay with the pass's thread). */
  hand(series: readonly SeriesPoints[], skip: (key: string) => boolean = () => false, claim?: PartClaim): void {
    const handed = series.filter((s) => !skip(s.id.key));
    const packed = packSeries(handed, this.resumeFrom);
    this.calls.push(
      this.bridge.begin(
        'judge',
        [packed, this.judging, claim],
        // Copies (and packed silences) are moved; points in shared memory are shared.
        packed.flatMap(({ points, silences }) =>
          [points.buffer, silences?.list.buffer].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer),
        ),
      ),
    );
    for (const s of handed) {
      this.handed.push(s);
      this.keys.add(s.id.key);
      this.points += s.points.length;
    }
  }

  /**
   * Offers these series (but those `skip` names) to either thread, in `OFFERED_PARTS` parts of
   * about as many points each: the helper judges them from the first part on, after what it was
   * handed before, and this thread takes back from the last part on (`takeBack`).
   */
  offer(series: readonly SeriesPoints[], skip: (key: string) => boolean = () => false): void {
    const offered = series.filter((s) => !skip(s.id.key));
    const total = offered.reduce((sum, s) => sum + s.points.length, 0);
    const claims = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * OFFERED_PARTS));
    let part: SeriesPoints[] = [];
    let parts = 0;
    let points = 0;
    const cut = () => {
      const claim = { claims, part: parts++ };
      this.hand(part, undefined, claim);
      this.offered.push({ claim, series: part });
      part = [];
    };
    for (const s of offered) {
      part.push(s);
      points += s.points.length;
      // The last part takes what is left: each cut is at a further share of the points.
      if (parts < OFFERED_PARTS - 1 && points >= ((parts + 1) * total) / OFFERED_PARTS) cut();
    }
    if (part.length) cut();
  }

  /**
   * The last offered part the helper has not begun, now this thread's to judge; undefined once the
   * helper has begun every part left (it takes them in order).
   */
  takeBack(): SeriesPoints[] | undefined {
    const last = this.offered.pop();
    if (!last) return undefined;
    if (!claimPart(last.claim, 'own thread')) {
      this.offered.length = 0;
      return undefined;
    }
    for (const s of last.series) {
      this.keys.delete(s.id.key);
      this.points -= s.points.length;
    }
    return last.series;
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
