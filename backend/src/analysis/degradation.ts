import type { ChangePoint, Degradation } from '@rpa-analytics/contract';
import type { Execution, Step } from '@rpa-analytics/contract';
import { mannWhitneyU, welchTTest } from './hypothesisTests';
import { isTimedRun } from './performance';
import { median, quantile } from './stats';

export interface DegradationOptions {
  /** Significance level of the tests (default 0.01). */
  alpha?: number;
  /** Smallest median increase that counts as degradation, in % (default 10). */
  minChangePct?: number;
  /** Fewest runs per side to test at all (default 10). */
  minRuns?: number;
}

const pct = (after: number, before: number) => (before > 0 ? (100 * (after - before)) / before : null);

function side(runs: readonly Execution[], range: { from: number; to: number }) {
  const durations = runs.filter((r) => isTimedRun(r) && r.startedAt >= range.from && r.startedAt < range.to).map((r) => r.durationMs!);
  return {
    durations,
    summary: {
      ...range,
      runs: durations.length,
      medianMs: durations.length ? median(durations) : null,
      p95Ms: durations.length ? quantile(durations, 0.95) : null,
    },
  };
}

/**
 * Baseline period against current period: Mann-Whitney U (robust to the skew of run durations),
 * Welch's t where both sides have enough runs, % change of median and p95, and the change point
 * of the whole history when there is one. Degraded when the current period is significantly
 * slower than the baseline, or when there is a change point and the current period's median is
 * still `minChangePct` above the median before it: a change early in the range leaves both
 * periods slow, and the verdict must agree with the change point it reports.
 */
export function detectDegradation(
  workflow: string,
  runs: readonly Execution[],
  baseline: { from: number; to: number },
  current: { from: number; to: number },
  options: DegradationOptions = {},
  steps?: readonly Step[],
): Degradation {
  const alpha = options.alpha ?? 0.01;
  const minRuns = options.minRuns ?? 10;
  const before = side(runs, baseline);
  const after = side(runs, current);
  const testable = before.durations.length >= minRuns && after.durations.length >= minRuns;
  const mw = testable ? mannWhitneyU(before.durations, after.durations) : null;
  const welch = testable ? welchTTest(before.durations, after.durations) : null;
  const medianChangePct = before.summary.medianMs !== null && after.summary.medianMs !== null ? pct(after.summary.medianMs, before.summary.medianMs) : null;
  const p95ChangePct = before.summary.p95Ms !== null && after.summary.p95Ms !== null ? pct(after.summary.p95Ms, before.summary.p95Ms) : null;
  const inRange = runs.filter((r) => r.startedAt >= baseline.from && r.startedAt < current.to);
  const minChangePct = options.minChangePct ?? 10;
  const changePoint = findChangePoint(inRange, options);
  const step = changePoint && steps ? slowedStep(steps, changePoint.at, options.minRuns ?? 10) : undefined;
  if (changePoint && step) changePoint.step = step;
  const byPeriods = mw !== null && mw.pValue < alpha && mw.rankBiserial > 0 && (medianChangePct ?? 0) >= minChangePct;
  const sinceChange = changePoint && after.summary.medianMs !== null ? pct(after.summary.medianMs, changePoint.medianBeforeMs) : null;
  return {
    workflow,
    baseline: before.summary,
    current: after.summary,
    medianChangePct,
    p95ChangePct,
    mannWhitney: mw && { u: mw.u, pValue: mw.pValue, effectSize: mw.rankBiserial },
    welch: welch && { t: welch.t, df: welch.df, pValue: welch.pValue, cohensD: welch.cohensD },
    degraded: byPeriods || (sinceChange ?? 0) >= minChangePct,
    changePoint,
  };
}

/**
 * The first degraded run: the split of the run history (in time order) that best separates
 * shorter runs before from longer runs after, by the Mann-Whitney z of log durations. Accepted
 * only when significant and the median rose by at least `minChangePct`.
 */
export function findChangePoint(runs: readonly Execution[], options: DegradationOptions = {}): ChangePoint | null {
  const alpha = options.alpha ?? 0.01;
  const minRuns = options.minRuns ?? 10;
  const timed = runs.filter(isTimedRun).sort((a, b) => a.startedAt - b.startedAt);
  if (timed.length < 2 * minRuns) return null;
  const logs = timed.map((r) => Math.log(Math.max(1, r.durationMs)));
  // Rank-based CUSUM: the split maximising the standardised rank-sum difference.
  const order = logs.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(logs.length);
  order.forEach(({ i }, r) => (ranks[i] = r + 1));
  const n = logs.length;
  let best = { index: -1, score: 0 };
  let prefix = 0;
  for (let k = 1; k < n; k++) {
    prefix += ranks[k - 1];
    if (k < minRuns || n - k < minRuns) continue;
    const expected = (k * (n + 1)) / 2;
    const sigma = Math.sqrt((k * (n - k) * (n + 1)) / 12);
    const score = (expected - prefix) / sigma; // positive when the first k runs are shorter
    if (score > best.score) best = { index: k, score };
  }
  if (best.index < 0) return null;
  const versionSplit = versionChangeNear(timed, best.index);
  const split = versionSplit ?? best.index;
  const beforeRuns = timed.slice(0, split);
  const afterRuns = timed.slice(split);
  const test = mannWhitneyU(
    beforeRuns.map((r) => r.durationMs),
    afterRuns.map((r) => r.durationMs),
  );
  const medianBeforeMs = median(beforeRuns.map((r) => r.durationMs));
  const medianAfterMs = median(afterRuns.map((r) => r.durationMs));
  const changePct = pct(medianAfterMs, medianBeforeMs) ?? 0;
  if (!(test.pValue < alpha) || changePct < (options.minChangePct ?? 10)) return null;
  const first = afterRuns[0];
  const previous = beforeRuns[beforeRuns.length - 1];
  const point: ChangePoint = { executionId: first.id, at: first.startedAt, medianBeforeMs, medianAfterMs, changePct, pValue: test.pValue };
  if (first.packageVersion && first.packageVersion !== previous.packageVersion) {
    point.version = first.packageVersion;
    if (previous.packageVersion) point.previousVersion = previous.packageVersion;
  }
  return point;
}

/**
 * A statistical split lands within a few runs of the true change; when a package version began
 * within that distance, it is the likelier cause, and the split moves onto its first run.
 */
function versionChangeNear(timed: ReadonlyArray<Execution>, index: number, reach = 5): number | undefined {
  for (let d = 0; d <= reach; d++) {
    for (const k of d === 0 ? [index] : [index - d, index + d]) {
      if (k <= 0 || k >= timed.length) continue;
      if (timed[k].packageVersion && timed[k].packageVersion !== timed[k - 1].packageVersion) return k;
    }
  }
  return undefined;
}

/**
 * The step whose median duration rose most across `at` (completed steps, at least `minRuns` on
 * each side), when it rose 1.3x or more: what a version change made slower.
 */
export function slowedStep(steps: readonly Step[], at: number, minRuns = 10): ChangePoint['step'] {
  const byName = new Map<string, { before: number[]; after: number[] }>();
  for (const step of steps) {
    if (step.status !== 'completed' || step.durationMs === undefined) continue;
    let sides = byName.get(step.name);
    if (!sides) byName.set(step.name, (sides = { before: [], after: [] }));
    (step.startedAt < at ? sides.before : sides.after).push(step.durationMs);
  }
  let best: ChangePoint['step'];
  let bestRatio = 1.3;
  for (const [name, { before, after }] of byName) {
    if (before.length < minRuns || after.length < minRuns) continue;
    const medianBeforeMs = median(before);
    const medianAfterMs = median(after);
    if (medianBeforeMs > 0 && medianAfterMs / medianBeforeMs >= bestRatio) {
      bestRatio = medianAfterMs / medianBeforeMs;
      best = { name, medianBeforeMs, medianAfterMs };
    }
  }
  return best;
}
