import type { ErrorDetail, ErrorType, Execution, FinalStatus, IngestBatch, ResourceSample, Step, StepStatus } from '@rpa-analytics/contract';
import { type Transport, TransportError } from './transport';

export interface MetricsCollectorOptions {
  /** Where batches go: an HttpTransport, a StoreTransport... */
  transport?: Transport;
  /** ...or, as in the seed module, a function that stores a batch (e.g. `store.writeMetrics`). */
  storageCallback?: (batch: IngestBatch) => unknown;
  /** Records buffered before a flush starts (default 1000). */
  bufferSize?: number;
  /** A flush also starts this often when anything is buffered (default 5000 ms). */
  flushIntervalMs?: number;
  /** Most records sent in one request (default 5000). */
  maxBatchRecords?: number;
  /** Beyond this many buffered records, new records are dropped and counted (default 1,000,000). */
  maxBufferedRecords?: number;
  /** First retry delay, doubled per attempt up to `maxBackoffMs` (defaults 250 ms and 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long `shutdown()` keeps retrying an unreachable collector (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Told about records the collector rejected for good, and about dropped records. */
  onError?: (error: Error, rejected?: IngestBatch) => void;
  /** Receives the running execution, so a sampler can tag host samples with it. */
  context?: ExecutionContextSink;
  now?: () => number;
}

export interface ExecutionContextSink {
  setContext(workflow: string, executionId: string): void;
  clearContext(executionId?: string): void;
}

export interface ExecutionStartOptions {
  robot?: string;
  host?: string;
  packageVersion?: string;
  tags?: Record<string, string>;
  startedAt?: number;
}

export interface StepOptions {
  status?: StepStatus;
  error?: string;
  startedAt?: number;
  /** Position in the run; by default the next one after the steps recorded so far. */
  index?: number;
}

export interface ExecutionCompleteOptions {
  status?: FinalStatus;
  errorType?: ErrorType;
  errorMessage?: string;
  stepsTotal?: number;
  stepsCompleted?: number;
  endedAt?: number;
}

type QueuedRecord = { kind: 'execution'; record: Execution; taken: boolean } | { kind: 'step'; record: Step } | { kind: 'sample'; record: ResourceSample };

interface ActiveExecution {
  execution: Execution;
  queued?: QueuedRecord & { kind: 'execution' };
  nextStepIndex: number;
}

/** A wait that keeps the process alive only when `hold` (a caller awaits delivery). */
const sleep = (ms: number, hold: boolean) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (!hold) timer.unref();
  });

/**
 * The runner-side SDK. `record*` calls are synchronous and only append to a buffer; batches are
 * sent in the order recorded, one at a time, on size, on interval and on shutdown. A batch that
 * fails for a retryable reason is sent again, unchanged, with backoff (honouring Retry-After);
 * the collector's idempotent ingest turns those retries into exactly-once storage.
 */
export class MetricsCollector {
  private readonly transport: Transport;
  private readonly bufferSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxBatchRecords: number;
  private readonly maxBufferedRecords: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly onError: (error: Error, rejected?: IngestBatch) => void;
  private readonly context?: ExecutionContextSink;
  private readonly now: () => number;

  private queue: QueuedRecord[] = [];
  private readonly active = new Map<string, ActiveExecution>();
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private deadline = Infinity;
  /** Callers awaiting `flush()` or `shutdown()`: while there are some, retries keep the process alive. */
  private awaiting = 0;
  /** Records dropped because the buffer was full, or rejected by the collector as invalid. */
  dropped = 0;
  /** Records the collector acknowledged. */
  delivered = 0;

  constructor(options: MetricsCollectorOptions) {
    const transport = options?.transport ?? (options?.storageCallback ? callbackTransport(options.storageCallback) : undefined);
    if (typeof transport?.send !== 'function') {
      throw new TypeError('MetricsCollector: options.transport is required (an HttpTransport or a StoreTransport), or a storageCallback');
    }
    const positive = (name: keyof MetricsCollectorOptions, fallback: number): number => {
      const value = (options[name] as number | undefined) ?? fallback;
      if (!(value > 0)) throw new RangeError(`MetricsCollector: ${name} must be a positive number, got ${value}`);
      return value;
    };
    this.transport = transport;
    this.bufferSize = positive('bufferSize', 1000);
    this.flushIntervalMs = positive('flushIntervalMs', 5000);
    this.maxBatchRecords = positive('maxBatchRecords', 5000);
    this.maxBufferedRecords = positive('maxBufferedRecords', 1_000_000);
    this.initialBackoffMs = positive('initialBackoffMs', 250);
    this.maxBackoffMs = positive('maxBackoffMs', 30_000);
    this.shutdownTimeoutMs = positive('shutdownTimeoutMs', 30_000);
    this.onError = options.onError ?? (() => undefined);
    this.context = options.context;
    this.now = options.now ?? Date.now;
  }

  /** Starts the interval flush. Recording works before `start()`; only the timer waits for it. */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => {
        if (this.queue.length > 0) void this.drainAll();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
    return this;
  }

  /** Records buffered and not yet acknowledged by the collector. */
  get pending(): number {
    return this.queue.length;
  }

  /** The execution most recently started and not yet completed, if any. */
  get currentExecution(): Execution | undefined {
    let last: ActiveExecution | undefined;
    for (const entry of this.active.values()) last = entry;
    return last?.execution;
  }

  recordExecutionStart(executionId: string, workflow: string, options: ExecutionStartOptions = {}): void {
    const execution: Execution = {
      id: executionId,
      workflow,
      startedAt: options.startedAt ?? this.now(),
      status: 'running',
    };
    if (options.robot !== undefined) execution.robot = options.robot;
    if (options.host !== undefined) execution.host = options.host;
    if (options.packageVersion !== undefined) execution.packageVersion = options.packageVersion;
    if (options.tags !== undefined) execution.tags = options.tags;
    const queued = { kind: 'execution' as const, record: execution, taken: false };
    if (!this.enqueue(queued)) return;
    this.active.set(executionId, { execution, queued, nextStepIndex: 0 });
    this.context?.setContext(workflow, executionId);
  }

  recordStep(executionId: string, name: string, durationMs: number, options: StepOptions = {}): void {
    const active = this.active.get(executionId);
    const index = options.index ?? active?.nextStepIndex ?? 0;
    if (active) active.nextStepIndex = Math.max(active.nextStepIndex, index + 1);
    const step: Step = {
      executionId,
      index,
      name,
      startedAt: options.startedAt ?? this.now() - durationMs,
      durationMs,
      status: options.status ?? 'completed',
    };
    if (options.error !== undefined) step.error = options.error;
    this.enqueue({ kind: 'step', record: step });
  }

  /** @throws Error when `executionId` was not started with `recordExecutionStart` in this process. */
  recordExecutionComplete(executionId: string, options: ExecutionCompleteOptions = {}): void {
    const active = this.active.get(executionId);
    if (!active) {
      throw new Error(`recordExecutionComplete: execution '${executionId}' was not started with recordExecutionStart`);
    }
    this.active.delete(executionId);
    this.context?.clearContext(executionId);
    const endedAt = options.endedAt ?? this.now();
    const execution: Execution = {
      ...active.execution,
      endedAt,
      durationMs: endedAt - active.execution.startedAt,
      status: options.status ?? 'completed',
    };
    if (options.errorType !== undefined) execution.errorType = options.errorType;
    if (options.errorMessage !== undefined) execution.errorMessage = options.errorMessage;
    if (options.stepsTotal !== undefined) execution.stepsTotal = options.stepsTotal;
    if (options.stepsCompleted !== undefined) execution.stepsCompleted = options.stepsCompleted;
    // Still buffered: the start becomes the finished run, one row instead of two writes.
    if (active.queued && !active.queued.taken) active.queued.record = execution;
    else this.enqueue({ kind: 'execution', record: execution, taken: false });
  }

  /** Records a whole run at once (importers, simulators, runners that report after the fact). */
  recordExecution(execution: Execution): void {
    this.enqueue({ kind: 'execution', record: execution, taken: false });
  }

  recordResourceSample(sample: ResourceSample): void {
    this.enqueue({ kind: 'sample', record: sample });
  }

  /**
   * Sends everything buffered so far; resolves when it is acknowledged or given up on. While it is
   * awaited, retries keep the process alive; with `timeoutMs`, it gives up (telling `onError`)
   * once that has passed, and the records stay buffered.
   */
  async flush(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = this.deadline;
    if (options.timeoutMs !== undefined) this.deadline = Math.min(this.deadline, this.now() + options.timeoutMs);
    this.awaiting++;
    try {
      await this.drainAll();
    } finally {
      this.awaiting--;
      if (!this.stopping) this.deadline = deadline;
    }
  }

  private async drainAll(): Promise<void> {
    while (this.sending) await this.sending;
    if (this.queue.length === 0) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
    });
    await this.sending;
  }

  /** Stops the timer and flushes, retrying for at most `shutdownTimeoutMs`. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopping = true;
    this.deadline = this.now() + this.shutdownTimeoutMs;
    await this.flush();
  }

  private enqueue(entry: QueuedRecord): boolean {
    if (this.queue.length >= this.maxBufferedRecords) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 10_000 === 0) {
        this.onError(new Error(`MetricsCollector buffer full (${this.maxBufferedRecords} records): ${this.dropped} dropped`));
      }
      return false;
    }
    this.queue.push(entry);
    if (this.queue.length >= this.bufferSize && !this.sending) void this.drainAll();
    return true;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const taken = this.queue.slice(0, this.maxBatchRecords);
      for (const entry of taken) if (entry.kind === 'execution') entry.taken = true;
      const delivered = await this.deliver(taken);
      if (!delivered) return;
      this.queue.splice(0, taken.length);
      if (!this.stopping && this.queue.length < this.bufferSize) return;
    }
  }

  /** Sends one batch until it is acknowledged; false when giving up at shutdown. */
  private async deliver(entries: QueuedRecord[]): Promise<boolean> {
    let remaining = entries;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const batch = toBatch(remaining);
      try {
        await this.transport.send(batch);
        this.delivered += remaining.length;
        return true;
      } catch (error) {
        const failure = error instanceof TransportError ? error : new TransportError((error as Error).message, true);
        if (!failure.retryable) {
          remaining = this.dropRejected(remaining, failure);
          continue;
        }
        if (this.now() >= this.deadline) {
          this.onError(new Error(`giving up ${this.stopping ? 'at shutdown' : 'this flush'} with ${this.queue.length} records unsent: ${failure.message}`));
          return false;
        }
        const backoff = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(attempt, 20));
        await sleep(failure.retryAfterMs ?? backoff * (0.5 + Math.random() / 2), this.awaiting > 0 || this.stopping);
      }
    }
    return true;
  }

  /**
   * A 400 names the offending records (`executions[3].workflow`): drop those, keep the rest.
   * Without such names nothing can be kept apart, and the whole batch is reported as rejected.
   */
  private dropRejected(entries: QueuedRecord[], failure: TransportError): QueuedRecord[] {
    const bad = rejectedPositions(failure.details);
    const batchPositions = positionsInBatch(entries);
    let keep = entries.filter((_, i) => !bad.has(batchPositions[i]));
    if (keep.length === entries.length) keep = [];
    const kept = new Set(keep);
    const rejected = entries.filter((entry) => !kept.has(entry));
    this.dropped += rejected.length;
    this.onError(failure, toBatch(rejected));
    return keep;
  }
}

/** A storage function as a transport: its errors are final unless they say otherwise. */
function callbackTransport(store: (batch: IngestBatch) => unknown): Transport {
  return {
    async send(batch) {
      try {
        await store(batch);
      } catch (error) {
        if (error instanceof TransportError) throw error;
        const details = (error as { details?: ErrorDetail[] }).details;
        throw new TransportError((error as Error).message, details === undefined, undefined, undefined, details);
      }
    },
  };
}

const KIND_KEY = { execution: 'executions', step: 'steps', sample: 'samples' } as const;

function toBatch(entries: readonly QueuedRecord[]): IngestBatch {
  const batch: IngestBatch = { executions: [], steps: [], samples: [] };
  for (const entry of entries) (batch[KIND_KEY[entry.kind]] as unknown[]).push(entry.record);
  return batch;
}

/** `executions[3]` for each entry, as the collector will name it. */
function positionsInBatch(entries: readonly QueuedRecord[]): string[] {
  const counters = { executions: 0, steps: 0, samples: 0 };
  return entries.map((entry) => {
    const key = KIND_KEY[entry.kind];
    return `${key}[${counters[key]++}]`;
  });
}

function rejectedPositions(details: ErrorDetail[] | undefined): Set<string> {
  const positions = new Set<string>();
  for (const detail of details ?? []) {
    const match = /^(executions|steps|samples)\[\d+\]/.exec(detail.field);
    if (match) positions.add(match[0]);
  }
  return positions;
}
