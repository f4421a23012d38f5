import type { DataQueryRequest, DataQueryResponse, DataSourceInstanceSettings, ScopedVars, TypedVariableModel } from '@grafana/data';
import type { RpaDataSourceOptions } from '../src/types';
import type { DataQuery } from '@grafana/schema';
import type { BackendSrv, BackendSrvRequest, FetchResponse, TemplateSrv } from '@grafana/runtime';
import { firstValueFrom, isObservable, Observable } from 'rxjs';
import { httpRequest } from './collectorProcess';

/**
 * Stand-ins for the two services of Grafana's server-backed frontend that cannot run here
 * (no Grafana server): the backend service with its data source proxy, and the template
 * service. The proxy stand-in does what plugin.json's route tells Grafana to do: requests to
 * `<instance url>/collector/...` go to `<collectorUrl>/api/v1/...` with the token added;
 * an unreachable upstream is a 502, as Grafana's proxy answers.
 */
export class ProxyBackendSrv {
  /** Every request the plugin sent, as the collector received it. */
  readonly sent: Array<{ method: string; url: string; body?: unknown }> = [];
  /** Requests sent and not yet answered or cancelled, by path (`/query/changes`), and the most there were at once. */
  readonly inFlight = new Map<string, number>();
  readonly mostInFlight = new Map<string, number>();
  /** What happened, in order: each request made to wait (the queue full), leaving the queue and coming back, by path. */
  readonly events: Array<{ type: 'queued' | 'sent' | 'done'; path: string }> = [];
  private active = 0;
  private readonly queue: Array<() => void> = [];

  /**
   * @param fetchQueue how many requests run at once, the rest waiting in order: Grafana's fetch
   *   queue runs 5 data requests at once over HTTP/1.1, for every panel of a page (unlimited when
   *   left out)
   */
  constructor(
    private readonly instanceUrl: string,
    private readonly jsonData: { collectorUrl?: string },
    private readonly secureJsonData: { apiToken?: string },
    private readonly fetchQueue = Infinity,
  ) {}

  /** As Grafana's: unsubscribing cancels the request in flight, or takes it out of the queue. */
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      const path = new URL(options.url, 'http://stand-in').pathname.replace(/^.*\/collector/, '');
      let started = false;
      let done = false;
      // Answered, failed or cancelled: its place in the queue is free at once.
      const finish = () => {
        if (done || !started) return;
        done = true;
        this.active--;
        this.inFlight.set(path, this.inFlight.get(path)! - 1);
        this.events.push({ type: 'done', path });
        this.next();
      };
      const run = () => {
        started = true;
        this.active++;
        this.inFlight.set(path, (this.inFlight.get(path) ?? 0) + 1);
        this.mostInFlight.set(path, Math.max(this.mostInFlight.get(path) ?? 0, this.inFlight.get(path)!));
        this.events.push({ type: 'sent', path });
        this.forward<T>(options, controller.signal).then(
          (response) => (finish(), subscriber.next(response), subscriber.complete()),
          (error) => (finish(), subscriber.error(error)),
        );
      };
      if (this.active < this.fetchQueue) run();
      else {
        this.events.push({ type: 'queued', path });
        this.queue.push(run);
      }
      return () => {
        controller.abort();
        if (started) finish();
        else this.queue.splice(this.queue.indexOf(run), 1);
      };
    });
  }

  private next(): void {
    while (this.active < this.fetchQueue && this.queue.length) this.queue.shift()!();
  }

  private async forward<T>(options: BackendSrvRequest, signal: AbortSignal): Promise<FetchResponse<T>> {
    const prefix = `${this.instanceUrl}/collector`;
    if (!options.url.startsWith(prefix)) throw { status: 404, statusText: 'Not Found', data: { message: 'no such data source route' } };
    const url = `${this.jsonData.collectorUrl}/api/v1${options.url.slice(prefix.length)}`;
    const method = options.method ?? 'GET';
    this.sent.push({ method, url, body: options.data });
    let answer;
    try {
      answer = await httpRequest(method, url, { authorization: `Bearer ${this.secureJsonData.apiToken ?? ''}` }, options.data, signal);
    } catch (error) {
      throw { status: 502, statusText: 'Bad Gateway', data: { message: `proxy error: ${(error as Error).message}` } };
    }
    const response = {
      data: answer.body as T,
      status: answer.status,
      statusText: String(answer.status),
      ok: answer.status < 300,
      headers: new Headers(),
      redirected: false,
      type: 'basic',
      url,
      config: options,
    } as FetchResponse<T>;
    if (answer.status >= 300) throw { status: answer.status, statusText: String(answer.status), data: answer.body, config: options };
    return response;
  }
}

export function asBackendSrv(proxy: ProxyBackendSrv): BackendSrv {
  return proxy as unknown as BackendSrv;
}

type Variable = { name: string; value: string | string[] };

/** Grafana's variable syntaxes ($var, ${var}, ${var:format}, [[var]]) over a fixed set of variables. */
export class StandInTemplateSrv implements Partial<TemplateSrv> {
  constructor(private variables: Variable[] = []) {}

  setVariables(variables: Variable[]): void {
    this.variables = variables;
  }

  getVariables(): TypedVariableModel[] {
    return this.variables.map((v) => ({ name: v.name, current: { value: v.value, text: v.value } }) as unknown as TypedVariableModel);
  }

  /** As Grafana's: a format written in the reference (`${name:csv}`) wins over the one passed. */
  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) return '';
    return target.replace(/\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]/g, (whole, a, b, written, c) => {
      const name = a ?? b ?? c;
      const scoped = scopedVars?.[name]?.value;
      const value = scoped ?? this.variables.find((v) => v.name === name)?.value;
      if (value === undefined) return whole;
      const list = Array.isArray(value) ? value : [String(value)];
      if (written === 'pipe') return list.join('|');
      if (written) return list.join(',');
      if (typeof format === 'function') return format(value);
      return list.join(',');
    });
  }

  containsTemplate(target?: string): boolean {
    return !!target && /\$\w+|\$\{\w+/.test(target);
  }

  updateTimeRange(): void {}
}

/** The answer of a query that is not live (the DataSource returns a promise for those). */
export async function queryOnce<Q extends DataQuery>(
  ds: { query(request: DataQueryRequest<Q>): Promise<DataQueryResponse> | Observable<DataQueryResponse> },
  request: DataQueryRequest<Q>,
): Promise<DataQueryResponse> {
  const answer = ds.query(request);
  if (isObservable(answer)) throw new Error('expected a one-time answer, got a live stream');
  return answer;
}

/** A query's first answer: the one-time answer, or a live stream's first emission (its range's rows), the stream then closed. */
export async function firstAnswer<Q extends DataQuery>(
  ds: { query(request: DataQueryRequest<Q>): Promise<DataQueryResponse> | Observable<DataQueryResponse> },
  request: DataQueryRequest<Q>,
): Promise<DataQueryResponse> {
  const answer = ds.query(request);
  return isObservable(answer) ? firstValueFrom(answer) : answer;
}

/** The data source's settings as Grafana hands them to the plugin, provisioned like ours (uid rpa-analytics). */
export function dataSourceSettings(collectorUrl: string): DataSourceInstanceSettings<RpaDataSourceOptions> {
  return {
    id: 1,
    uid: 'rpa-analytics',
    name: 'RPA Analytics',
    type: 'rpa-analytics-datasource',
    url: '/api/datasources/proxy/uid/rpa-analytics',
    access: 'proxy',
    readOnly: false,
    jsonData: { collectorUrl },
    meta: { id: 'rpa-analytics-datasource' } as never,
  } as DataSourceInstanceSettings<RpaDataSourceOptions>;
}
