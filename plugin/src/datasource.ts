import {
  CustomVariableSupport,
  DataSourceApi,
  FieldType,
  toDataFrame,
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
  type TimeRange,
} from '@grafana/data';
import { getBackendSrv, getTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { lastValueFrom, from, map, merge, type Observable } from 'rxjs';
import type { AnnotationEvent, HealthResponse, QueryResponse, VariableOption } from '@rpa-analytics/contract/queryContract';
import { describeFailure, invalidFields } from './collectorErrors';
import { CollectorRequestError, isLive, LiveFeed, liveQuery } from './live';
import { interpolateQuery, interpolateVariableQuery } from './interpolate';
import { withRunLogLinks } from './runLinks';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import {
  DEFAULT_ANNOTATION_QUERY,
  DEFAULT_QUERY,
  DEFAULT_VARIABLE_QUERY,
  type RpaDataSourceOptions,
  type RpaQuery,
  type RpaVariableQuery,
  toVariableQuery,
} from './types';

/** The proxy route in plugin.json: Grafana adds the token and forwards to `<collectorUrl>/api/v1`. */
export const ROUTE = 'collector';

/** Template variables with their own editor, answered by the collector's variables API. */
class RpaVariableSupport extends CustomVariableSupport<DataSource, RpaVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  /** What a new variable starts with (typed as the panel query by @grafana/data; the variable's query in Grafana). */
  override getDefaultQuery(): Partial<RpaQuery> {
    return DEFAULT_VARIABLE_QUERY as unknown as Partial<RpaQuery>;
  }

  query(request: DataQueryRequest<RpaVariableQuery>): Observable<DataQueryResponse> {
    const [query] = request.targets;
    return from(this.datasource.metricFindQuery(query, { scopedVars: request.scopedVars, range: request.range })).pipe(
      map((values) => ({
        data: [
          toDataFrame({
            fields: [
              { name: 'text', type: FieldType.string, values: values.map((v) => v.text) },
              { name: 'value', type: FieldType.string, values: values.map((v) => v.value) },
            ],
          }),
        ],
      })),
    );
  }
}

export class DataSource extends DataSourceApi<RpaQuery, RpaDataSourceOptions> {
  readonly baseUrl: string;
  readonly collectorUrl?: string;
  /** The change feed its live queries share, made with the first of them. */
  private liveFeed?: LiveFeed;

  constructor(instanceSettings: DataSourceInstanceSettings<RpaDataSourceOptions>) {
    super(instanceSettings);
    this.baseUrl = `${instanceSettings.url ?? ''}/${ROUTE}`;
    this.collectorUrl = instanceSettings.jsonData.collectorUrl;
    // Annotation queries use the query editor and come through query(), as frames with
    // time, timeEnd, title, text and tags. A new one marks anomalies; one stored without a type
    // (from before it had one) is an annotation query, not a time series.
    this.annotations = {
      getDefaultQuery: () => DEFAULT_ANNOTATION_QUERY,
      prepareQuery: (annotation) => {
        const target = annotation.target;
        if (!target) return { refId: 'Anno', ...DEFAULT_ANNOTATION_QUERY } as RpaQuery;
        return target.queryType ? target : { ...target, ...DEFAULT_ANNOTATION_QUERY };
      },
    };
    this.variables = new RpaVariableSupport(this);
  }

  private get templateSrv(): TemplateSrv {
    return getTemplateSrv();
  }

  override getDefaultQuery(): Partial<RpaQuery> {
    return DEFAULT_QUERY;
  }

  override filterQuery(query: RpaQuery): boolean {
    return !query.hide;
  }

  applyTemplateVariables(query: RpaQuery, scopedVars: ScopedVars): RpaQuery {
    return interpolateQuery(this.templateSrv, query, scopedVars);
  }

  /**
   * Panel data: a promise, or with a query's Live switch on, an Observable that keeps emitting
   * (state Streaming) until the panel unsubscribes.
   */
  query(request: DataQueryRequest<RpaQuery>): Promise<DataQueryResponse> | Observable<DataQueryResponse> {
    // A query without a type is a new one: it gets the defaults, as getDefaultQuery gives the editor.
    const targets = request.targets
      .filter((t) => !t.hide)
      .map((t) => this.applyTemplateVariables(t.queryType ? t : { ...DEFAULT_QUERY, ...t }, request.scopedVars));
    const live = targets.filter(isLive);
    if (live.length === 0) return this.queryOnce(targets, request);
    const rest = targets.filter((t) => !isLive(t));
    const range = { from: request.range.from.valueOf(), to: request.range.to.valueOf(), followsNow: request.range.raw?.to === 'now' };
    // One change feed for every live query of this data source, whichever panel: one request held open, not one a panel.
    this.liveFeed ??= new LiveFeed({
      call: <T>(method: 'GET' | 'POST', path: string, data: unknown, signal: AbortSignal) => this.cancellableRequest<T>(method, path, data, signal),
    });
    const streams = live.map((t) =>
      liveQuery(t, toWireTarget(t), this.liveFeed!, {
        range,
        intervalMs: request.intervalMs || undefined,
        maxDataPoints: request.maxDataPoints || undefined,
      }).pipe(map((response) => ({ ...response, data: response.data.map((frame: DataFrame) => withRunLogLinks(frame, this)) }))),
    );
    const once = rest.length ? [from(this.queryOnce(rest, request)).pipe(map((r) => ({ ...r, key: 'rpa-once' })))] : [];
    return merge(...once, ...streams);
  }

  private async queryOnce(targets: RpaQuery[], request: DataQueryRequest<RpaQuery>): Promise<DataQueryResponse> {
    const annotationTargets = targets.filter((t) => t.queryType === 'annotations');
    const panelTargets = targets.filter((t) => t.queryType !== 'annotations');
    const data: DataFrame[] = [];
    const errors: DataQueryError[] = [];
    // One request for the panel; a query the collector rejects gets its error, and the others are
    // asked again without it (one more request per bad query), so they are still drawn.
    let pending = panelTargets;
    while (pending.length) {
      try {
        const response = await this.request<QueryResponse>('POST', '/query', {
          range: { from: request.range.from.valueOf(), to: request.range.to.valueOf() },
          // Some callers leave these 0: the collector then picks from the range alone.
          intervalMs: request.intervalMs || undefined,
          maxDataPoints: request.maxDataPoints || undefined,
          targets: pending.map(toWireTarget),
        });
        for (const target of pending) {
          // The collector's frames are Grafana's shape already; run ids link to the run's log.
          for (const frame of response.results[target.refId]?.frames ?? []) data.push(withRunLogLinks(toDataFrame(frame), this));
        }
        break;
      } catch (error) {
        const bad = rejectedTargets(error, pending);
        if (bad.length === 0) throw error;
        for (const target of bad) errors.push({ refId: target.refId, message: (error as Error).message, status: 400 });
        pending = pending.filter((t) => !bad.includes(t));
      }
    }
    for (const target of annotationTargets) data.push(await this.annotationFrame(target, request.range));
    return errors.length ? { data, errors } : { data };
  }

  /** Anomalies, incidents, versions or implemented insights as an annotation frame. */
  async annotationFrame(target: RpaQuery, range: TimeRange): Promise<DataFrame> {
    const params = new URLSearchParams({ type: target.annotationType ?? 'anomalies', from: String(range.from.valueOf()), to: String(range.to.valueOf()) });
    for (const w of target.workflow ?? []) params.append('workflow', w);
    for (const h of target.host ?? []) params.append('host', h);
    if (target.minSeverity !== undefined) params.set('minSeverity', String(target.minSeverity));
    if (target.maxSeverity !== undefined) params.set('maxSeverity', String(target.maxSeverity));
    const events = await this.request<AnnotationEvent[]>('GET', `/annotations?${params}`);
    return toDataFrame({
      refId: target.refId,
      name: `${target.annotationType ?? 'anomalies'}`,
      fields: [
        { name: 'time', type: FieldType.time, values: events.map((e) => e.time) },
        { name: 'timeEnd', type: FieldType.time, values: events.map((e) => e.timeEnd ?? e.time) },
        { name: 'title', type: FieldType.string, values: events.map((e) => e.title) },
        { name: 'text', type: FieldType.string, values: events.map((e) => e.text) },
        { name: 'tags', type: FieldType.other, values: events.map((e) => e.tags) },
      ],
    });
  }

  override async metricFindQuery(query: RpaVariableQuery, options?: { scopedVars?: ScopedVars; range?: TimeRange }): Promise<MetricFindValue[]> {
    const q = interpolateVariableQuery(this.templateSrv, toVariableQuery(query), options?.scopedVars);
    return this.variableOptions(q.kind, q.workflow);
  }

  /** Names for pickers and template variables, e.g. the steps of some workflows. */
  async variableOptions(kind: RpaVariableQuery['kind'], workflows?: string[]): Promise<VariableOption[]> {
    const params = new URLSearchParams();
    for (const w of workflows ?? []) params.append('workflow', w);
    const suffix = params.toString() ? `?${params}` : '';
    return this.request<VariableOption[]>('GET', `/variables/${kind}${suffix}`);
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    try {
      const health = await this.request<HealthResponse>('GET', '/health');
      if (health.status !== 'ok' || !health.database.ok) {
        return { status: 'error', message: `The collector answers, but its database does not: ${health.database.error ?? 'unknown error'}` };
      }
      // The health check is open to all; this cheap read proves the token has the read scope.
      await this.request<VariableOption[]>('GET', '/variables/statuses');
      return { status: 'success', message: `Connected to RPA Analytics collector ${health.version}. ${freshness(health)}` };
    } catch (error) {
      return { status: 'error', message: (error as Error).message };
    }
  }

  /** One request through the proxy route; failures become errors with a message to show. */
  async request<T>(method: 'GET' | 'POST', path: string, data?: unknown): Promise<T> {
    try {
      const response = await lastValueFrom(getBackendSrv().fetch<T>({ url: `${this.baseUrl}${path}`, method, data, showErrorAlert: false }));
      return response.data;
    } catch (error) {
      throw new CollectorRequestError(describeFailure(error, this.collectorUrl), (error as { status?: number })?.status, invalidFields(error));
    }
  }

  /** As `request`, cancelled (the request in flight unsubscribed) when `signal` aborts; then it never settles. */
  cancellableRequest<T>(method: 'GET' | 'POST', path: string, data: unknown, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const subscription = getBackendSrv()
        .fetch<T>({ url: `${this.baseUrl}${path}`, method, data, showErrorAlert: false, hideFromInspector: true })
        .subscribe({
          next: (response) => resolve(response.data),
          error: (error) => reject(new CollectorRequestError(describeFailure(error, this.collectorUrl), (error as { status?: number })?.status)),
        });
      signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
    });
  }
}

/** The queries a 400 from the collector names (`targets[i]...` in its details); none for any other failure. */
function rejectedTargets(error: unknown, sent: readonly RpaQuery[]): RpaQuery[] {
  if (!(error instanceof CollectorRequestError) || error.status !== 400) return [];
  const indexes = new Set(
    error.fields
      .map((f) => /^targets(?:\[|\.)(\d+)/.exec(f)?.[1])
      .filter((i): i is string => i !== undefined)
      .map(Number),
  );
  return sent.filter((_, i) => indexes.has(i));
}

function toWireTarget(query: RpaQuery) {
  const { datasource: _datasource, key: _key, maxSeverity: _max, annotationType: _type, ...target } = query;
  return target;
}

function freshness(health: HealthResponse): string {
  const last = health.database.lastExecutionAt;
  if (last === undefined) return 'No executions recorded yet.';
  const minutes = Math.max(0, Math.round((Date.now() - last) / 60_000));
  const age =
    minutes < 60 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : minutes < 2880 ? `${Math.round(minutes / 60)} hours` : `${Math.round(minutes / 1440)} days`;
  return `${health.database.executions ?? 0} executions; the latest started ${age} ago.`;
}
