import React, { useEffect, useMemo, useState } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { InlineField, InlineFieldRow, InlineSwitch, Input, MultiSelect, Select } from '@grafana/ui';
import type { DataSource } from '../datasource';
import { changeQueryType, DEFAULT_QUERY, FIELDS_BY_TYPE, type RpaDataSourceOptions, type RpaQuery, type RpaQueryType, withMetric } from '../types';
import { aggregationsFor } from '@rpa-analytics/contract/queryVocabulary';
import {
  aggregationOptions,
  ANNOTATION_TYPE_OPTIONS,
  ERROR_TYPE_OPTIONS,
  GROUP_BY_OPTIONS,
  HOST_METRIC_OPTIONS,
  QUERY_TYPE_OPTIONS,
  RUN_METRIC_OPTIONS,
  STATUS_OPTIONS,
} from './options';

type Props = QueryEditorProps<DataSource, RpaQuery, RpaDataSourceOptions>;

type NameField = 'workflow' | 'step' | 'host' | 'robot';
const KIND: Record<NameField, 'workflows' | 'steps' | 'hosts' | 'robots'> = { workflow: 'workflows', step: 'steps', host: 'hosts', robot: 'robots' };

/** Template variables first, so dashboards can offer `$workflow` in every picker. */
function variableOptions(): Array<SelectableValue<string>> {
  return getTemplateSrv()
    .getVariables()
    .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'template variable' }));
}

function useNames(datasource: DataSource, field: NameField, workflows: string[] | undefined): Array<SelectableValue<string>> {
  const [options, setOptions] = useState<Array<SelectableValue<string>>>([]);
  const scope = field === 'step' ? (workflows ?? []).filter((w) => !w.startsWith('$')).join('\u0000') : '';
  useEffect(() => {
    let cancelled = false;
    datasource
      .variableOptions(KIND[field], field === 'step' && scope ? scope.split('\u0000') : undefined)
      .then((names) => !cancelled && setOptions(names.map((n) => ({ label: n.text, value: n.value }))))
      .catch(() => !cancelled && setOptions([]));
    return () => {
      cancelled = true;
    };
  }, [datasource, field, scope]);
  return options;
}

export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const q: RpaQuery = query.queryType ? query : { ...DEFAULT_QUERY, ...query };
  const type = (q.queryType ?? 'timeseries') as RpaQueryType;
  const uses = useMemo(() => new Set(FIELDS_BY_TYPE[type]), [type]);
  const variables = useMemo(() => variableOptions(), []);
  const names: Record<NameField, Array<SelectableValue<string>>> = {
    workflow: useNames(datasource, 'workflow', undefined),
    step: useNames(datasource, 'step', q.workflow),
    host: useNames(datasource, 'host', undefined),
    robot: useNames(datasource, 'robot', undefined),
  };

  const update = (next: RpaQuery, run = true) => {
    onChange(next);
    if (run) onRunQuery();
  };
  const set = <K extends keyof RpaQuery>(key: K, value: RpaQuery[K]) => {
    const next = { ...q, [key]: value };
    if (value === undefined || (Array.isArray(value) && value.length === 0)) delete next[key];
    update(next);
  };
  const values = (selected: Array<SelectableValue<string>>) => selected.map((s) => s.value!).filter(Boolean);

  const picker = (field: NameField, label: string) =>
    uses.has(field) && (
      <InlineField label={label} labelWidth={12} key={field}>
        <MultiSelect
          inputId={`rpa-query-${field}`}
          aria-label={label}
          width={36}
          allowCustomValue
          placeholder="all"
          options={[...variables, ...names[field]]}
          value={q[field] ?? []}
          onChange={(selected) => set(field, values(selected))}
        />
      </InlineField>
    );

  const isHost = type === 'resources';
  return (
    <div>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={12}>
          <Select
            inputId="rpa-query-type"
            aria-label="Query type"
            width={30}
            options={QUERY_TYPE_OPTIONS}
            value={type}
            onChange={(v) => update(changeQueryType(q, v.value!))}
          />
        </InlineField>
        {uses.has('annotationType') && (
          <InlineField label="Show" labelWidth={8}>
            <Select
              inputId="rpa-query-annotation-type"
              aria-label="Annotation type"
              width={28}
              options={ANNOTATION_TYPE_OPTIONS}
              value={q.annotationType ?? 'anomalies'}
              onChange={(v) => set('annotationType', v.value)}
            />
          </InlineField>
        )}
        {uses.has('metric') && (
          <InlineField label="Metric" labelWidth={10}>
            <Select
              inputId="rpa-query-metric"
              aria-label="Metric"
              width={24}
              options={isHost ? HOST_METRIC_OPTIONS : [...RUN_METRIC_OPTIONS, ...HOST_METRIC_OPTIONS]}
              value={q.metric}
              onChange={(v) => update(withMetric(q, v.value!))}
            />
          </InlineField>
        )}
        {uses.has('aggregation') && (
          <InlineField label="Aggregation" labelWidth={12}>
            <Select
              inputId="rpa-query-aggregation"
              aria-label="Aggregation"
              width={20}
              options={aggregationOptions(q.metric ?? 'run_duration')}
              value={q.aggregation ?? aggregationsFor(q.metric ?? 'run_duration')[0]}
              onChange={(v) => set('aggregation', v.value)}
            />
          </InlineField>
        )}
      </InlineFieldRow>
      <InlineFieldRow>
        {picker('workflow', 'Workflow')}
        {picker('step', 'Step')}
        {picker('host', 'Host')}
        {picker('robot', 'Robot')}
      </InlineFieldRow>
      <InlineFieldRow>
        {uses.has('status') && (
          <InlineField label="Status" labelWidth={12}>
            <MultiSelect
              inputId="rpa-query-status"
              aria-label="Status"
              width={30}
              placeholder="any"
              options={STATUS_OPTIONS}
              value={q.status ?? []}
              onChange={(s) => set('status', values(s))}
            />
          </InlineField>
        )}
        {uses.has('errorType') && (
          <InlineField label="Error type" labelWidth={12}>
            <MultiSelect
              inputId="rpa-query-error-type"
              aria-label="Error type"
              width={30}
              placeholder="any"
              options={ERROR_TYPE_OPTIONS}
              value={q.errorType ?? []}
              onChange={(s) => set('errorType', values(s))}
            />
          </InlineField>
        )}
        {uses.has('groupBy') && (
          <InlineField label="Group by" labelWidth={12}>
            <MultiSelect
              inputId="rpa-query-group-by"
              aria-label="Group by"
              width={30}
              placeholder="none"
              options={GROUP_BY_OPTIONS}
              value={q.groupBy ?? []}
              onChange={(s) => set('groupBy', values(s) as RpaQuery['groupBy'])}
            />
          </InlineField>
        )}
      </InlineFieldRow>
      <InlineFieldRow>
        {uses.has('alias') && (
          <InlineField
            label="Alias"
            labelWidth={12}
            tooltip="Series name; {{workflow}}, {{host}}, {{step}}, {{robot}}, {{status}}, {{error_type}} and {{metric}} are replaced"
          >
            <Input
              id="rpa-query-alias"
              aria-label="Alias"
              width={36}
              placeholder="{{workflow}}"
              value={q.alias ?? ''}
              onChange={(e) => update({ ...q, alias: e.currentTarget.value || undefined }, false)}
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
        {uses.has('topN') && (
          <InlineField label="Top N" labelWidth={10} tooltip="Rows to show; empty for all">
            <Input
              id="rpa-query-top-n"
              aria-label="Top N"
              type="number"
              min={1}
              width={12}
              value={q.topN ?? ''}
              onChange={(e) => update({ ...q, topN: e.currentTarget.value ? Math.max(1, Math.round(Number(e.currentTarget.value))) : undefined }, false)}
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
        {uses.has('minSeverity') && (
          <InlineField label="Min severity" labelWidth={18} tooltip="0 to 1: 0.4 at the detection threshold, 0.7 at twice it">
            <Input
              id="rpa-query-min-severity"
              aria-label="Minimum severity"
              type="number"
              min={0}
              max={1}
              step={0.1}
              width={10}
              value={q.minSeverity ?? ''}
              onChange={(e) => update({ ...q, minSeverity: severity(e.currentTarget.value) }, false)}
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
        {uses.has('maxSeverity') && (
          <InlineField label="Below severity" labelWidth={20} tooltip="Upper bound (exclusive), for one annotation query per severity band">
            <Input
              id="rpa-query-max-severity"
              aria-label="Maximum severity"
              type="number"
              min={0}
              max={1}
              step={0.1}
              width={10}
              value={q.maxSeverity ?? ''}
              onChange={(e) => update({ ...q, maxSeverity: severity(e.currentTarget.value) }, false)}
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
        {uses.has('execution') && (
          <InlineField
            label="Runs"
            labelWidth={8}
            tooltip="Run ids, comma-separated: those runs whatever the filters and range; as log lines, each run's log (its start, steps and end)"
          >
            <Input
              id="rpa-query-execution"
              aria-label="Run ids"
              width={30}
              placeholder="any run"
              // Read when the field is left, so a comma can be typed before the next id.
              key={(q.execution ?? []).join(',')}
              defaultValue={(q.execution ?? []).join(', ')}
              onBlur={(e) => {
                const ids = e.currentTarget.value
                  .split(',')
                  .map((id) => id.trim())
                  .filter((id) => id !== '');
                update({ ...q, execution: ids.length ? ids : undefined });
              }}
            />
          </InlineField>
        )}
        {uses.has('format') && (
          <InlineField label="As log lines" labelWidth={14}>
            <InlineSwitch
              id="rpa-query-logs"
              aria-label="As log lines"
              value={q.format === 'logs'}
              onChange={(e) => set('format', e.currentTarget.checked ? 'logs' : undefined)}
            />
          </InlineField>
        )}
        {uses.has('live') && (
          <InlineField
            label="Live"
            labelWidth={8}
            tooltip="Keep the panel updating as the collector records runs and samples (executions are added as rows; charts follow the time range's end)"
          >
            <InlineSwitch
              id="rpa-query-live"
              aria-label="Live"
              value={q.live === true}
              onChange={(e) => set('live', e.currentTarget.checked ? true : undefined)}
            />
          </InlineField>
        )}
      </InlineFieldRow>
    </div>
  );
}

function severity(text: string): number | undefined {
  if (text === '') return undefined;
  return Math.min(1, Math.max(0, Number(text)));
}
