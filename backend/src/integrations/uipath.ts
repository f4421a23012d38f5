import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Execution, ExecutionStatus } from '@rpa-analytics/contract';

/**
 * UiPath Orchestrator's webhooks, as its "About webhooks" and "Types of events" pages describe
 * them: each request's body is one event (`Type`, `EventId`, `Timestamp`, and for job events its
 * jobs, under `Jobs` as a list, or as one object in older versions, or `Job`), signed with the
 * webhook's secret in `X-UiPath-Signature`: the base64 HMAC-SHA256 of the raw body.
 */
export const UIPATH_SIGNATURE_HEADER = 'x-uipath-signature';

/** The job events a run is made of; every other event is acknowledged and left alone. */
export const UIPATH_JOB_EVENTS = ['job.started', 'job.completed', 'job.faulted', 'job.stopped'] as const;

/** Whether `signature` could be an HMAC-SHA256 in base64 (32 bytes), before the body is read to check it. */
export function plausibleSignature(signature: string | undefined): boolean {
  return signature !== undefined && /^[A-Za-z0-9+/]{43}=?$/.test(signature.trim());
}

/** Whether `signature` is the base64 HMAC-SHA256 of `body` with `secret`, compared in constant time. */
export function validUipathSignature(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signature.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const text = z.string().trim().min(1).max(200);
// With its offset (Orchestrator's are UTC, "...Z"): a time without one would be read in this server's zone.
const time = z.string().refine((value) => /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)), 'not a date-time with an offset');

const jobSchema = z.object({
  Key: z.string().trim().min(1).max(100),
  State: z.string().max(40),
  StartTime: time.nullish(),
  EndTime: time.nullish(),
  Info: z.string().max(10_000).nullish(),
  ReleaseName: text.nullish(),
  Release: z.object({ Name: text.nullish(), ProcessKey: text.nullish(), ProcessVersion: z.string().max(100).nullish() }).nullish(),
  Robot: z.object({ Name: text.nullish(), MachineName: text.nullish() }).nullish(),
  HostMachineName: text.nullish(),
});

// The jobs are checked one by one: a job that lacks what a run needs does not cost the others.
const eventSchema = z.object({
  Type: z.string().min(1).max(100),
  EventId: z.union([z.string(), z.number()]).nullish(),
  Timestamp: time,
  Job: z.record(z.string(), z.unknown()).nullish(),
  Jobs: z.union([z.array(z.record(z.string(), z.unknown())).max(1000), z.record(z.string(), z.unknown())]).nullish(),
});

export type UipathJob = z.infer<typeof jobSchema>;

/** A job's final state in Orchestrator as a run's status here; any other takes its status from the event's type. */
const STATUS: Record<string, ExecutionStatus> = { Successful: 'completed', Faulted: 'failed', Stopped: 'cancelled' };

/** An event's runs, and the jobs of it that could not be runs (their index among its jobs, and why). */
export interface UipathRuns {
  runs: Execution[];
  skipped: Array<{ job: number; error: string }>;
}

/**
 * The runs an event reports: one per job, keyed by the job's key (`uipath-<Key>`), so a repeated
 * event changes nothing (the store keeps a finished run's status; a late `job.started` is the
 * caller's to drop). A job that lacks what a run needs is skipped and said. Undefined for events
 * that are not about jobs starting or ending.
 *
 * @throws z.ZodError when the event is not one, or none of its jobs can be a run
 */
export function uipathRuns(event: unknown): UipathRuns | undefined {
  const parsed = eventSchema.parse(event);
  const type = parsed.Type.toLowerCase();
  if (!(UIPATH_JOB_EVENTS as readonly string[]).includes(type)) return undefined;
  const jobs = [parsed.Job ?? [], parsed.Jobs ?? []].flat();
  const at = Date.parse(parsed.Timestamp);
  const result: UipathRuns = { runs: [], skipped: [] };
  let firstError: z.ZodError | undefined;
  jobs.forEach((job, index) => {
    try {
      result.runs.push(run(jobSchema.parse(job), type, at));
    } catch (error) {
      if (!(error instanceof z.ZodError)) throw error;
      firstError ??= new z.ZodError(error.issues.map((issue) => ({ ...issue, path: ['Jobs', index, ...issue.path] })));
      const issue = error.issues[0];
      result.skipped.push({ job: index, error: `${issue.path.join('.') || 'job'}: ${issue.message}` });
    }
  });
  if (jobs.length === 0) throw new z.ZodError([{ code: 'custom', path: ['Jobs'], message: `a ${parsed.Type} event names its job`, input: event }]);
  if (result.runs.length === 0) throw firstError!;
  return result;
}

function run(job: UipathJob, type: string, at: number): Execution {
  const workflow = job.Release?.Name ?? job.ReleaseName ?? job.Release?.ProcessKey;
  if (!workflow) throw new z.ZodError([{ code: 'custom', path: ['Release', 'Name'], message: 'a job names its process', input: job }]);
  const status =
    type === 'job.started' ? 'running' : (STATUS[job.State] ?? (type === 'job.faulted' ? 'failed' : type === 'job.stopped' ? 'cancelled' : 'completed'));
  const startedAt = job.StartTime ? Date.parse(job.StartTime) : at;
  const endedAt = status === 'running' ? undefined : Math.max(startedAt, job.EndTime ? Date.parse(job.EndTime) : at);
  const robot = job.Robot?.Name ?? undefined;
  const host = job.HostMachineName ?? job.Robot?.MachineName ?? undefined;
  const version = job.Release?.ProcessVersion?.trim();
  return {
    id: `uipath-${job.Key}`,
    workflow,
    ...(robot ? { robot } : {}),
    ...(host ? { host } : {}),
    ...(version ? { packageVersion: version } : {}),
    startedAt,
    ...(endedAt === undefined ? {} : { endedAt, durationMs: endedAt - startedAt }),
    status,
    ...(status === 'failed' && job.Info ? { errorMessage: job.Info.slice(0, 2000) } : {}),
  };
}
