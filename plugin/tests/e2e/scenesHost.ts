import {
  EventBusSrv,
  LoadingState,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceApi,
  type DataSourceInstanceSettings,
  type PanelData,
  type PanelPlugin,
} from '@grafana/data';
import { setAppEvents, setBackendSrv, setPluginImportUtils, setRunRequest, setTemplateSrv, type BackendSrv, type TemplateSrv } from '@grafana/runtime';
import { registerRuntimeDataSourceInstance } from '@grafana/runtime/unstable';
import { registerRuntimePanelPlugin, sceneGraph, type SceneObject } from '@grafana/scenes';
import { catchError, from, isObservable, map, of, startWith, type Observable } from 'rxjs';
import type { DataSource } from '../../src/datasource';
import type { RpaDataSourceOptions } from '../../src/types';
import { loadPlugin } from './loadPlugin';
import { FetchBackendSrv } from './pageStandIns';
import uplotCss from 'uplot/dist/uPlot.min.css';

/**
 * What Grafana's server-side parts and app shell give a @grafana/scenes dashboard, played by
 * small stand-ins in the test pages: the backend service (the test server plays the data source
 * proxy), runRequest (Grafana's is not published), the panel plugins the page registers, and the
 * built plugin loaded as Grafana loads it and registered as a data source instance.
 */

setBackendSrv(new FetchBackendSrv() as unknown as BackendSrv);
setAppEvents(new EventBusSrv());

// @grafana/ui's charts import uPlot's stylesheet for its side effect, which Grafana's build
// injects; this bundler gives it as text (its plot and legend overlapped without it).
const style = document.createElement('style');
style.textContent = uplotCss;
document.head.appendChild(style);

/** Grafana's runRequest is not published: this one runs the query and reports loading, data or error. */
setRunRequest((datasource: DataSourceApi, request: DataQueryRequest, queryFunction?: DataSourceApi['query']): Observable<PanelData> => {
  // Data sources answer with a Promise or an Observable (live queries and custom variable support do).
  const answer = (queryFunction ?? datasource.query).call(datasource, request) as Promise<DataQueryResponse> | Observable<DataQueryResponse>;
  return (isObservable(answer) ? answer : from(answer)).pipe(
    map((response) => ({
      state: response.state ?? LoadingState.Done,
      series: response.data as PanelData['series'],
      timeRange: request.range,
      request,
      ...(response.errors?.length ? { errors: response.errors } : {}),
    })),
    catchError((error: Error) => of({ state: LoadingState.Error, series: [], errors: [{ message: error.message }], timeRange: request.range, request })),
    startWith({ state: LoadingState.Loading, series: [], timeRange: request.range, request }),
  );
});

/** Panel plugins by id, for VizPanel (Grafana's own panels are not published). */
export function registerPanels(panels: Record<string, PanelPlugin>): void {
  for (const [id, plugin] of Object.entries(panels)) {
    plugin.meta = { id, name: id, type: 'panel', info: { logos: {} }, module: '', baseUrl: '' } as never;
    registerRuntimePanelPlugin({ pluginId: id, plugin });
  }
  setPluginImportUtils({
    importPanelPlugin: async (id: string) => {
      if (!panels[id]) throw new Error(`no panel plugin ${id}`);
      return panels[id];
    },
    getPanelPluginFromCache: (id: string) => panels[id],
  });
}

/** The built plugin's DataSource, registered under `uid` as Grafana's loader would; its ref for queries. */
export async function registerDataSource(uid: string): Promise<{ uid: string; type: string }> {
  const settings = {
    id: 1,
    uid,
    name: 'RPA Analytics',
    type: 'rpa-analytics-datasource',
    url: '/api/datasources/proxy/uid/rpa',
    access: 'proxy',
    jsonData: { collectorUrl: 'http://collector:5001' },
    meta: { id: 'rpa-analytics-datasource', info: { logos: {} } },
    readOnly: false,
  } as unknown as DataSourceInstanceSettings<RpaDataSourceOptions>;
  const plugin = await loadPlugin();
  const datasource = new (plugin.DataSourceClass as unknown as new (s: DataSourceInstanceSettings<RpaDataSourceOptions>) => DataSource)(settings);
  // A runtime registration reads the instance settings off the data source, as Grafana's loader sets them.
  Object.assign(datasource, { instanceSettings: settings });
  registerRuntimeDataSourceInstance({ dataSource: datasource as never });
  return { uid, type: 'rpa-analytics-datasource' };
}

/**
 * Grafana's template service is not published: this one is scenes' own interpolation, from
 * `scope`. Its variables are as Grafana's dashboards give them (`getVariablesCompatibility`): the
 * state's value, `$__all` for All, not the values All stands for.
 */
export function useScenesTemplateSrv(scope: () => SceneObject, variables: () => Array<{ name: string; value: unknown }>): void {
  setTemplateSrv({
    replace: (target?: string, scopedVars?: never, format?: never) => sceneGraph.interpolate(scope(), target, scopedVars, format),
    getVariables: () => variables().map((v) => ({ name: v.name, current: { value: v.value } })) as never,
    containsTemplate: (target?: string) => !!target && target.includes('$'),
    updateTimeRange: () => undefined,
  } as unknown as TemplateSrv);
}
