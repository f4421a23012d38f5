import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createTheme, type DataSourceInstanceSettings, type DataSourceSettings } from '@grafana/data';
import { setBackendSrv, setTemplateSrv, type BackendSrv, type TemplateSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import type { DataSource } from '../../src/datasource';
import type { RpaDataSourceOptions, RpaQuery, RpaVariableQuery } from '../../src/types';
import { loadPlugin } from './loadPlugin';
import { FetchBackendSrv, PageTemplateSrv } from './pageStandIns';

/**
 * A page with the plugin's three editors, rendered by the real @grafana/ui in the browser. The
 * data source proxy of Grafana's server is played by the test's HTTP server (same origin).
 * Every change an editor reports is kept in window.rpaEditors for the test to read.
 */
declare global {
  interface Window {
    rpaEditors: { query: RpaQuery[]; config: Array<DataSourceSettings<RpaDataSourceOptions>>; variable: RpaVariableQuery[] };
  }
}
window.rpaEditors = { query: [], config: [], variable: [] };

setBackendSrv(new FetchBackendSrv() as unknown as BackendSrv);
setTemplateSrv(
  new PageTemplateSrv([
    { name: 'workflow', value: ['$__all'] },
    { name: 'host', value: 'rpa-vm-01' },
  ]) as unknown as TemplateSrv,
);

const settings = {
  id: 1,
  uid: 'rpa',
  name: 'RPA Analytics',
  type: 'rpa-analytics-datasource',
  url: '/api/datasources/proxy/uid/rpa',
  access: 'proxy',
  jsonData: { collectorUrl: 'http://collector:5001' },
  meta: { id: 'rpa-analytics-datasource' },
  readOnly: false,
} as unknown as DataSourceInstanceSettings<RpaDataSourceOptions>;
// The built plugin, loaded as Grafana loads it: its data source class and editors.
const plugin = await loadPlugin();
const datasource = new (plugin.DataSourceClass as unknown as new (s: DataSourceInstanceSettings<RpaDataSourceOptions>) => DataSource)(settings);
const ConfigEditor = plugin.components.ConfigEditor as unknown as React.ComponentType<{
  options: DataSourceSettings<RpaDataSourceOptions>;
  onOptionsChange: (next: DataSourceSettings<RpaDataSourceOptions>) => void;
}>;
const QueryEditor = plugin.components.QueryEditor as unknown as React.ComponentType<{
  datasource: DataSource;
  query: RpaQuery;
  onRunQuery: () => void;
  onChange: (next: RpaQuery) => void;
}>;
const VariableQueryEditor = (datasource.variables as unknown as { editor: unknown }).editor as React.ComponentType<{
  datasource: DataSource;
  query: RpaVariableQuery;
  onChange: (next: RpaVariableQuery) => void;
}>;

function Editors() {
  const [query, setQuery] = useState<RpaQuery>({ refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'] });
  const [config, setConfig] = useState<DataSourceSettings<RpaDataSourceOptions>>({
    ...(settings as unknown as DataSourceSettings<RpaDataSourceOptions>),
    jsonData: {},
    secureJsonFields: {},
    secureJsonData: {},
  });
  // As Grafana hands a variable made before it had a kind: the editor saves the kind it shows.
  const [variable, setVariable] = useState<RpaVariableQuery>({ refId: 'variable' } as RpaVariableQuery);
  return (
    <div style={{ padding: 16, display: 'flex', flexDirection: 'column', gap: 24 }}>
      <section id="config-editor">
        <h3>Config editor</h3>
        <ConfigEditor
          options={config}
          onOptionsChange={(next) => {
            window.rpaEditors.config.push(next);
            setConfig(next);
          }}
        />
      </section>
      <section id="query-editor">
        <h3>Query editor</h3>
        <QueryEditor
          datasource={datasource}
          query={query}
          onRunQuery={() => undefined}
          onChange={(next) => {
            window.rpaEditors.query.push(next);
            setQuery(next);
          }}
        />
      </section>
      <section id="variable-editor">
        <h3>Variable editor</h3>
        <VariableQueryEditor
          datasource={datasource}
          query={variable}
          onChange={(next) => {
            window.rpaEditors.variable.push(next);
            setVariable(next);
          }}
        />
      </section>
    </div>
  );
}

const theme = createTheme({ colors: { mode: 'dark' } });
createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    <GlobalStyles />
    <Editors />
  </ThemeContext.Provider>,
);
