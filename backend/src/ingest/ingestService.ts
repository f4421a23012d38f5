import { AppError } from '../domain/errors';
import type { Execution, IngestBatch, IngestResult, Step } from '@rpa-analytics/contract';
import type { ExecutionReader, IngestWriter } from '../store/store';
import type { ExecutionComplete, ExecutionStart, StepReport } from '@rpa-analytics/contract';

/** Told about every batch written: what it wrote, and how long the write took. */
export type IngestObserver = (result: IngestResult, batch: IngestBatch, durationMs: number) => void;

/** Batch and one-event-at-a-time ingest; every path ends in one atomic `Store.ingest`. */
export class IngestService {
  constructor(
    private readonly store: IngestWriter & Pick<ExecutionReader, 'getExecution'>,
    private readonly observer: IngestObserver = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  ingestBatch(batch: IngestBatch): IngestResult {
    const started = performance.now();
    const result = this.store.ingest(batch);
    this.observer(result, batch, performance.now() - started);
    return result;
  }

  startExecution(id: string, start: ExecutionStart): Execution {
    const execution: Execution = { id, ...start, startedAt: start.startedAt ?? this.now(), status: 'running' };
    this.ingestBatch({ executions: [execution], steps: [], samples: [] });
    return execution;
  }

  recordStep(executionId: string, report: StepReport): Step {
    this.requireExecution(executionId);
    const step: Step = { executionId, ...report };
    this.ingestBatch({ executions: [], steps: [step], samples: [] });
    return step;
  }

  /** @throws AppError `not_found` when the execution was never started. */
  completeExecution(id: string, complete: ExecutionComplete): Execution {
    const started = this.requireExecution(id);
    const endedAt = complete.endedAt ?? this.now();
    if (endedAt < started.startedAt) {
      throw new AppError('validation_failed', 'the run cannot end before it started', [
        { field: 'endedAt', message: `must not be before startedAt (${new Date(started.startedAt).toISOString()})` },
      ]);
    }
    const execution: Execution = { ...started, ...complete, endedAt, durationMs: endedAt - started.startedAt };
    this.ingestBatch({ executions: [execution], steps: [], samples: [] });
    return execution;
  }

  private requireExecution(id: string): Execution {
    const existing = this.store.getExecution(id);
    if (!existing) throw new AppError('not_found', `execution '${id}' was never started`);
    const { steps: _steps, resources: _resources, ...execution } = existing;
    return execution;
  }
}
