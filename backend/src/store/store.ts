import type { ExecutionDetail, Execution, ExecutionStatus, IngestBatch, IngestResult, ResourceSample } from '../domain/types';

/** Filters for listing executions; every list means "any of these", an absent list means all. */
export interface ExecutionFilter {
  workflows?: string[];
  statuses?: ExecutionStatus[];
  hosts?: string[];
  robots?: string[];
  /** Inclusive lower bound on `startedAt`. */
  from?: number;
  /** Exclusive upper bound on `startedAt`. */
  to?: number;
}

export interface ExecutionPageRequest extends ExecutionFilter {
  limit: number;
  /** Opaque position returned as `nextCursor` by the previous page. */
  cursor?: string;
}

export interface ExecutionPage {
  items: Execution[];
  nextCursor?: string;
}

export interface SampleFilter {
  hosts?: string[];
  from?: number;
  to?: number;
}

export interface StoreStats {
  executions: number;
  steps: number;
  samples: number;
  lastExecutionAt?: number;
  lastSampleAt?: number;
  sizeBytes: number;
}

/**
 * The storage seam: everything above it (API, SDK in-process mode, analysis scheduler) talks to
 * a Store, never to SQL. SQLite is the embedded default; another engine implements the same.
 */
export interface Store {
  /** Writes a batch atomically: all of it or, on any error, none of it. Idempotent on ids. */
  ingest(batch: IngestBatch): IngestResult;
  listExecutions(request: ExecutionPageRequest): ExecutionPage;
  getExecution(id: string): ExecutionDetail | undefined;
  listSamples(filter: SampleFilter): ResourceSample[];
  stats(): StoreStats;
  /** Runs a trivial query; throws when the database cannot be read. */
  ping(): void;
  close(): void;
}
