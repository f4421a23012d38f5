import React, { useEffect, useState } from 'react';
import type { SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { InlineField, InlineFieldRow, MultiSelect, Select } from '@grafana/ui';
import type { DataSource } from '../datasource';
import { type RpaVariableQuery, toVariableQuery } from '../types';
import { VARIABLE_KIND_OPTIONS } from './options';

interface Props {
  query: RpaVariableQuery;
  onChange: (query: RpaVariableQuery, definition?: string) => void;
  datasource: DataSource;
}

/** What a template variable lists: workflows, steps (of some workflows, e.g. `$workflow`), hosts, ... */
export function VariableQueryEditor({ query: stored, onChange, datasource }: Props) {
  const query = toVariableQuery(stored);
  const kind = query.kind;
  const [workflows, setWorkflows] = useState<Array<SelectableValue<string>>>([]);
  useEffect(() => {
    datasource
      .variableOptions('workflows')
      .then((names) => setWorkflows(names.map((n) => ({ label: n.text, value: n.value }))))
      .catch(() => setWorkflows([]));
  }, [datasource]);
  const variables = getTemplateSrv()
    .getVariables()
    .map((v) => ({ label: `$${v.name}`, value: `$${v.name}` }));
  const emit = (next: RpaVariableQuery) => onChange(next, `${next.kind}${next.workflow?.length ? ` of ${next.workflow.join(', ')}` : ''}`);
  // A new variable is saved with the kind the editor shows, not with none.
  const missingKind = typeof stored !== 'object' || stored === null || !stored.kind;
  useEffect(() => {
    if (missingKind) emit(query);
    // Once, for the query the editor opened with.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [missingKind]);

  return (
    <InlineFieldRow>
      <InlineField label="List" labelWidth={10}>
        <Select
          inputId="rpa-variable-kind"
          aria-label="Variable kind"
          width={24}
          options={VARIABLE_KIND_OPTIONS}
          value={kind}
          onChange={(v) => emit({ ...query, kind: v.value!, ...(v.value === 'steps' || v.value === 'versions' ? {} : { workflow: undefined }) })}
        />
      </InlineField>
      {(kind === 'steps' || kind === 'versions') && (
        <InlineField label="of workflows" labelWidth={14}>
          <MultiSelect
            inputId="rpa-variable-workflow"
            aria-label="Of workflows"
            width={36}
            allowCustomValue
            placeholder="all"
            options={[...variables, ...workflows]}
            value={query.workflow ?? []}
            onChange={(selected) => emit({ ...query, kind, workflow: selected.map((s) => s.value!).filter(Boolean) })}
          />
        </InlineField>
      )}
    </InlineFieldRow>
  );
}
