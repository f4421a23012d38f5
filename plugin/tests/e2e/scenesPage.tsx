import React from 'react';
import { createRoot } from 'react-dom/client';
import { createTheme, PanelPlugin, type PanelProps } from '@grafana/data';
import {
  dataLayers,
  EmbeddedScene,
  QueryVariable,
  SceneDataLayerSet,
  SceneFlexItem,
  SceneFlexLayout,
  SceneQueryRunner,
  SceneTimeRange,
  SceneVariableSet,
  VariableValueSelectors,
  VizPanel,
} from '@grafana/scenes';
import { GlobalStyles, ThemeContext, TimeSeries } from '@grafana/ui';
import { registerDataSource, registerPanels, useScenesTemplateSrv } from './scenesHost';

/**
 * A dashboard built with @grafana/scenes, the library Grafana's own dashboards run on, with the
 * plugin's DataSource registered in it; Grafana's server-side parts are played by the stand-ins
 * of `scenesHost`.
 */
declare global {
  interface Window {
    rpaScene: { scene: EmbeddedScene; variable: QueryVariable; runner: SceneQueryRunner };
  }
}

const params = new URLSearchParams(window.location.search);
const FROM = params.get('from')!;
const TO = params.get('to')!;

// The built plugin, loaded as Grafana loads it.
const ref = await registerDataSource('rpa');

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
        <TimeSeries
          frames={data.series}
          width={width}
          height={Math.max(120, height - 120)}
          timeRange={timeRange}
          timeZone={timeZone}
          legend={{ showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] } as never}
        >
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
registerPanels({ 'rpa-runs-panel': new PanelPlugin(RunsPanel).setDataSupport({ annotations: true, alertStates: false }) });

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

useScenesTemplateSrv(
  () => runner,
  () => [{ name: 'workflow', value: variable.state.value }],
);

window.rpaScene = { scene, variable, runner };

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={createTheme({ colors: { mode: 'dark' } })}>
    <GlobalStyles />
    <div style={{ padding: 16, height: 800 }}>
      <scene.Component model={scene} />
    </div>
  </ThemeContext.Provider>,
);
