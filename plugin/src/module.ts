import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { RpaDataSourceOptions, RpaQuery, RpaSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, RpaQuery, RpaDataSourceOptions, RpaSecureJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
