import React, { type ChangeEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { InlineField, Input, SecretInput, Stack } from '@grafana/ui';
import type { RpaDataSourceOptions, RpaSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<RpaDataSourceOptions, RpaSecureJsonData>;

/** Collector URL (plain) and API token (secure: saved encrypted, sent only by the proxy route). */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields } = options;
  const secureJsonData = (options.secureJsonData ?? {}) as RpaSecureJsonData;

  const onUrlChange = (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, collectorUrl: event.target.value.trim().replace(/\/+$/, '') } });

  const onTokenChange = (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiToken: event.target.value } });

  const onTokenReset = () =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiToken: false },
      secureJsonData: { ...secureJsonData, apiToken: '' },
    });

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Collector URL" labelWidth={18} tooltip="Base URL of the RPA Analytics collector, e.g. http://collector:5001" interactive>
        <Input
          id="rpa-config-collector-url"
          aria-label="Collector URL"
          width={48}
          placeholder="http://collector:5001"
          value={jsonData.collectorUrl ?? ''}
          onChange={onUrlChange}
        />
      </InlineField>
      <InlineField label="API token" labelWidth={18} tooltip="A token with the read scope. Stored encrypted; the browser never sees it again." interactive>
        <SecretInput
          id="rpa-config-api-token"
          aria-label="API token"
          width={48}
          placeholder="read token"
          isConfigured={Boolean(secureJsonFields?.apiToken)}
          value={secureJsonData.apiToken ?? ''}
          onChange={onTokenChange}
          onReset={onTokenReset}
        />
      </InlineField>
    </Stack>
  );
}
