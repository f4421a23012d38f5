import React from 'react';
import { createRoot } from 'react-dom/client';
import { createTheme, FieldColorModeId, fieldReducers, FieldType, getDisplayProcessor, PanelPlugin, reduceField, type PanelProps } from '@grafana/data';
import {
  EmbeddedScene,
  QueryVariable,
  SceneGridItem,
  SceneGridLayout,
  SceneQueryRunner,
  SceneTimeRange,
  SceneVariableSet,
  VariableValueSelectors,
  VizPanel,
  type SceneVariable,
} from '@grafana/scenes';
import { BigValue, BigValueColorMode, BigValueGraphMode, GlobalStyles, Table, ThemeContext, TimeSeries } from '@grafana/ui';
import { registerDataSource, registerPanels, useScenesTemplateSrv } from './scenesHost';

/**
 * One provisioned dashboard (`provisioning/dashboards/rpa/<file>.json`, served by the test
 * server) as a @grafana/scenes dashboard: its variables as QueryVariables, its panels on a grid
 * at their gridPos with their queries, options and field config, drawn by @grafana/ui's
 * TimeSeries, Table and BigValue (Grafana's own panel plugins are not published: these stand-ins
 * use the same components). Annotations are left out: the scenes page tests them.
 */
const params = new URLSearchParams(window.location.search);
const theme = createTheme({ colors: { mode: 'dark' } });

interface DashboardJson {
  title: string;
  templating?: {
    list: Array<{
      name: string;
      label?: string;
      type: string;
      query: unknown;
      multi?: boolean;
      includeAll?: boolean;
      datasource: { uid: string; type: string };
    }>;
  };
  panels: Array<{
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    targets: unknown[];
    options?: Record<string, unknown>;
    fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  }>;
}

/** What each stand-in panel reports for the test: its state and how much it shows. */
function Reported({ data, shown, children }: { data: PanelProps['data']; shown: number; children: React.ReactNode }) {
  return (
    <div
      data-testid="panel-content"
      data-state={data.state}
      data-shown={shown}
      data-errors={(data.errors ?? []).map((e) => e.message).join('; ')}
      style={{ width: '100%', height: '100%' }}
    >
      {children}
    </div>
  );
}

/** Values a frame's number fields hold (not null): what a panel has to show. */
const valuesIn = (frames: PanelProps['data']['series']) =>
  frames.reduce(
    (n, f) =>
      n +
      f.fields.filter((field) => field.type === FieldType.number).reduce((m, field) => m + field.values.filter((v) => v !== null && v !== undefined).length, 0),
    0,
  );

function TimeSeriesPanel({ data, width, height, timeRange, timeZone, options }: PanelProps<{ legend?: object }>) {
  // Grafana gives each series its place in the panel, which picks its colour from the palette.
  let seriesIndex = 0;
  const frames = data.series
    .filter((f) => f.fields.some((field) => field.type === FieldType.time) && f.fields.some((field) => field.type === FieldType.number))
    .map((f) => ({
      ...f,
      fields: f.fields.map((field) => {
        if (field.type !== FieldType.number) return field;
        const colored = {
          ...field,
          config: { ...field.config, color: field.config.color ?? { mode: FieldColorModeId.PaletteClassic } },
          state: { ...field.state, seriesIndex: seriesIndex++ },
        };
        return { ...colored, display: getDisplayProcessor({ field: colored, theme }) };
      }),
    }));
  return (
    <Reported data={data} shown={valuesIn(frames)}>
      {frames.length > 0 && (
        <TimeSeries
          frames={frames}
          width={width}
          height={height}
          timeRange={timeRange}
          timeZone={timeZone}
          legend={{ showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [], ...(options.legend ?? {}) } as never}
        >
          {() => null}
        </TimeSeries>
      )}
    </Reported>
  );
}

function TablePanel({ data, width, height }: PanelProps) {
  const frame = data.series[0];
  return (
    <Reported data={data} shown={frame?.length ?? 0}>
      {frame && <Table data={frame} width={width} height={height} />}
    </Reported>
  );
}

/** One number from the panel's series (the calculation its reduceOptions name), as Grafana's stat panel shows it. */
function StatPanel({ data, width, height, options }: PanelProps<{ reduceOptions?: { calcs?: string[] } }>) {
  const calc = options.reduceOptions?.calcs?.[0] ?? 'lastNotNull';
  const fields = data.series.flatMap((f) => f.fields.filter((field) => field.type === FieldType.number));
  const field = fields[0];
  const value = field ? (reduceField({ field, reducers: [calc] })[calc] as number) : undefined;
  const display = field && value !== undefined ? (field.display ?? getDisplayProcessor({ field, theme }))(value) : undefined;
  return (
    <Reported data={data} shown={display ? 1 : 0}>
      {display && (
        <div data-testid="stat" style={{ width: '100%', height: '100%' }}>
          <BigValue
            theme={theme}
            value={{ ...display, title: fieldReducers.get(calc).name }}
            width={width}
            height={height}
            colorMode={BigValueColorMode.Value}
            graphMode={BigValueGraphMode.None}
          />
        </div>
      )}
    </Reported>
  );
}

registerPanels({
  timeseries: new PanelPlugin(TimeSeriesPanel),
  // The column widths and hidden columns the dashboards set (Grafana's table panel declares
  // them; overrides of properties a panel does not declare are dropped).
  table: new PanelPlugin(TablePanel).useFieldConfig({
    useCustomConfig: (builder) => {
      for (const path of ['width', 'hideFrom'])
        builder.addCustomEditor({ id: path, path, name: path, editor: () => null, override: () => null, process: (v: unknown) => v, shouldApply: () => true });
    },
  }),
  stat: new PanelPlugin(StatPanel),
});

const dashboard = (await (await fetch(`/dashboards/${params.get('dashboard')}.json`)).json()) as DashboardJson;
await registerDataSource('rpa-analytics');

const variables: SceneVariable[] = (dashboard.templating?.list ?? []).map(
  (v) =>
    new QueryVariable({
      name: v.name,
      label: v.label,
      datasource: v.datasource,
      query: v.query as never,
      isMulti: v.multi,
      includeAll: v.includeAll,
      defaultToAll: v.includeAll,
    }),
);

const panels = dashboard.panels.map(
  (p) =>
    new SceneGridItem({
      x: p.gridPos.x,
      y: p.gridPos.y,
      width: p.gridPos.w,
      height: p.gridPos.h,
      isDraggable: false,
      isResizable: false,
      body: new VizPanel({
        key: `panel-${p.id}`,
        title: p.title,
        pluginId: p.type,
        options: p.options ?? {},
        // Grafana's time series panel colours series from the classic palette by default.
        fieldConfig: {
          overrides: [],
          ...p.fieldConfig,
          defaults: { ...(p.type === 'timeseries' ? { color: { mode: 'palette-classic' } } : {}), ...p.fieldConfig?.defaults },
        } as never,
        $data: new SceneQueryRunner({
          datasource: { uid: 'rpa-analytics', type: 'rpa-analytics-datasource' },
          queries: p.targets as never,
          maxDataPoints: 500,
        }),
      }),
    }),
);

const scene = new EmbeddedScene({
  $timeRange: new SceneTimeRange({ from: params.get('from')!, to: params.get('to')!, timeZone: 'utc' }),
  $variables: new SceneVariableSet({ variables }),
  controls: [new VariableValueSelectors({})],
  body: new SceneGridLayout({ isDraggable: false, isLazy: false, children: panels }),
});

useScenesTemplateSrv(
  () => scene,
  () => variables.map((v) => ({ name: v.state.name, value: (v as QueryVariable).state.value })),
);

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    <GlobalStyles />
    <div data-testid="dashboard" data-title={dashboard.title} style={{ padding: 16 }}>
      <h1 style={{ fontSize: 20, margin: '0 0 12px' }}>{dashboard.title}</h1>
      <scene.Component model={scene} />
    </div>
  </ThemeContext.Provider>,
);
