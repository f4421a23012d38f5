import { createHash } from 'node:crypto';
import type { Anomaly, AnomalyMetric } from '../../domain/analysis';
import { recommendedAction } from './actions';
import type { SeriesId } from './seriesCatalog';
import { currentSeverity, type DetectorEvent, type Episode, escalationLevel } from './seriesDetector';

/** Same series, same start: same id, so a re-run of the analysis updates instead of duplicating. */
export function anomalyId(seriesKey: string, startedAt: number): string {
  return `an-${createHash('sha1').update(`${seriesKey}@${startedAt}`).digest('hex').slice(0, 16)}`;
}

const METRIC_LABEL: Record<AnomalyMetric, { name: string; unit: (v: number) => string }> = {
  run_duration: { name: 'run duration', unit: (v) => `${(v / 1000).toFixed(1)} s` },
  step_duration: { name: 'step duration', unit: (v) => `${(v / 1000).toFixed(1)} s` },
  failure_rate: { name: 'failure rate', unit: (v) => `${(100 * v).toFixed(1)}%` },
  volume: { name: 'runs per hour', unit: (v) => v.toFixed(1) },
  host_cpu: { name: 'CPU', unit: (v) => `${v.toFixed(0)}%` },
  host_memory: { name: 'memory use', unit: (v) => `${v.toFixed(0)}%` },
};

function subject(series: SeriesId): string {
  if (series.metric === 'step_duration') return `step '${series.step}' of ${series.workflow}`;
  return series.workflow ?? series.host ?? series.key;
}

export function describe(series: SeriesId, episode: Episode): string {
  const label = METRIC_LABEL[series.metric];
  // For failure rates the scorer's "expected" is the baseline rate; the observed value is a count.
  const observed = series.metric === 'failure_rate' ? 'failures above' : `${label.unit(episode.observed)} vs expected`;
  const expected = label.unit(episode.expected);
  return `${label.name} of ${subject(series)} is ${episode.direction === 'high' ? 'unusually high' : 'unusually low'}: ${observed} ${expected} (${episode.peakScore.toFixed(1)} robust SDs, ${episode.points} point${episode.points === 1 ? '' : 's'})`;
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
    description: describe(series, episode),
    recommendedAction: recommendedAction(series.metric, episode.direction, series),
  };
  if (series.workflow) anomaly.workflow = series.workflow;
  if (series.step) anomaly.step = series.step;
  if (series.host) anomaly.host = series.host;
  if (existing?.incidentId) anomaly.incidentId = existing.incidentId;
  if (event.type === 'closed') anomaly.endedAt = event.endedAt;
  return anomaly;
}
