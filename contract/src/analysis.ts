/** What the analysis finds: statistics, bottlenecks, degradations, anomalies, incidents, insights. */
import type { ErrorType } from './types';

export interface DurationStats {
  count: number;
  meanMs: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  /** Sample standard deviation; 0 for a single run. */
  stdDevMs: number;
}

export interface BottleneckStep {
  step: string;
  count: number;
  totalMs: number;
  /** Share of the workflow's total step time, in [0, 1]. */
  share: number;
  meanMs: number;
  medianMs: number;
  p95Ms: number;
  failures: number;
}

export interface PerformanceStats {
  workflow: string;
  from: number;
  to: number;
  /** All runs in the range; the duration statistics cover the completed ones (null when none). */
  runs: number;
  completed: number;
  successRate: number | null;
  avgDurationMs: number | null;
  medianDurationMs: number | null;
  p95DurationMs: number | null;
  p99DurationMs: number | null;
  minDurationMs: number | null;
  maxDurationMs: number | null;
  /** Sample standard deviation; 0 for a single run. */
  stdDevDurationMs: number | null;
  slowestSteps: BottleneckStep[];
}

export interface PerformanceTrend {
  workflow: string;
  points: number;
  /** Change of the run duration per day, in ms. */
  slopeMsPerDay: number;
  /** The slope relative to the median duration, in % per day. */
  slopePctPerDay: number;
  r2: number;
  pValue: number;
  significant: boolean;
}

export interface ChangePoint {
  executionId: string;
  at: number;
  medianBeforeMs: number;
  medianAfterMs: number;
  changePct: number;
  pValue: number;
  /** The package version the first degraded run used, when it differs from the run before it. */
  version?: string;
  previousVersion?: string;
  /** The step that slowed most across it (its median at least 1.3x), when its steps were read. */
  step?: { name: string; medianBeforeMs: number; medianAfterMs: number };
}

export interface Degradation {
  workflow: string;
  baseline: { from: number; to: number; runs: number; medianMs: number | null; p95Ms: number | null };
  current: { from: number; to: number; runs: number; medianMs: number | null; p95Ms: number | null };
  medianChangePct: number | null;
  p95ChangePct: number | null;
  mannWhitney: { u: number; pValue: number; effectSize: number } | null;
  welch: { t: number; df: number; pValue: number; cohensD: number } | null;
  degraded: boolean;
  changePoint: ChangePoint | null;
}

export interface ErrorPattern {
  fingerprint: string;
  example: string;
  errorType: string | null;
  count: number;
  firstSeen: number;
  lastSeen: number;
  workflows: string[];
  /** First seen inside the recent window: a new kind of failure. */
  isNew: boolean;
}

export interface RateBucket {
  time: number;
  runs: number;
  failures: number;
  successRate: number | null;
}

export interface PeerComparison {
  workflow: string;
  dimension: 'robot' | 'host';
  name: string;
  runs: number;
  failureRate: number;
  peerRuns: number;
  peerFailureRate: number;
  /** failureRate / peerFailureRate; Infinity when the peers never fail. */
  ratio: number;
  pValue: number;
  outlier: boolean;
  description: string;
}

export interface SuccessAnalysis {
  workflow: string | null;
  runs: number;
  failures: number;
  successRate: number | null;
  byErrorType: Record<string, number>;
  overTime: RateBucket[];
  patterns: ErrorPattern[];
  peers: PeerComparison[];
}

export const ANOMALY_METRICS = ['run_duration', 'step_duration', 'failure_rate', 'volume', 'host_cpu', 'host_memory', 'host_disk'] as const;
export type AnomalyMetric = (typeof ANOMALY_METRICS)[number];

export interface Anomaly {
  id: string;
  /** The series it was found on, e.g. `run_duration|Invoice Processing`. */
  seriesKey: string;
  metric: AnomalyMetric;
  workflow?: string;
  step?: string;
  host?: string;
  /** A robot's own failure rate against its peers' (its series has no workflow). */
  robot?: string;
  direction: 'high' | 'low';
  status: 'open' | 'closed';
  startedAt: number;
  lastSeenAt: number;
  endedAt?: number;
  /**
   * When, in the data's time, the evidence that opened it was complete: the end of the run, the
   * hour or the host bucket that tipped it over (`startedAt` is where the episode began, often
   * earlier). Absent on anomalies stored before it was kept.
   */
  detectedAt?: number;
  /** Severity in [0, 1] now (persistence escalates it), and when it opened. */
  severity: number;
  firstSeverity: number;
  peakScore: number;
  points: number;
  expected: number;
  observed: number;
  /** For a failure rate: the runs `observed` failures were counted among. */
  trials?: number;
  /** For a failure rate: true when `observed` counts the failures on system errors alone (not business exceptions), `expected` their usual rate. */
  systemErrors?: boolean;
  /** For host memory climbing toward full: its pace an hour and when, at that pace, it is full. */
  forecast?: { perHour: number; reachesAt: number; limit: number };
  /**
   * For a run or step duration: its point farthest out, where that is not its latest
   * (`observed`): a 3x slower run of a spike whose anomaly stays open on the drift check after
   * the runs are back near normal.
   */
  worst?: { observed: number; expected: number };
  /**
   * For runs per hour told low within an hour, before the hour was judged whole: when the last run
   * before the silence ended (`detectedAt` is when the silence had lasted long enough to tell).
   */
  silentSince?: number;
  /**
   * For a failure rate opened by a run that failed on an error the fleet had not had for 7 days:
   * the error's pattern and type, and the new errors the fleet met among its runs of the 7 days
   * before (how rare a new one was).
   */
  newError?: { pattern: string; errorType?: ErrorType; newErrors: number; runs: number };
  escalationLevel: number;
  incidentId?: string;
  description: string;
  recommendedAction: string;
  /**
   * A workflow's slowdown is one anomaly, on its run duration and the durations of its steps: the
   * steps that were slower (most severe first), and each series' own judgement (`parts`).
   */
  steps?: string[];
  parts?: AnomalyPart[];
}

/** One series' judgement within a workflow's slowdown. */
export type AnomalyPart = Omit<Anomaly, 'steps' | 'parts' | 'incidentId'>;

export interface Incident {
  id: string;
  status: 'open' | 'closed';
  startedAt: number;
  endedAt?: number;
  lastSeenAt: number;
  severity: number;
  anomalyIds: string[];
  workflows: string[];
  hosts: string[];
  title: string;
}

export const INSIGHT_CATEGORIES = [
  'variability',
  'slow_p99',
  'bottleneck',
  'degradation',
  'failure_pattern',
  'resource_saturation',
  'robot_outlier',
  'idle_capacity',
] as const;
export type InsightCategory = (typeof INSIGHT_CATEGORIES)[number];

/** An implemented insight's actual impact, on the quantity it is about (each one it wants lower). */
export interface MeasuredImpact {
  measuredAt: number;
  /** Run or step median duration (ms), or a share of runs: failing, failing with a pattern, on a saturated host. */
  metric: 'median_duration_ms' | 'step_median_ms' | 'failure_rate' | 'pattern_rate' | 'saturated_share';
  /** What was measured, in words. */
  quantity?: string;
  before: number;
  after: number;
  changePct: number;
  runsBefore: number;
  runsAfter: number;
  pValue: number;
  significant: boolean;
  /** Better (significantly lower), worse (significantly higher) or unchanged. */
  direction?: 'better' | 'worse' | 'unchanged';
  /** The measurement in one sentence, its test and its direction. */
  summary?: string;
}

export interface Insight {
  id: string;
  /** Same key, same insight: found again, it merges instead of duplicating. */
  key: string;
  category: InsightCategory;
  workflow?: string;
  subject?: string;
  title: string;
  description: string;
  recommendation: string;
  expectedImpact: string;
  /** Expected improvement of the insight's metric, in % (positive = better). */
  expectedImprovementPct: number;
  impact: number;
  ease: number;
  priorityScore: number;
  status: 'open' | 'implemented';
  firstSeenAt: number;
  lastSeenAt: number;
  implementedAt?: number;
  implementationNote?: string;
  measuredImpact?: MeasuredImpact;
  evidence: Record<string, number | string>;
}

/** How far back a collector's very first analysis pass reads, unless configured. */
export const DEFAULT_HISTORY_DAYS = 30;
