import os from 'node:os';
import type { IngestBatch, ResourceSample, SamplerStatus } from '@rpa-analytics/contract';
import type { ExecutionContextSink } from './metricsCollector';
import { defaultDiskPath, defaultResourceSource, diskSpace, GpuProbe, type ResourceSource } from './resourceSource';

export interface ResourceCollectorOptions {
  /** Receives every sample, e.g. `metricsCollector.recordResourceSample`... */
  sink?: (sample: ResourceSample) => void;
  /** ...or, as in the seed module, a function that stores a batch (e.g. `store.writeMetrics`). */
  storageCallback?: (batch: IngestBatch) => unknown;
  sampleIntervalMs?: number;
  /** Host name the samples carry (default: this machine's host name). */
  host?: string;
  source?: ResourceSource;
  /** Probe for a GPU (default true); a host without one is not an error. */
  gpu?: boolean;
  /**
   * A path on the volume whose space used the samples tell (default: the system drive on
   * Windows, / elsewhere: where robots leave downloads, screenshots and logs); false: none.
   */
  diskPath?: string | false;
  now?: () => number;
}

/** What sampling itself costs, to check it stays out of the robots' way. */
export interface SamplerCost {
  samples: number;
  /** Longest time one sample held the event loop, in ms. */
  maxBlockMs: number;
  /** CPU time spent sampling, in ms. */
  cpuMs: number;
  /** Ticks skipped because the previous sample had not finished. */
  skipped: number;
}

/**
 * Samples the host every `sampleIntervalMs` (default 1 s) and tags each sample with the
 * execution set by `setContext` (the SDK sets it on `recordExecutionStart`).
 */
export class ResourceCollector implements ExecutionContextSink {
  readonly host: string;
  readonly sampleIntervalMs: number;
  private readonly sink: (sample: ResourceSample) => void;
  private readonly source: ResourceSource;
  private readonly gpu?: GpuProbe;
  private readonly diskPath?: string;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private context?: { workflow: string; executionId: string };
  private lastSampleAt?: number;
  private errors = 0;
  private lastError?: string;
  readonly cost: SamplerCost = { samples: 0, maxBlockMs: 0, cpuMs: 0, skipped: 0 };

  constructor(options: ResourceCollectorOptions) {
    const storage = options?.storageCallback;
    const sink = options?.sink ?? (storage ? (sample: ResourceSample) => void storage({ executions: [], steps: [], samples: [sample] }) : undefined);
    if (typeof sink !== 'function') throw new TypeError('ResourceCollector: options.sink (or options.storageCallback) must be a function');
    this.sampleIntervalMs = options.sampleIntervalMs ?? 1000;
    if (!(this.sampleIntervalMs >= 10)) {
      throw new RangeError(`ResourceCollector: sampleIntervalMs must be at least 10, got ${options.sampleIntervalMs}`);
    }
    this.sink = sink;
    this.host = options.host ?? os.hostname();
    this.source = options.source ?? defaultResourceSource();
    this.gpu = options.gpu === false ? undefined : new GpuProbe();
    if (options.diskPath !== false) this.diskPath = options.diskPath ?? defaultDiskPath();
    this.now = options.now ?? Date.now;
  }

  setContext(workflow: string, executionId: string): void {
    this.context = { workflow, executionId };
  }

  /** Clears the context; with an id, only when that execution is the current one. */
  clearContext(executionId?: string): void {
    if (executionId === undefined || this.context?.executionId === executionId) this.context = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): this {
    if (this.timer) return this;
    this.gpu?.start();
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), this.sampleIntervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.gpu?.stop();
  }

  /** Takes one sample now and hands it to the sink; undefined while counters warm up. */
  async sampleOnce(): Promise<ResourceSample | undefined> {
    if (this.busy) {
      this.cost.skipped++;
      return undefined;
    }
    this.busy = true;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    try {
      const time = this.now();
      const pending = this.source.read(time);
      this.cost.maxBlockMs = Math.max(this.cost.maxBlockMs, performance.now() - started);
      const reading = await pending;
      if (!reading) return undefined;
      const sample: ResourceSample = {
        host: this.host,
        time,
        ...reading,
        ...this.gpu?.reading,
        ...(this.diskPath === undefined ? {} : diskSpace(this.diskPath)),
      };
      if (this.context) {
        sample.workflow = this.context.workflow;
        sample.executionId = this.context.executionId;
      }
      this.sink(sample);
      this.lastSampleAt = time;
      this.cost.samples++;
      return sample;
    } catch (error) {
      this.errors++;
      this.lastError = (error as Error).message;
      return undefined;
    } finally {
      const cpu = process.cpuUsage(cpuBefore);
      this.cost.cpuMs += (cpu.user + cpu.system) / 1000;
      this.busy = false;
    }
  }

  status(): SamplerStatus {
    return {
      enabled: this.running,
      host: this.host,
      intervalMs: this.sampleIntervalMs,
      lastSampleAt: this.lastSampleAt,
      samplesTaken: this.cost.samples,
      errors: this.errors,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}
