import React from 'react';
import { createRoot } from 'react-dom/client';
import {
  createTheme,
  EventBusSrv,
  LoadingState,
  PanelPlugin,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceApi,
  type DataSourceInstanceSettings,
  type PanelData,
  type PanelProps,
} from '@grafana/data';
import { setAppEvents, setBackendSrv, setPluginImportUtils, setRunRequest, setTemplateSrv, type BackendSrv, type TemplateSrv } from '@grafana/runtime';
import { registerRuntimeDataSourceInstance } from '@grafana/runtime/unstable';
import {
  dataLayers,
  EmbeddedScene,
  QueryVariable,
  registerRuntimePanelPlugin,
  SceneDataLayerSet,
  SceneFlexItem,
  SceneFlexLayout,
  sceneGraph,
  SceneQueryRunner,
  SceneTimeRange,
  SceneVariableSet,
  VariableValueSelectors,
  VizPanel,
  type SceneObject,
} from '@grafana/scenes';
import { GlobalStyles, ThemeContext, TimeSeries } from '@grafana/ui';
import { catchError, from, isObservable, map, of, startWith, type Observable } from 'rxjs';
import type { DataSource } from '../../src/datasource';
import type { RpaDataSourceOptions } from '../../src/types';
import { loadPlugin } from './loadPlugin';
import { FetchBackendSrv } from './pageStandIns';

/**
 * A dashboard built with @grafana/scenes, the library Grafana's own dashboards run on, with the
 * plugin's DataSource registered in it. Grafana's server-side parts are played by small stand-ins:
 * the backend service (the test server plays the data source proxy), runRequest (Grafana's is
 * not published), the template service (delegating to scenes' own interpolation).
 */
declare global {
  interface Window {
    rpaScene: { scene: EmbeddedScene; variable: QueryVariable; runner: SceneQueryRunner };
  }
}

const params = new URLSearchParams(window.location.search);
const FROM = params.get('from')!;
const TO = params.get('to')!;

setBackendSrv(new FetchBackendSrv() as unknown as BackendSrv);
setAppEvents(new EventBusSrv());

/** Grafana's runRequest is not published: this one runs the query and reports loading, data or error. */
setRunRequest((datasource: DataSourceApi, request: DataQueryRequest, queryFunction?: DataSourceApi['query']): Observable<PanelData> => {
  // Data sources answer with a Promise or an Observable (custom variable support does).
  const answer = (queryFunction ?? datasource.query).call(datasource, request) as Promise<DataQueryResponse> | Observable<DataQueryResponse>;
  return (isObservable(answer) ? answer : from(answer)).pipe(
    map((response) => ({ state: LoadingState.Done, series: response.data as PanelData['series'], timeRange: request.range, request })),
    catchError((error: Error) => of({ state: LoadingState.Error, series: [], errors: [{ message: error.message }], timeRange: request.range, request })),
    startWith({ state: LoadingState.Loading, series: [], timeRange: request.range, request }),
  );
});

const settings = {
  id: 1, uid: 'rpa', name: 'RPA Analytics', type: 'rpa-analytics-datasource', url: '/api/datasources/proxy/uid/rpa', access: 'proxy',
  jsonData: { collectorUrl: 'http://collector:5001' }, meta: { id: 'rpa-analytics-datasource', info: { logos: {} } }, readOnly: false,
} as unknown as DataSourceInstanceSettings<RpaDataSourceOptions>;
// The built plugin, loaded as Grafana loads it.
const plugin = await loadPlugin();
const datasource = new (plugin.DataSourceClass as unknown as new (s: DataSourceInstanceSettings<RpaDataSourceOptions>) => DataSource)(settings);
// A runtime registration reads the instance settings off the data source, as Grafana's loader sets them.
Object.assign(datasource, { instanceSettings: settings });
registerRuntimeDataSourceInstance({ dataSource: datasource as never });
const ref = { uid: 'rpa', type: 'rpa-analytics-datasource' };

/** The real time series panel is not published: this one draws @grafana/ui's TimeSeries and lists the annotation regions it gets. */
function RunsPanel({ data, width, height, timeRange, timeZone }: PanelProps) {
  const regions = (data.annotations ?? []).flatMap((frame) => {
    const time = frame.fields.find((f) => f.name === 'time')?.values ?? [];
    const timeEnd = frame.fields.find((f) => f.name === 'timeEnd')?.values ?? [];
    const title = frame.fields.find((f) => f.name === 'title')?.values ?? [];
    return time.map((t: number, i: number) => ({ time: t, timeEnd: timeEnd[i] as number, title: title[i] as string }));
  });
  return (
    <div data-testid="runs-panel" data-series={data.series.length} data-state={data.state}>
      <div data-testid="series-names">{data.series.map((s) => s.fields[1]?.labels?.workflow).join('|')}</div>
      {data.series.length > 0 && (
        <TimeSeries frames={data.series} width={width} height={Math.max(120, height - 120)} timeRange={timeRange} timeZone={timeZone} legend={{ showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] } as never}>
          {() => null}
        </TimeSeries>
      )}
      <ul data-testid="annotation-regions">
        {regions.map((r, i) => (
          <li key={i} data-time={r.time} data-time-end={r.timeEnd}>
            {new Date(r.time).toISOString()} to {new Date(r.timeEnd).toISOString()}: {r.title}
          </li>
        ))}
      </ul>
    </div>
  );
}
// VizPanel hands a panel annotations only when the panel plugin says it shows them.
const panelPlugin = new PanelPlugin(RunsPanel).setDataSupport({ annotations: true, alertStates: false });
panelPlugin.meta = { id: 'rpa-runs-panel', name: 'Runs', type: 'panel', info: { logos: {} }, module: '', baseUrl: '' } as never;
registerRuntimePanelPlugin({ pluginId: 'rpa-runs-panel', plugin: panelPlugin });
setPluginImportUtils({
  importPanelPlugin: async (id: string) => {
    if (id !== 'rpa-runs-panel') throw new Error(`no panel plugin ${id}`);
    return panelPlugin;
  },
  getPanelPluginFromCache: (id: string) => (id === 'rpa-runs-panel' ? panelPlugin : undefined),
});

const variable = new QueryVariable({
  name: 'workflow',
  label: 'Workflow',
  datasource: ref,
  query: { refId: 'variable', kind: 'workflows' } as never,
  isMulti: true,
  includeAll: true,
  defaultToAll: true,
});

const runner = new SceneQueryRunner({
  datasource: ref,
  queries: [{ refId: 'A', queryType: 'timeseries', metric: 'runs', groupBy: ['workflow'], workflow: ['$workflow'] } as never],
  maxDataPoints: 200,
});

const scene = new EmbeddedScene({
  $timeRange: new SceneTimeRange({ from: FROM, to: TO, timeZone: 'utc' }),
  $variables: new SceneVariableSet({ variables: [variable] }),
  $data: new SceneDataLayerSet({
    layers: [
      new dataLayers.AnnotationsDataLayer({
        name: 'Anomalies (severity 0.7 and up)',
        isEnabled: true,
        query: {
          name: 'Anomalies (severity 0.7 and up)',
          enable: true,
          iconColor: 'red',
          datasource: ref,
          target: { refId: 'Anno', queryType: 'annotations', annotationType: 'anomalies', minSeverity: 0.7 } as never,
        },
      }),
    ],
  }),
  controls: [new VariableValueSelectors({})],
  body: new SceneFlexLayout({
    direction: 'column',
    children: [new SceneFlexItem({ minHeight: 500, body: new VizPanel({ title: 'Runs per workflow', pluginId: 'rpa-runs-panel', $data: runner }) })],
  }),
});

/**
 * Grafana's template service is not published: this one is scenes' own interpolation. Its
 * variables are as Grafana's dashboards give them (`getVariablesCompatibility`): the state's
 * value, `$__all` for All, not the values All stands for.
 */
setTemplateSrv({
  replace: (target?: string, scopedVars?: never, format?: never) => sceneGraph.interpolate(runner as SceneObject, target, scopedVars, format),
  getVariables: () => [{ name: 'workflow', current: { value: variable.state.value } }] as never,
  containsTemplate: (target?: string) => !!target && target.includes('$'),
  updateTimeRange: () => undefined,
} as unknown as TemplateSrv);

window.rpaScene = { scene, variable, runner };

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={createTheme({ colors: { mode: 'dark' } })}>
    <GlobalStyles />
    <div style={{ padding: 16, height: 800 }}>
      <scene.Component model={scene} />
    </div>
  </ThemeContext.Provider>,
);
