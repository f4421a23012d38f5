import type { AnnotationEvent, AnnotationType } from '@rpa-analytics/contract';
import type { Incident } from '@rpa-analytics/contract';
import type { StoreReader } from '../store/store';

export interface AnnotationFilter {
  type: AnnotationType;
  from: number;
  to: number;
  workflows?: string[];
  hosts?: string[];
  /** Severity band [minSeverity, maxSeverity): one annotation query per band keeps its colour. */
  minSeverity?: number;
  maxSeverity?: number;
  limit: number;
}

/**
 * The incidents of a range that hit any of `workflows` and any of `hosts` (no filter: all), for
 * the annotations and the incidents table. Few a day: filtered in memory.
 */
export function incidentsHitting(
  store: StoreReader,
  filter: { from: number; to: number; minSeverity?: number; limit?: number; workflows?: readonly string[]; hosts?: readonly string[] },
): Incident[] {
  const hits = (names: readonly string[], wanted: readonly string[] | undefined) => !wanted?.length || names.some((n) => wanted.includes(n));
  return store
    .listIncidents({ from: filter.from, to: filter.to, minSeverity: filter.minSeverity, limit: filter.limit })
    .filter((i) => hits(i.workflows, filter.workflows) && hits(i.hosts, filter.hosts));
}

const band = (severity: number) => (severity >= 0.7 ? 'high' : severity >= 0.5 ? 'medium' : 'low');

/** Events for Grafana's annotations: anomalies and incidents as regions, versions and fixes as points. */
export function annotationEvents(store: StoreReader, f: AnnotationFilter): AnnotationEvent[] {
  const inBand = (severity: number) => (f.minSeverity === undefined || severity >= f.minSeverity) && (f.maxSeverity === undefined || severity < f.maxSeverity);
  switch (f.type) {
    case 'anomalies':
      return store
        .listAnomalies({ from: f.from, to: f.to, workflows: f.workflows, hosts: f.hosts, minSeverity: f.minSeverity, limit: f.limit })
        .filter((a) => inBand(a.severity))
        .map((a) => ({
          time: a.startedAt,
          timeEnd: a.endedAt ?? Math.max(a.lastSeenAt, a.startedAt),
          title: `${a.metric.replace('_', ' ')} anomaly, severity ${a.severity.toFixed(2)}${a.status === 'open' ? ' (open)' : ''}`,
          text: `${a.description}\n${a.recommendedAction}`,
          tags: ['anomaly', a.metric, `severity:${band(a.severity)}`, ...(a.workflow ? [a.workflow] : []), ...(a.host ? [a.host] : [])],
        }));
    case 'incidents':
      return incidentsHitting(store, f)
        .filter((i) => inBand(i.severity))
        .map((i) => ({
          time: i.startedAt,
          timeEnd: i.endedAt ?? i.lastSeenAt,
          title: `Incident: ${i.title}`,
          text: `Severity ${i.severity.toFixed(2)}, ${i.status}. Workflows: ${i.workflows.join(', ') || 'none'}. Hosts: ${i.hosts.join(', ') || 'none'}.`,
          tags: ['incident', `severity:${band(i.severity)}`, ...i.workflows, ...i.hosts],
        }));
    case 'versions':
      return store
        .versionChanges({ workflows: f.workflows, from: f.from, to: f.to })
        .slice(0, f.limit)
        .map((v) => ({
          time: v.at,
          title: `${v.workflow} ${v.version}`,
          text: `First run of ${v.workflow} version ${v.version}`,
          tags: ['version', v.workflow, v.version],
        }));
    case 'insights':
      return store
        .listInsights({ status: 'implemented', workflows: f.workflows })
        .filter((i) => i.implementedAt !== undefined && i.implementedAt >= f.from && i.implementedAt < f.to)
        .slice(0, f.limit)
        .map((i) => ({
          time: i.implementedAt!,
          title: `Implemented: ${i.title}`,
          text: `${i.recommendation}${i.implementationNote ? `\nNote: ${i.implementationNote}` : ''}${i.measuredImpact ? `\nMeasured: ${i.measuredImpact.summary ?? `${i.measuredImpact.changePct.toFixed(1)}% (${i.measuredImpact.significant ? 'significant' : 'not significant'})`}` : ''}`,
          tags: ['insight', i.category, ...(i.workflow ? [i.workflow] : [])],
        }));
  }
}
