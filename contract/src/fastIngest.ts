import { MAX_DURATION_MS, MAX_TIME, MIN_TIME, UNSAFE_TEXT } from './schemas';
import { ERROR_TYPES, EXECUTION_STATUSES, type IngestBatch, STEP_STATUSES } from './types';

/*
 * The usual shape of an ingest batch, checked by hand: what the SDK and agents send (epoch
 * milliseconds, names without surrounding spaces, no tags) is most of the traffic, and zod took
 * about a tenth of the collector's time per record on it. Anything this does not recognise as
 * certainly valid (ISO times, tags, a name to trim, any doubt at all) goes to `ingestBatchSchema`,
 * which stays the contract and words every error. A test holds the two to the same answers.
 */

type Json = Record<string, unknown>;

const EXECUTION_KEYS = new Set([
  'id',
  'workflow',
  'robot',
  'host',
  'packageVersion',
  'startedAt',
  'endedAt',
  'durationMs',
  'status',
  'errorType',
  'errorMessage',
  'stepsTotal',
  'stepsCompleted',
]);
const STEP_KEYS = new Set(['executionId', 'index', 'name', 'startedAt', 'durationMs', 'status', 'error']);
const SAMPLE_KEYS = new Set([
  'host',
  'time',
  'cpuPercent',
  'memoryUsedBytes',
  'memoryTotalBytes',
  'gpuPercent',
  'gpuMemoryUsedBytes',
  'diskUsedBytes',
  'diskTotalBytes',
  'diskReadBytesPerSec',
  'diskWriteBytesPerSec',
  'netRxBytesPerSec',
  'netTxBytesPerSec',
  'workflow',
  'executionId',
]);
const BATCH_KEYS = new Set(['executions', 'steps', 'samples']);
const EXECUTION_STATUS = new Set<unknown>(EXECUTION_STATUSES);
const STEP_STATUS = new Set<unknown>(STEP_STATUSES);
const ERROR_TYPE = new Set<unknown>(ERROR_TYPES);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Json, allowed: Set<string>): boolean {
  for (const key in o) if (!allowed.has(key)) return false;
  return true;
}

/** Printable ASCII at both ends (nothing for `trim()` to take away), and nothing unsafe between. */
function isName(v: unknown): boolean {
  if (typeof v !== 'string' || v.length < 1 || v.length > 256) return false;
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(v.length - 1);
  return first > 32 && first < 127 && last > 32 && last < 127 && !UNSAFE_TEXT.test(v);
}

const isId = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 128 && !UNSAFE_TEXT.test(v);
const isTime = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= MIN_TIME && v <= MAX_TIME;
const inRange = (v: unknown, min: number, max: number) => typeof v === 'number' && v >= min && v <= max;
const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 100_000;
const isMessage = (v: unknown) => typeof v === 'string' && v.length <= 4096;
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);

function isExecution(e: unknown): boolean {
  return (
    isObject(e) &&
    onlyKeys(e, EXECUTION_KEYS) &&
    isId(e.id) &&
    isName(e.workflow) &&
    optional(e.robot, isName) &&
    optional(e.host, isName) &&
    optional(e.packageVersion, isName) &&
    isTime(e.startedAt) &&
    optional(e.endedAt, isTime) &&
    (e.endedAt === undefined || (e.endedAt as number) >= (e.startedAt as number)) &&
    optional(e.durationMs, (v) => inRange(v, 0, MAX_DURATION_MS)) &&
    EXECUTION_STATUS.has(e.status) &&
    optional(e.errorType, (v) => ERROR_TYPE.has(v)) &&
    optional(e.errorMessage, isMessage) &&
    optional(e.stepsTotal, isCount) &&
    optional(e.stepsCompleted, isCount)
  );
}

function isStep(s: unknown): boolean {
  return (
    isObject(s) &&
    onlyKeys(s, STEP_KEYS) &&
    isId(s.executionId) &&
    isCount(s.index) &&
    isName(s.name) &&
    isTime(s.startedAt) &&
    inRange(s.durationMs, 0, MAX_DURATION_MS) &&
    optional(s.status, (v) => STEP_STATUS.has(v)) &&
    optional(s.error, isMessage)
  );
}

const isBytes = (v: unknown) => inRange(v, 0, 1e15);
const isPercent = (v: unknown) => inRange(v, 0, 100);

function isSample(s: unknown): boolean {
  return (
    isObject(s) &&
    onlyKeys(s, SAMPLE_KEYS) &&
    isName(s.host) &&
    isTime(s.time) &&
    isPercent(s.cpuPercent) &&
    isBytes(s.memoryUsedBytes) &&
    isBytes(s.memoryTotalBytes) &&
    optional(s.gpuPercent, isPercent) &&
    optional(s.gpuMemoryUsedBytes, isBytes) &&
    optional(s.diskUsedBytes, isBytes) &&
    optional(s.diskTotalBytes, isBytes) &&
    isBytes(s.diskReadBytesPerSec) &&
    isBytes(s.diskWriteBytesPerSec) &&
    isBytes(s.netRxBytesPerSec) &&
    isBytes(s.netTxBytesPerSec) &&
    optional(s.workflow, isName) &&
    optional(s.executionId, isId)
  );
}

/**
 * The batch as `ingestBatchSchema` would parse it, when it certainly passes; undefined when it
 * might not (then parse it with the schema). A freshly parsed JSON body is used as it is: steps
 * without a status get `completed`, as the schema's default gives them.
 */
export function parseUsualBatch(body: unknown): IngestBatch | undefined {
  if (!isObject(body) || !onlyKeys(body, BATCH_KEYS)) return undefined;
  const { executions = [], steps = [], samples = [] } = body;
  if (!Array.isArray(executions) || !Array.isArray(steps) || !Array.isArray(samples)) return undefined;
  if (!executions.every(isExecution) || !steps.every(isStep) || !samples.every(isSample)) return undefined;
  for (const step of steps as Json[]) step.status ??= 'completed';
  return { executions, steps, samples } as IngestBatch;
}
