import type { ErrorDetail, IngestBatch } from '@rpa-analytics/contract';
import { type Transport, TransportError } from '@rpa-analytics/sdk';
import type { IngestWriter } from '../store/store';

/** In-process mode: batches go straight into a store, with the same atomicity as over HTTP. */
export class StoreTransport implements Transport {
  constructor(private readonly store: IngestWriter) {}

  async send(batch: IngestBatch): Promise<void> {
    try {
      this.store.ingest(batch);
    } catch (error) {
      const details = (error as { details?: ErrorDetail[] }).details;
      throw new TransportError((error as Error).message, details === undefined, undefined, undefined, details);
    }
  }
}
