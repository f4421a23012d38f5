import type { ErrorDetail, IngestBatch } from '@rpa-analytics/contract';

/** Where the SDK sends its batches: the collector over HTTP, or a store in the same process. */
export interface Transport {
  send(batch: IngestBatch): Promise<void>;
}

/** Why a send failed, and whether sending the same batch again can succeed. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface HttpTransportOptions {
  /** Base URL of the collector, e.g. `http://collector:5001`. */
  url: string;
  /** A token with the ingest scope, sent as `Authorization: Bearer`. */
  token?: string;
  timeoutMs?: number;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Posts batches to `POST /api/v1/ingest`. Network errors, 408, 429 and 5xx are retryable. */
export class HttpTransport implements Transport {
  private readonly endpoint: string;

  constructor(private readonly options: HttpTransportOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new TypeError(`HttpTransport: url '${options.url}' is not a valid URL (expected e.g. http://collector:5001)`);
    }
    this.endpoint = new URL('/api/v1/ingest', base).toString();
  }

  async send(batch: IngestBatch): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new TransportError(`collector at ${this.endpoint} unreachable: ${cause}`, true);
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const body = (await response.json().catch(() => undefined)) as { error?: { message?: string; details?: ErrorDetail[] } } | undefined;
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new TransportError(
      `collector answered ${response.status}: ${body?.error?.message ?? response.statusText}`,
      retryable,
      response.status,
      retryAfterMs(response.headers.get('retry-after')),
      body?.error?.details,
    );
  }
}
