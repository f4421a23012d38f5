import type { DataQuery, DataSourceJsonData } from '@grafana/schema';
import type { Aggregation, AnnotationType, GroupBy, Metric, QueryType, VariableKind } from '@rpa-analytics/contract/queryContract';

import { aggregationsFor } from '@rpa-analytics/contract/queryVocabulary';

export type { Aggregation, AnnotationType, GroupBy, Metric, QueryType, VariableKind };

/** Query types the plugin offers: the collector's, plus annotations (answered from /annotations). */
export type RpaQueryType = QueryType | 'annotations';

/** One panel query. Filters are lists so multi-value template variables fit. */
export interface RpaQuery extends DataQuery {
  queryType?: RpaQueryType;
  workflow?: string[];
  step?: string[];
  host?: string[];
  robot?: string[];
  status?: string[];
  errorType?: string[];
  metric?: Metric;
  aggregation?: Aggregation;
  groupBy?: GroupBy[];
  alias?: string;
  topN?: number;
  minSeverity?: number;
  maxSeverity?: number;
  annotationType?: AnnotationType;
  format?: 'table' | 'logs';
  live?: boolean;
  /** Executions queries: runs by id (a run's log, from a data link on its row). */
  execution?: string[];
}

export const DEFAULT_QUERY: Partial<RpaQuery> = {
  queryType: 'timeseries',
  metric: 'run_duration',
  aggregation: 'avg',
  groupBy: ['workflow'],
};

/** A template variable's query: which names to list, optionally within some workflows. */
export interface RpaVariableQuery extends DataQuery {
  kind: VariableKind;
  workflow?: string[];
}

/** A new template variable lists workflows, as its editor shows. */
export const DEFAULT_VARIABLE_QUERY: Partial<RpaVariableQuery> = { kind: 'workflows' };

/** A new annotation query marks anomalies. */
export const DEFAULT_ANNOTATION_QUERY: Partial<RpaQuery> = { queryType: 'annotations', annotationType: 'anomalies' };

/**
 * A variable query as stored, made whole: Grafana may hand over an empty string (a variable made
 * before it had an editor, or `metricFindQuery('')`) or a query without its kind (a new one).
 */
export function toVariableQuery(query: RpaVariableQuery | string | undefined): RpaVariableQuery {
  const stored = typeof query === 'object' && query !== null ? query : { refId: 'variable' };
  return { ...stored, kind: (stored as Partial<RpaVariableQuery>).kind ?? DEFAULT_VARIABLE_QUERY.kind } as RpaVariableQuery;
}

/** Settings stored in the data source's jsonData (visible to viewers: no secrets here). */
export interface RpaDataSourceOptions extends DataSourceJsonData {
  /** The collector's base URL, e.g. http://collector:5001 (the proxy route adds /api/v1). */
  collectorUrl?: string;
}

/** Stored encrypted by Grafana; only its proxy route reads it. */
export interface RpaSecureJsonData {
  apiToken?: string;
}

/** Which fields each query type uses: changing the type keeps these and drops the rest. */
export const FIELDS_BY_TYPE: Record<RpaQueryType, ReadonlyArray<keyof RpaQuery>> = {
  timeseries: ['workflow', 'step', 'host', 'robot', 'status', 'errorType', 'metric', 'aggregation', 'groupBy', 'alias', 'live'],
  resources: ['host', 'metric', 'aggregation', 'groupBy', 'alias', 'live'],
  stats: ['workflow', 'topN'],
  comparison: ['workflow', 'topN'],
  bottlenecks: ['workflow', 'step', 'topN'],
  degradation: ['workflow', 'topN'],
  trend: ['workflow', 'topN'],
  success: ['workflow', 'topN'],
  anomalies: ['workflow', 'host', 'minSeverity', 'topN'],
  incidents: ['workflow', 'host', 'minSeverity', 'topN'],
  insights: ['workflow', 'topN'],
  executions: ['workflow', 'host', 'robot', 'status', 'errorType', 'topN', 'format', 'live', 'execution'],
  annotations: ['annotationType', 'workflow', 'host', 'minSeverity', 'maxSeverity'],
};

const ALWAYS: ReadonlyArray<keyof RpaQuery> = ['refId', 'hide', 'key', 'datasource', 'queryType'];

/** The query with a new type: the fields the new type also uses are kept, the others dropped. */
export function changeQueryType(query: RpaQuery, queryType: RpaQueryType): RpaQuery {
  const keep = new Set<keyof RpaQuery>([...ALWAYS, ...FIELDS_BY_TYPE[queryType]]);
  const next: RpaQuery = { refId: query.refId };
  for (const [key, value] of Object.entries(query) as Array<[keyof RpaQuery, unknown]>) {
    if (keep.has(key) && value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  next.queryType = queryType;
  if ((queryType === 'timeseries' || queryType === 'resources') && !next.metric) next.metric = queryType === 'resources' ? 'host_cpu' : 'run_duration';
  if (queryType === 'resources' && next.metric && !next.metric.startsWith('host_') && !['disk_read', 'disk_write', 'net_rx', 'net_tx'].includes(next.metric))
    next.metric = 'host_cpu';
  if (queryType === 'annotations' && !next.annotationType) next.annotationType = 'anomalies';
  return next;
}

/** The query with another metric: an aggregation the new metric does not take goes back to its default. */
export function withMetric(query: RpaQuery, metric: NonNullable<RpaQuery['metric']>): RpaQuery {
  const next = { ...query, metric };
  if (next.aggregation !== undefined && !aggregationsFor(metric).includes(next.aggregation)) next.aggregation = aggregationsFor(metric)[0];
  return next;
}
