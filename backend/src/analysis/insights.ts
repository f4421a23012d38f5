import { createHash } from 'node:crypto';
import type { Degradation, Insight, InsightCategory, MeasuredImpact, PerformanceStats, SuccessAnalysis } from '@rpa-analytics/contract';
import type { Execution, Step } from '@rpa-analytics/contract';
import { mannWhitneyU, twoProportionZ } from './hypothesisTests';
import { isTimedRun } from './performance';
import { FAILED, FINISHED, fingerprint } from './success';
import { median } from './stats';

/** A finding before it is stored: the store adds id, status and timestamps. */
export type InsightDraft = Omit<Insight, 'id' | 'status' | 'firstSeenAt' | 'lastSeenAt' | 'implementedAt' | 'implementationNote' | 'measuredImpact'>;

/** How hard each kind of fix usually is, in [0, 1] (1 = a configuration change). */
const EASE: Record<InsightCategory, number> = {
  variability: 0.4,
  slow_p99: 0.5,
  bottleneck: 0.6,
  degradation: 0.8,
  failure_pattern: 0.6,
  resource_saturation: 0.5,
  robot_outlier: 0.8,
  idle_capacity: 0.7,
};

export const insightKey = (category: InsightCategory, workflow?: string, subject?: string) => [category, workflow ?? '', subject ?? ''].join('|');

export function insightId(key: string): string {
  return `ins-${createHash('sha1').update(key).digest('hex').slice(0, 16)}`;
}

function draft(category: InsightCategory, fields: Omit<InsightDraft, 'key' | 'category' | 'ease' | 'priorityScore'>): InsightDraft {
  const impact = Math.min(1, Math.max(0, fields.impact));
  return {
    ...fields,
    key: insightKey(category, fields.workflow, fields.subject),
    category,
    impact,
    ease: EASE[category],
    priorityScore: impact * EASE[category],
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const percent = (v: number) => `${v.toFixed(0)}%`;

export interface WorkflowFindings {
  performance: PerformanceStats;
  degradation?: Degradation;
  success?: SuccessAnalysis;
  /** Durations of completed runs with the mean CPU of their host while they ran. */
  runsWithCpu?: ReadonlyArray<{ durationMs: number; cpuPercent: number }>;
}

export interface InsightThresholds {
  /** Coefficient of variation above which runs are "highly variable" (default 0.5). */
  variabilityCv: number;
  /** p99 / median above which the tail is "slow" (default 3). */
  p99ToMedian: number;
  /** Share of the workflow time above which a step is a bottleneck (default 0.35). */
  bottleneckShare: number;
  /** Share of a workflow's failures above which one error pattern is "recurring" (default 0.25). */
  patternShare: number;
  /** Host CPU above which a run counts as run on a saturated host (default 85). */
  saturatedCpu: number;
  /** Utilisation below which a robot is idle capacity (default 0.2). */
  idleUtilisation: number;
}

export const DEFAULT_THRESHOLDS: InsightThresholds = {
  variabilityCv: 0.5,
  p99ToMedian: 3,
  bottleneckShare: 0.35,
  patternShare: 0.25,
  saturatedCpu: 85,
  idleUtilisation: 0.2,
};

/** The seed's `generate_insights` for one workflow: every finding its analyses support. */
export function workflowInsights(findings: WorkflowFindings, t: InsightThresholds = DEFAULT_THRESHOLDS): InsightDraft[] {
  const { performance: perf } = findings;
  const workflow = perf.workflow;
  const out: InsightDraft[] = [];
  const d = perf.completed >= 20 ? perf : undefined;
  if (d && d.avgDurationMs! > 0) {
    const mean = d.avgDurationMs!;
    const std = d.stdDevDurationMs!;
    const med = d.medianDurationMs!;
    const p95 = d.p95DurationMs!;
    const p99 = d.p99DurationMs!;
    const cv = std / mean;
    if (cv > t.variabilityCv) {
      out.push(
        draft('variability', {
          workflow,
          title: `${workflow}: run times vary widely`,
          description: `Runs take ${seconds(mean)} on average with a standard deviation of ${seconds(std)} (coefficient of variation ${cv.toFixed(2)}), so its schedule slots must be sized for the worst case.`,
          recommendation: 'Find what the slow runs have in common (input size, host, time of day, retries) and split or cap the work per run.',
          expectedImpact: `Bringing p95 down to 1.5 x the median saves ${percent(Math.max(0, (100 * (p95 - 1.5 * med)) / p95))} of p95 run time.`,
          expectedImprovementPct: Math.max(0, (100 * (p95 - 1.5 * med)) / p95),
          impact: Math.min(1, cv - t.variabilityCv + 0.2),
          evidence: { cv, meanMs: mean, stdDevMs: std, runs: d.completed },
        }),
      );
    }
    if (med > 0 && p99 / med > t.p99ToMedian) {
      const ratio = p99 / med;
      out.push(
        draft('slow_p99', {
          workflow,
          title: `${workflow}: the slowest 1% of runs take ${ratio.toFixed(1)}x the median`,
          description: `p99 is ${seconds(p99)} against a median of ${seconds(med)}.`,
          recommendation:
            'Look at the slowest runs: timeouts and retries inside steps, waits on external systems, oversized inputs. Add timeouts with early failure where waiting cannot help.',
          expectedImpact: `Cutting the tail to 3x the median shortens p99 by ${percent((100 * (p99 - 3 * med)) / p99)}.`,
          expectedImprovementPct: (100 * (p99 - 3 * med)) / p99,
          impact: Math.min(1, 0.2 + (ratio - t.p99ToMedian) / 10),
          evidence: { p99Ms: p99, medianMs: med, ratio },
        }),
      );
    }
  }
  const top = perf.slowestSteps[0];
  if (top && top.share >= t.bottleneckShare && top.count >= 10) {
    out.push(
      draft('bottleneck', {
        workflow,
        subject: top.step,
        title: `${workflow}: step '${top.step}' takes ${percent(100 * top.share)} of the run time`,
        description: `'${top.step}' averages ${seconds(top.meanMs)} (p95 ${seconds(top.p95Ms)}) over ${top.count} runs, ${percent(100 * top.share)} of all step time of the workflow.`,
        recommendation: `Speed up '${top.step}': replace fixed waits with event-based waits, call the application's API instead of its UI, or run it in parallel across robots.`,
        expectedImpact: `Halving this step shortens the runs by about ${percent(50 * top.share)}.`,
        expectedImprovementPct: 50 * top.share,
        impact: top.share,
        evidence: { share: top.share, meanMs: top.meanMs, p95Ms: top.p95Ms, runs: top.count },
      }),
    );
  }
  const deg = findings.degradation;
  if (deg?.degraded) {
    // Told from the change point when there is one (the periods may both lie after it), else by the periods.
    const point = deg.changePoint;
    const version = point?.version;
    const changePct = point ? point.changePct : deg.medianChangePct!;
    const before = point ? point.medianBeforeMs : deg.baseline.medianMs!;
    const after = point ? point.medianAfterMs : deg.current.medianMs!;
    const pValue = point ? point.pValue : deg.mannWhitney!.pValue;
    out.push(
      draft('degradation', {
        workflow,
        subject: version,
        title: `${workflow} got ${percent(changePct)} slower${version ? ` since version ${version}` : ''}${point?.step ? `: step '${point.step.name}' ${(point.step.medianAfterMs / point.step.medianBeforeMs).toFixed(1)}x slower` : ''}`,
        description: `Median run time went from ${seconds(before)} to ${seconds(after)} (Mann-Whitney p = ${pValue.toExponential(1)})${point ? `, starting with run ${point.executionId} on ${new Date(point.at).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}.`,
        recommendation: version
          ? `Compare version ${version} with ${point?.previousVersion ?? 'the previous one'}${point?.step ? ` in step '${point.step.name}' (median ${seconds(point.step.medianBeforeMs)} before, ${seconds(point.step.medianAfterMs)} after)` : ': the step that got slower points to the change'}; roll back if it cannot be fixed quickly.`
          : 'Check what changed at the change point: target application updates, data volumes, infrastructure.',
        expectedImpact: `Back to the median before saves ${percent((100 * changePct) / (100 + changePct))} of run time.`,
        expectedImprovementPct: (100 * changePct) / (100 + changePct),
        impact: Math.min(1, changePct / 100 + 0.2),
        evidence: { medianChangePct: changePct, pValue, ...(point ? { firstSlowRun: point.executionId } : {}), ...(version ? { version } : {}) },
      }),
    );
  }
  const success = findings.success;
  if (success && success.failures >= 5) {
    for (const pattern of success.patterns.filter((p) => p.count >= 5 && p.count / success.failures >= t.patternShare)) {
      out.push(
        draft('failure_pattern', {
          workflow,
          subject: pattern.fingerprint,
          title: `${workflow}: '${pattern.fingerprint}' caused ${pattern.count} failures`,
          description: `${pattern.count} of ${success.failures} failures (${percent((100 * pattern.count) / success.failures)}) share this error${pattern.errorType ? ` (${pattern.errorType})` : ''}; last seen ${new Date(pattern.lastSeen).toISOString()}.`,
          recommendation:
            pattern.errorType === 'business'
              ? 'Validate the input before the run picks it up, and route these cases to a human queue instead of failing the run.'
              : 'Make the step robust to this error: a retry with backoff for transient failures, a more stable selector, or a wait for the application state.',
          expectedImpact: `Fixing it raises the success rate by about ${((100 * pattern.count) / success.runs).toFixed(1)} points.`,
          expectedImprovementPct: (100 * pattern.count) / success.runs,
          impact: Math.min(1, 0.2 + (4 * pattern.count) / success.runs),
          evidence: { count: pattern.count, failures: success.failures, runs: success.runs },
        }),
      );
    }
    for (const peer of success.peers.filter((p) => p.outlier)) {
      out.push(
        draft('robot_outlier', {
          workflow,
          subject: `${peer.dimension}:${peer.name}`,
          title: `${peer.dimension === 'robot' ? 'Robot' : 'Host'} ${peer.name} fails ${Number.isFinite(peer.ratio) ? `${peer.ratio.toFixed(1)}x as often as its peers on ${workflow}` : `on ${workflow} while its peers never do`}`,
          description: peer.description,
          recommendation: `Compare ${peer.name}'s environment with its peers': application versions, screen resolution, credentials, network drives, installed updates.`,
          expectedImpact: `At its peers' failure rate it would fail ${Math.round(peer.runs * (peer.failureRate - peer.peerFailureRate))} fewer runs.`,
          expectedImprovementPct: 100 * (peer.failureRate - peer.peerFailureRate),
          impact: Math.min(1, 0.2 + 2 * (peer.failureRate - peer.peerFailureRate)),
          evidence: { failureRate: peer.failureRate, peerFailureRate: peer.peerFailureRate, runs: peer.runs, pValue: peer.pValue },
        }),
      );
    }
  }
  const saturation = saturationEffect(findings.runsWithCpu ?? [], t.saturatedCpu);
  if (saturation) {
    out.push(
      draft('resource_saturation', {
        workflow,
        title: `${workflow} runs ${percent(saturation.slowerPct)} slower on saturated hosts`,
        description: `${saturation.saturatedRuns} runs on hosts above ${t.saturatedCpu}% CPU had a median of ${seconds(saturation.saturatedMedianMs)} against ${seconds(saturation.normalMedianMs)} otherwise (Mann-Whitney p = ${saturation.pValue.toExponential(1)}).`,
        recommendation: 'Keep other load off robot hosts while they run (scans, updates, other jobs), or give the hosts more CPU.',
        expectedImpact: `Runs on saturated hosts would be ${percent((100 * saturation.slowerPct) / (100 + saturation.slowerPct))} faster.`,
        expectedImprovementPct: (100 * saturation.slowerPct) / (100 + saturation.slowerPct),
        impact: Math.min(1, 0.2 + saturation.slowerPct / 200),
        evidence: { ...saturation },
      }),
    );
  }
  return out;
}

function saturationEffect(runs: ReadonlyArray<{ durationMs: number; cpuPercent: number }>, threshold: number) {
  const saturated = runs.filter((r) => r.cpuPercent >= threshold).map((r) => r.durationMs);
  const normal = runs.filter((r) => r.cpuPercent < threshold).map((r) => r.durationMs);
  if (saturated.length < 5 || normal.length < 10) return null;
  const test = mannWhitneyU(normal, saturated);
  const saturatedMedianMs = median(saturated);
  const normalMedianMs = median(normal);
  const slowerPct = (100 * (saturatedMedianMs - normalMedianMs)) / normalMedianMs;
  if (test.pValue >= 0.01 || slowerPct < 20) return null;
  return { saturatedRuns: saturated.length, saturatedMedianMs, normalMedianMs, slowerPct, pValue: test.pValue };
}

/** Robots busy less than the threshold of the time: capacity that could take on more work. */
export function idleCapacityInsight(
  utilisation: ReadonlyArray<{ robot: string; busyMs: number }>,
  periodMs: number,
  t: InsightThresholds = DEFAULT_THRESHOLDS,
): InsightDraft | null {
  const idle = utilisation.filter((u) => u.busyMs / periodMs < t.idleUtilisation);
  if (idle.length === 0 || periodMs <= 0) return null;
  const freeHours = idle.reduce((total, u) => total + (periodMs * t.idleUtilisation - u.busyMs), 0) / 3600_000;
  const names = idle.map((u) => u.robot).sort();
  return draft('idle_capacity', {
    subject: 'fleet',
    title: `${idle.length} of ${utilisation.length} robots are busy less than ${percent(100 * t.idleUtilisation)} of the time`,
    description: `${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''} ran workflows for under ${percent(100 * t.idleUtilisation)} of the period.`,
    recommendation: 'Move work onto these robots (or retire licences): rebalance schedules, let them pull from shared work queues.',
    expectedImpact: `About ${freeHours.toFixed(0)} robot-hours of capacity in the period, up to the ${percent(100 * t.idleUtilisation)} mark alone.`,
    expectedImprovementPct: (100 * idle.length) / utilisation.length,
    impact: Math.min(1, idle.length / Math.max(1, utilisation.length)),
    evidence: { idleRobots: idle.length, robots: utilisation.length, freeHours },
  });
}

/** Highest priority first; one insight per key (a finding seen again replaces the older one). */
export function prioritize(drafts: readonly InsightDraft[]): InsightDraft[] {
  const byKey = new Map<string, InsightDraft>();
  for (const d of drafts) {
    const existing = byKey.get(d.key);
    if (!existing || d.priorityScore > existing.priorityScore) byKey.set(d.key, d);
  }
  return [...byKey.values()].sort((a, b) => b.priorityScore - a.priorityScore || a.key.localeCompare(b.key));
}

/** What an implemented insight's impact is measured on: its runs, their steps, their hosts' CPU. */
export interface ImpactSide {
  runs: readonly Execution[];
  /** The steps of `runs` (a bottleneck is measured on its step). */
  steps?: readonly Step[];
  /** Completed runs with their host's mean CPU while they ran (saturation is measured on these). */
  withCpu?: ReadonlyArray<{ durationMs: number; cpuPercent: number }>;
}

const finished = (runs: readonly Execution[]) => runs.filter(FINISHED);

function impact(
  metric: MeasuredImpact['metric'],
  quantity: string,
  before: number,
  after: number,
  runsBefore: number,
  runsAfter: number,
  pValue: number,
  test: string,
  measuredAt: number,
  format: (v: number) => string,
): MeasuredImpact {
  const significant = pValue < 0.05;
  const changePct = before > 0 ? (100 * (after - before)) / before : after > 0 ? 100 : 0;
  // Every quantity measured is one the insight wants lower.
  const direction = !significant ? 'unchanged' : after < before ? 'better' : 'worse';
  const verdict = direction === 'unchanged' ? 'no significant change' : direction === 'better' ? 'better' : 'worse';
  return {
    measuredAt,
    metric,
    quantity,
    before,
    after,
    changePct,
    runsBefore,
    runsAfter,
    pValue,
    significant,
    direction,
    summary: `${quantity}: ${format(before)} before, ${format(after)} after (${changePct >= 0 ? '+' : ''}${changePct.toFixed(0)}%, ${test} p = ${pValue.toPrecision(2)}): ${verdict}`,
  };
}

const asPercent = (v: number) => `${(100 * v).toFixed(1)}%`;

/**
 * The actual impact of an implemented insight, on the quantity it is about, before against after
 * its implementation: a bottleneck on its step's duration; saturation on the share of runs on a
 * saturated host (`saturatedCpu`); a failure pattern on how often runs fail with it; a robot or
 * host outlier on its failure rate; any other on the workflow's run durations. Durations by
 * Mann-Whitney, rates by a two-proportion z-test; `direction` says plainly whether it got better.
 * @returns null until both sides have `minRuns` runs (of the robot or host, for an outlier).
 */
export function measureImpact(
  insight: Pick<Insight, 'category' | 'subject'>,
  before: ImpactSide,
  after: ImpactSide,
  measuredAt: number,
  { minRuns = 20, saturatedCpu = DEFAULT_THRESHOLDS.saturatedCpu } = {},
): MeasuredImpact | null {
  const durations = (metric: MeasuredImpact['metric'], quantity: string, b: number[], a: number[]) => {
    if (b.length < minRuns || a.length < minRuns) return null;
    return impact(metric, quantity, median(b), median(a), b.length, a.length, mannWhitneyU(b, a).pValue, 'Mann-Whitney', measuredAt, seconds);
  };
  const rate = (metric: MeasuredImpact['metric'], quantity: string, b: readonly unknown[], hitsB: number, a: readonly unknown[], hitsA: number) => {
    if (b.length < minRuns || a.length < minRuns) return null;
    return impact(
      metric,
      quantity,
      hitsB / b.length,
      hitsA / a.length,
      b.length,
      a.length,
      twoProportionZ(hitsB, b.length, hitsA, a.length).pValue,
      'two-proportion z-test',
      measuredAt,
      asPercent,
    );
  };
  switch (insight.category) {
    case 'bottleneck': {
      const step = insight.subject;
      const of = (side: ImpactSide) =>
        (side.steps ?? []).filter((s) => s.name === step && s.status === 'completed' && s.durationMs !== undefined).map((s) => s.durationMs!);
      return durations('step_median_ms', `median duration of step '${step}'`, of(before), of(after));
    }
    case 'resource_saturation': {
      const b = before.withCpu ?? [];
      const a = after.withCpu ?? [];
      const hits = (runs: typeof b) => runs.filter((r) => r.cpuPercent >= saturatedCpu).length;
      return rate('saturated_share', `share of runs on a host above ${saturatedCpu}% CPU`, b, hits(b), a, hits(a));
    }
    case 'failure_pattern': {
      const b = finished(before.runs);
      const a = finished(after.runs);
      const hits = (runs: readonly Execution[]) =>
        runs.filter((r) => FAILED(r) && r.errorMessage !== undefined && fingerprint(r.errorMessage) === insight.subject).length;
      return rate('pattern_rate', `share of runs failing with '${insight.subject}'`, b, hits(b), a, hits(a));
    }
    case 'robot_outlier': {
      const [dimension, name] = (insight.subject ?? ':').split(/:(.*)/s);
      const mine = (runs: readonly Execution[]) => finished(runs).filter((r) => (dimension === 'robot' ? r.robot : r.host) === name);
      const b = mine(before.runs);
      const a = mine(after.runs);
      return rate('failure_rate', `failure rate of ${dimension} ${name}`, b, b.filter(FAILED).length, a, a.filter(FAILED).length);
    }
    default:
      return durations(
        'median_duration_ms',
        'median run duration',
        before.runs.filter(isTimedRun).map((r) => r.durationMs),
        after.runs.filter(isTimedRun).map((r) => r.durationMs),
      );
  }
}
