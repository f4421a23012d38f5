import { createHash } from 'node:crypto';
import type { Anomaly, AnomalyMetric, AnomalyPart } from '@rpa-analytics/contract';
import { recommendedAction } from './actions';
import type { SeriesId } from './seriesCatalog';
import { currentSeverity, type DetectorEvent, type Episode, escalationLevel } from './seriesDetector';

/** Whether a metric is a run's or a step's duration: what a slowdown is made of. */
export function isDuration(metric: AnomalyMetric): boolean {
  return metric === 'run_duration' || metric === 'step_duration';
}

/** Same series, same start: same id, so a re-run of the analysis updates instead of duplicating. */
export function anomalyId(seriesKey: string, startedAt: number): string {
  return `an-${createHash('sha1').update(`${seriesKey}@${startedAt}`).digest('hex').slice(0, 16)}`;
}

/** A duration as people read it: milliseconds under a second, then seconds, minutes, hours. */
export function formatDuration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

const METRIC_LABEL: Record<AnomalyMetric, { name: string; unit: (v: number) => string }> = {
  run_duration: { name: 'run duration', unit: formatDuration },
  step_duration: { name: 'step duration', unit: formatDuration },
  failure_rate: { name: 'failure rate', unit: (v) => `${(100 * v).toFixed(1)}%` },
  volume: { name: 'runs per hour', unit: (v) => v.toFixed(1) },
  host_cpu: { name: 'CPU', unit: (v) => `${v.toFixed(0)}%` },
  host_memory: { name: 'memory use', unit: (v) => `${v.toFixed(0)}%` },
  host_disk: { name: 'disk space used', unit: (v) => `${v.toFixed(0)}%` },
};

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

function subject(series: SeriesId): string {
  if (series.metric === 'step_duration') return `step '${series.step}' of ${series.workflow}`;
  if (series.robot !== undefined) return `robot ${series.robot}`;
  return series.workflow ?? series.host ?? series.key;
}

/** How long a silence told within the hour had lasted when it was told; undefined for anything else. */
export function silenceLength({ silentSince, detectedAt, startedAt }: Pick<Anomaly, 'silentSince' | 'detectedAt' | 'startedAt'>): number | undefined {
  return silentSince === undefined ? undefined : Math.max(0, (detectedAt ?? startedAt) - silentSince);
}

/**
 * What an anomaly says, in the direction it was opened in: a failure rate by its count of
 * failed runs against the usual rate; a drift by where recent points sit (the latest may be back
 * near normal); otherwise the latest point against what was expected.
 */
export function describe(series: SeriesId, episode: Episode, closed = false): string {
  const label = METRIC_LABEL[series.metric];
  const high = episode.direction === 'high';
  const strength = `(${episode.peakScore.toFixed(1)} robust SDs, ${episode.points} point${episode.points === 1 ? '' : 's'})`;
  if (series.metric === 'failure_rate' && series.robot !== undefined) {
    const count =
      episode.observedTrials !== undefined
        ? `${Math.round(episode.observed)} of its last ${episode.observedTrials} runs`
        : `${Math.round(episode.observed)} of its recent runs`;
    return `failure rate of robot ${series.robot} is unusually high: ${count} failed on a system error while the other robots' runs of the same workflows did not, usually ${label.unit(episode.expected)} of its runs do ${strength}`;
  }
  if (series.metric === 'failure_rate') {
    const on = episode.observedSystem ? ' on a system error' : '';
    const window =
      episode.observedTrials !== undefined
        ? `${Math.round(episode.observed)} of the last ${episode.observedTrials} runs failed${on}`
        : `${Math.round(episode.observed)} recent runs failed${on}`;
    return `failure rate of ${subject(series)} is unusually ${high ? 'high' : 'low'}: ${window}, usually ${label.unit(episode.expected)} ${on ? 'do' : 'fail'} ${strength}${openedBy(episode.newError)}`;
  }
  if (episode.silentSince !== undefined && episode.points === 0) {
    const told = formatDuration(silenceLength(episode)!);
    const since = `${DATE.format(episode.silentSince)} UTC`;
    const silence = closed ? `no run ended from ${since} for ${told} or more` : `no run has ended since ${since} (${told} when told)`;
    const after = closed ? '; runs came back within the hour' : '';
    return `runs per hour of ${subject(series)} is unusually low: ${silence}, usually ${label.unit(episode.expected)} an hour (${episode.peakScore.toFixed(1)} robust SDs for an empty hour)${after}`;
  }
  if (episode.evidence === 'shift') {
    const worst = episode.worst;
    const duration = isDuration(series.metric);
    const beyond =
      duration && worst && (high ? worst.observed > episode.observed : worst.observed < episode.observed) ? `, ${label.unit(worst.observed)} at worst` : '';
    return `${label.name} of ${subject(series)} has shifted ${high ? 'up' : 'down'}: recent points sit ${high ? 'above' : 'below'} the expected ${label.unit(episode.expected)} (latest ${label.unit(episode.observed)}${beyond}) ${strength}`;
  }
  const forecast = episode.forecast;
  const heading = !forecast
    ? ''
    : closed
      ? `; it was rising ${label.unit(forecast.perHour)} an hour`
      : `; rising ${label.unit(forecast.perHour)} an hour, ${label.unit(forecast.limit)} in about ${formatDuration(Math.max(0, forecast.reachesAt - episode.lastSeenAt))}`;
  return `${label.name} of ${subject(series)} is unusually ${high ? 'high' : 'low'}: ${label.unit(episode.observed)} vs expected ${label.unit(episode.expected)} ${strength}${heading}`;
}

/** An error as a title or description quotes it: its type, and its pattern with '…' for what varies. */
export const quoteError = (pattern: string, errorType?: string): string => `${errorType ? `${errorType} error ` : ''}'${pattern.replace(/<\w+>/g, '…')}'`;

/** What a failure rate a failure on a new error held beyond the threshold says of it, and of how rare one was. */
function openedBy(newError: Episode['newError']): string {
  if (!newError) return '';
  const { pattern, errorType, newErrors, runs } = newError;
  const others = newErrors === 0 ? 'no other new error' : `${newErrors} other new error${newErrors === 1 ? '' : 's'}`;
  const oneIn = Math.round((runs + 1) / (newErrors + 1)).toLocaleString('en-US');
  return `; a run failed on an error the fleet had not had in 7 days, ${quoteError(pattern, errorType)} (1 in ${oneIn}: the fleet's ${runs.toLocaleString('en-US')} runs of the 7 days before had ${others})`;
}

/** How an episode went, when it did more than open and close: came back, taken as the new normal. */
function course(event: DetectorEvent): string {
  const { episode } = event;
  const parts: string[] = [];
  if ((episode.spells ?? 1) > 1)
    parts.push(`came back ${episode.spells! - 1} time${episode.spells === 2 ? '' : 's'} since ${DATE.format(episode.startedAt)} UTC`);
  if (event.type === 'closed' && event.acceptedAsNormal) parts.push('taken as the new normal after a day: the baseline now starts from it');
  else if (episode.acceptedAt !== undefined) parts.push(`taken as the new normal on ${DATE.format(episode.acceptedAt)} UTC, and still moving`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/** The anomaly record after a detector event; `existing` is what was stored for this episode. */
export function applyEvent(series: SeriesId, event: DetectorEvent, existing?: Anomaly): Anomaly {
  const { episode } = event;
  const anomaly: Anomaly = {
    id: existing?.id ?? anomalyId(series.key, episode.startedAt),
    seriesKey: series.key,
    metric: series.metric,
    direction: episode.direction,
    status: event.type === 'closed' ? 'closed' : 'open',
    startedAt: episode.startedAt,
    lastSeenAt: episode.lastSeenAt,
    firstSeverity: existing?.firstSeverity ?? episode.firstSeverity,
    severity: currentSeverity(episode),
    peakScore: episode.peakScore,
    points: episode.points,
    expected: episode.expected,
    observed: episode.observed,
    escalationLevel: escalationLevel(episode),
    description: describe(series, episode, event.type === 'closed') + course(event),
    recommendedAction: recommendedAction(series.metric, episode.direction, series),
  };
  if (episode.observedTrials !== undefined) anomaly.trials = episode.observedTrials;
  if (episode.observedSystem) anomaly.systemErrors = true;
  if (episode.forecast) anomaly.forecast = episode.forecast;
  // A slowdown's worst run or step, where that is not its latest (what a title tells a spike by).
  const worst = episode.worst;
  const duration = isDuration(series.metric);
  if (duration && worst && (worst.observed !== episode.observed || worst.expected !== episode.expected))
    anomaly.worst = { observed: worst.observed, expected: worst.expected };
  if (episode.silentSince !== undefined) anomaly.silentSince = episode.silentSince;
  if (episode.newError) {
    const { pattern, errorType, newErrors, runs } = episode.newError;
    anomaly.newError = { pattern, ...(errorType ? { errorType } : {}), newErrors, runs };
  }
  const detectedAt = episode.detectedAt ?? existing?.detectedAt;
  if (detectedAt !== undefined) anomaly.detectedAt = detectedAt;
  if (series.workflow) anomaly.workflow = series.workflow;
  if (series.step) anomaly.step = series.step;
  if (series.host) anomaly.host = series.host;
  if (series.robot) anomaly.robot = series.robot;
  if (existing?.incidentId) anomaly.incidentId = existing.incidentId;
  if (event.type === 'closed') anomaly.endedAt = event.endedAt;
  return anomaly;
}

/** How many times its expected value an anomaly's latest point is. */
export const slowdownRatio = (anomaly: Pick<Anomaly, 'observed' | 'expected'>): number => (anomaly.expected > 0 ? anomaly.observed / anomaly.expected : 1);

/** Names as people list them: the first `shown`, then how many more. */
export const listNames = (names: readonly string[], shown = 4): string =>
  names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;

/**
 * A workflow's slowdown from the judgements of its run and step durations since it began (`parts`,
 * one a series): one anomaly, led by the run's judgement unless it is one step's slowdown and
 * that step is markedly slower for its size (a step 2.5x slower says more than its run 1.2x
 * slower; else the most severe step), naming the others; open while any part is. Its id is the run series' and
 * `startedAt`'s, as an anomaly of the run alone had.
 */
export function composeSlowdown(key: string, startedAt: number, parts: readonly AnomalyPart[], previous?: Anomaly): Anomaly {
  const run = parts.find((p) => p.metric === 'run_duration');
  const steps = parts.filter((p) => p.metric === 'step_duration').sort((a, b) => b.severity - a.severity || b.peakScore - a.peakScore);
  // Many steps slower: the run is the story; one step much slower than its run: that step is.
  const lead = run && (steps.length !== 1 || slowdownRatio(run) >= 0.8 * slowdownRatio(steps[0])) ? run : steps[0];
  const others = parts.filter((p) => p !== lead).map((p) => (p.metric === 'run_duration' ? 'the run' : `'${p.step}'`));
  const open = parts.some((p) => p.status === 'open');
  const { id: _id, endedAt: _endedAt, ...fields } = lead;
  const anomaly: Anomaly = {
    ...fields,
    id: anomalyId(key, startedAt),
    seriesKey: key,
    status: open ? 'open' : 'closed',
    startedAt,
    lastSeenAt: Math.max(...parts.map((p) => p.lastSeenAt)),
    severity: Math.max(...parts.map((p) => p.severity)),
    firstSeverity: previous?.firstSeverity ?? lead.firstSeverity,
    peakScore: Math.max(...parts.map((p) => p.peakScore)),
    escalationLevel: Math.max(...parts.map((p) => p.escalationLevel)),
    description: others.length ? `${lead.description}; ${listNames(others)} slower too` : lead.description,
    parts: [...parts],
  };
  // Reported when the first of its parts was, or when it was before (a part's series that opened
  // again as a new episode replaces that part, not when the slowdown was first reported).
  const detected = [...parts.flatMap((p) => p.detectedAt ?? []), ...(previous?.detectedAt === undefined ? [] : [previous.detectedAt])];
  if (detected.length) anomaly.detectedAt = Math.min(...detected);
  else delete anomaly.detectedAt;
  if (steps.length) anomaly.steps = steps.map((p) => p.step!);
  if (!open) anomaly.endedAt = Math.max(...parts.map((p) => p.endedAt ?? p.lastSeenAt));
  if (previous?.incidentId) anomaly.incidentId = previous.incidentId;
  return anomaly;
}
