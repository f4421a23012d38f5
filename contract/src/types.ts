/**
 * The collector's domain model. Times are epoch milliseconds (UTC), durations milliseconds,
 * rates bytes per second, memory bytes.
 */

export const EXECUTION_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'timeout'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** The statuses an execution can end with; `running` is only ever an execution in flight. */
export const FINAL_STATUSES = ['completed', 'failed', 'cancelled', 'timeout'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export const ERROR_TYPES = ['business', 'application', 'system', 'timeout'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export const STEP_STATUSES = ['completed', 'failed', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** One run of a workflow by a robot on a host. */
export interface Execution {
  id: string;
  workflow: string;
  robot?: string;
  host?: string;
  packageVersion?: string;
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  status: ExecutionStatus;
  errorType?: ErrorType;
  errorMessage?: string;
  stepsTotal?: number;
  stepsCompleted?: number;
  tags?: Record<string, string>;
}

/** One step of an execution; `index` is its position in the run, unique per execution. */
export interface Step {
  executionId: string;
  index: number;
  name: string;
  startedAt: number;
  durationMs: number;
  status: StepStatus;
  error?: string;
}

/** What a host was doing at one moment, and which workflow run it was doing it for. */
export interface ResourceSample {
  host: string;
  time: number;
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  gpuPercent?: number;
  gpuMemoryUsedBytes?: number;
  /** Space used on the volume the robots work on (the system drive unless the agent is told another), and its size. */
  diskUsedBytes?: number;
  diskTotalBytes?: number;
  diskReadBytesPerSec: number;
  diskWriteBytesPerSec: number;
  netRxBytesPerSec: number;
  netTxBytesPerSec: number;
  workflow?: string;
  executionId?: string;
}

/** What runners send in one request: any mix of the three record kinds. */
export interface IngestBatch {
  executions: Execution[];
  steps: Step[];
  samples: ResourceSample[];
}

/** How many rows of each kind a batch wrote; a retried batch writes the same rows again. */
export interface IngestResult {
  executions: number;
  steps: number;
  samples: number;
  /**
   * Executions this batch brought to a final status for the first time, with their steps: what
   * counters may count exactly once, however often a batch is retried.
   */
  finished?: Array<{ execution: Execution; steps: Array<{ name: string; startedAt: number; durationMs: number }> }>;
}

/** Resource use of a host while an execution ran on it, from the host's samples. */
export interface ExecutionResourceUsage {
  samples: number;
  cpuPercentAvg: number;
  cpuPercentMax: number;
  memoryUsedBytesAvg: number;
  memoryUsedBytesMax: number;
}

export interface ExecutionDetail extends Execution {
  steps: Step[];
  resources?: ExecutionResourceUsage;
}

/** The host sampler's state, as `/health` reports it. */
export interface SamplerStatus {
  enabled: boolean;
  host?: string;
  intervalMs?: number;
  lastSampleAt?: number;
  samplesTaken?: number;
  errors?: number;
  lastError?: string;
}

/** What was wrong with one field of a request, as error responses list them. */
export interface ErrorDetail {
  /** Where in the request the problem is, e.g. `executions[3].workflow`. */
  field: string;
  message: string;
}
