/** Grafana's backend service rejects with `{status, statusText, data}`; network failures have no status. */
interface FetchFailure {
  status?: number;
  statusText?: string;
  data?: { error?: { message?: string; code?: string; details?: Array<{ field?: string }> }; message?: string } | string;
  message?: string;
}

/** A message a user can act on, for a failed request to the collector (through the proxy route). */
export function describeFailure(error: unknown, collectorUrl: string | undefined): string {
  const failure = (error ?? {}) as FetchFailure;
  const where = collectorUrl ? `the collector at ${collectorUrl}` : 'the collector (no collector URL is set)';
  const body = typeof failure.data === 'object' ? failure.data : undefined;
  const detail = body?.error?.message ?? body?.message ?? (typeof failure.data === 'string' ? failure.data : undefined);
  switch (failure.status) {
    case undefined:
    case 0:
      return `Cannot reach ${where}: ${failure.message ?? 'network error'}`;
    case 401:
      return `${capitalise(where)} refused the request: no valid API token (401). Set the API token in the data source settings.`;
    case 403:
      return `${capitalise(where)} refused the request: the API token lacks the read scope (403).`;
    case 404:
      return `No RPA Analytics API at ${collectorUrl ?? 'this URL'} (404): check the collector URL (its base, without /api/v1).`;
    case 502:
    case 503:
    case 504:
      return `Cannot reach ${where} (${failure.status} from the Grafana proxy)${detail ? `: ${detail}` : ''}`;
    default:
      return detail ?? `${capitalise(where)} answered ${failure.status} ${failure.statusText ?? ''}`.trim();
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The request fields a failed request's 400 names as invalid (`targets[1].aggregation`), if any. */
export function invalidFields(error: unknown): string[] {
  const data = (error as FetchFailure | undefined)?.data;
  if (typeof data !== 'object') return [];
  return (data.error?.details ?? []).map((d) => d.field).filter((f): f is string => typeof f === 'string');
}
