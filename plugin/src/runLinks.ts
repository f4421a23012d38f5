import type { DataFrame, DataLink } from '@grafana/data';
import type { RpaQuery } from './types';

export const RUN_LOG_TITLE = 'Run log in Explore';

/**
 * Gives the run ids of an executions frame (the Execution column of a table, the id of log
 * lines) a data link to that run's log in Explore: an executions query of the run by id, as log
 * lines (its start, its steps, its end). Grafana fills `${__value.raw}` with the id clicked.
 */
export function withRunLogLinks(frame: DataFrame, datasource: { uid: string; name: string }): DataFrame {
  if (frame.name !== 'Executions') return frame;
  const field = frame.fields.find((f) => f.name === 'Execution' || f.name === 'id');
  if (!field || field.config.links?.some((l) => l.title === RUN_LOG_TITLE)) return frame;
  const link: DataLink<RpaQuery> = {
    title: RUN_LOG_TITLE,
    url: '',
    internal: {
      datasourceUid: datasource.uid,
      datasourceName: datasource.name,
      query: { refId: 'runLog', queryType: 'executions', format: 'logs', execution: ['${__value.raw}'] },
    },
  };
  field.config = { ...field.config, links: [...(field.config.links ?? []), link as DataLink] };
  return frame;
}
