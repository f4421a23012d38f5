import type { ErrorPattern, PeerComparison, RateBucket, SuccessAnalysis } from '@rpa-analytics/contract';
import type { Execution } from '@rpa-analytics/contract';
import { normalCdf } from './distributions';
import { twoProportionZ } from './hypothesisTests';

export const FINISHED = (r: Execution) => r.status !== 'running';
/** Every run that ended other than completed: a failure, as the failure rates count them. */
export const FAILED = (r: Execution) => r.status !== 'completed' && r.status !== 'running';

/**
 * An error message with its variable parts replaced, so that "Invoice INV-10234 not found" and
 * "Invoice INV-99812 not found" are one pattern.
 * @example fingerprint("File C:\\in\\a 12.pdf locked by 4711") === 'File <path> locked by <n>'
 */
export function fingerprint(message: string): string {
  return message
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/[\w.+-]+@[\w-]+\.[\w.]+/g, '<email>')
    .replace(/(?:[a-zA-Z]:\\|\\\\)[^\s'"]*(?:\s[^\s'"\\]*\.\w{2,4})?/g, '<path>')
    .replace(/(?:^|(?<=\s))\/[\w.-]+(?:\/[\w.-]+)+/g, '<path>')
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b[0-9a-f]*\d[0-9a-f]*\b/gi, (token) => (/^\d+$/.test(token) || token.length >= 8 ? '<n>' : token))
    .replace(/\b([A-Za-z]+-)<n>\b/g, '$1<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Success rate per bucket of `bucketMs`, over finished runs; empty buckets have a null rate. */
export function successRateOverTime(runs: readonly Execution[], from: number, to: number, bucketMs: number): RateBucket[] {
  if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be positive, got ${bucketMs}`);
  const first = Math.floor(from / bucketMs) * bucketMs;
  const buckets: RateBucket[] = [];
  for (let time = first; time < to; time += bucketMs) buckets.push({ time, runs: 0, failures: 0, successRate: null });
  for (const run of runs) {
    if (!FINISHED(run) || run.startedAt < first || run.startedAt >= to) continue;
    const bucket = buckets[Math.floor((run.startedAt - first) / bucketMs)];
    bucket.runs++;
    if (FAILED(run)) bucket.failures++;
  }
  for (const bucket of buckets) bucket.successRate = bucket.runs > 0 ? 1 - bucket.failures / bucket.runs : null;
  return buckets;
}

/** Failure counts by error type (`unknown` when a failed run carried none). */
export function failuresByErrorType(runs: readonly Execution[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const run of runs.filter(FAILED)) {
    const type = run.errorType ?? 'unknown';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** Error patterns, most frequent first; `isNew` when first seen at or after `recentFrom`. */
export function errorPatterns(runs: readonly Execution[], recentFrom: number): ErrorPattern[] {
  const patterns = new Map<string, ErrorPattern & { workflowSet: Set<string> }>();
  for (const run of runs) {
    if (!FAILED(run) || !run.errorMessage) continue;
    const key = fingerprint(run.errorMessage);
    const pattern = patterns.get(key) ?? {
      fingerprint: key,
      example: run.errorMessage,
      errorType: run.errorType ?? null,
      count: 0,
      firstSeen: run.startedAt,
      lastSeen: run.startedAt,
      workflows: [],
      workflowSet: new Set<string>(),
      isNew: false,
    };
    pattern.count++;
    pattern.firstSeen = Math.min(pattern.firstSeen, run.startedAt);
    pattern.lastSeen = Math.max(pattern.lastSeen, run.startedAt);
    pattern.workflowSet.add(run.workflow);
    patterns.set(key, pattern);
  }
  return [...patterns.values()]
    .map(({ workflowSet, ...p }) => ({ ...p, workflows: [...workflowSet].sort(), isNew: p.firstSeen >= recentFrom }))
    .sort((a, b) => b.count - a.count || a.fingerprint.localeCompare(b.fingerprint));
}

/**
 * A robot's or host's failures against its peers' on one workflow, as ops read it: counts and
 * rates, and "as often as", "N x as often as" or "less often than", never "0.7x more often".
 */
export function peerWording(p: {
  dimension: 'robot' | 'host';
  name: string;
  workflow: string;
  runs: number;
  failures: number;
  peerRuns: number;
  peerFailures: number;
}): string {
  const rate = p.failures / p.runs;
  const peerRate = p.peerFailures / p.peerRuns;
  const counts = `${p.failures} of ${p.runs} runs, ${(100 * rate).toFixed(1)}%, against ${p.peerFailures} of ${p.peerRuns}, ${(100 * peerRate).toFixed(1)}%`;
  const who = `${p.dimension} ${p.name}`;
  if (p.peerFailures === 0)
    return p.failures === 0
      ? `${who} and its peers on ${p.workflow} never fail (${counts})`
      : `${who} fails on ${p.workflow} while its peers never do (${counts})`;
  const ratio = rate / peerRate;
  const how = Math.abs(ratio - 1) < 0.05 ? 'as often as' : ratio > 1 ? `${ratio.toFixed(1)}x as often as` : 'less often than';
  return `${who} fails ${how} its peers on ${p.workflow} (${counts})`;
}

/**
 * Each robot (or host) against its peers on the same workflow: one-sided two-proportion z-test
 * of its failure rate against the pooled rate of the others.
 */
export function peerComparison(
  runs: readonly Execution[],
  dimension: 'robot' | 'host',
  options: { minRuns?: number; minRatio?: number; alpha?: number } = {},
): PeerComparison[] {
  const minRuns = options.minRuns ?? 10;
  const minRatio = options.minRatio ?? 2;
  const alpha = options.alpha ?? 0.01;
  const byWorkflow = new Map<string, Map<string, { runs: number; failures: number }>>();
  for (const run of runs.filter(FINISHED)) {
    const name = run[dimension];
    if (!name) continue;
    const members = byWorkflow.get(run.workflow) ?? new Map<string, { runs: number; failures: number }>();
    const entry = members.get(name) ?? { runs: 0, failures: 0 };
    entry.runs++;
    if (FAILED(run)) entry.failures++;
    members.set(name, entry);
    byWorkflow.set(run.workflow, members);
  }
  const out: PeerComparison[] = [];
  for (const [workflow, members] of byWorkflow) {
    if (members.size < 2) continue;
    const total = [...members.values()].reduce((a, m) => ({ runs: a.runs + m.runs, failures: a.failures + m.failures }), { runs: 0, failures: 0 });
    for (const [name, m] of members) {
      const peerRuns = total.runs - m.runs;
      const peerFailures = total.failures - m.failures;
      if (m.runs < minRuns || peerRuns < minRuns) continue;
      const rate = m.failures / m.runs;
      const peerRate = peerFailures / peerRuns;
      const { z } = twoProportionZ(peerFailures, peerRuns, m.failures, m.runs);
      const pValue = 1 - normalCdf(z);
      const ratio = peerRate === 0 ? (rate === 0 ? 1 : Infinity) : rate / peerRate;
      const outlier = ratio >= minRatio && pValue < alpha;
      out.push({
        workflow,
        dimension,
        name,
        runs: m.runs,
        failureRate: rate,
        peerRuns,
        peerFailureRate: peerRate,
        ratio,
        pValue,
        outlier,
        description: peerWording({ dimension, name, workflow, runs: m.runs, failures: m.failures, peerRuns, peerFailures }),
      });
    }
  }
  return out.sort((a, b) => Number(b.outlier) - Number(a.outlier) || b.ratio - a.ratio);
}

/** The whole success and exception picture of a set of runs. */
export function analyzeSuccess(
  workflow: string | null,
  runs: readonly Execution[],
  range: { from: number; to: number },
  bucketMs: number,
  recentFrom: number,
): SuccessAnalysis {
  const finished = runs.filter(FINISHED);
  const failures = finished.filter(FAILED).length;
  return {
    workflow,
    runs: finished.length,
    failures,
    successRate: finished.length ? 1 - failures / finished.length : null,
    byErrorType: failuresByErrorType(finished),
    overTime: successRateOverTime(finished, range.from, range.to, bucketMs),
    patterns: errorPatterns(finished, recentFrom),
    peers: [...peerComparison(finished, 'robot'), ...peerComparison(finished, 'host')],
  };
}
