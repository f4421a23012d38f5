import type { MetricsCollector } from '@rpa-analytics/sdk';
import type { Execution, ResourceSample } from '@rpa-analytics/contract';
import type { FleetGenerator, SimulatedRun } from './generator';

const HOUR = 3600_000;

/**
 * Streams the fleet in real time after the backfill: each run is reported as started when its
 * start time passes and as finished (with its steps) when its end passes; samples as their time
 * comes. Stops when `signal` aborts.
 */
export async function streamLive(
  generator: FleetGenerator,
  sdk: MetricsCollector,
  from: number,
  signal: AbortSignal,
  onTick?: (sent: { started: number; finished: number; samples: number }) => void,
): Promise<void> {
  let nextHour = Math.floor(from / HOUR) * HOUR;
  const waitingToStart: SimulatedRun[] = [];
  const waitingToFinish: SimulatedRun[] = [];
  const waitingSamples: ResourceSample[] = [];
  const sent = { started: 0, finished: 0, samples: 0 };
  while (!signal.aborted) {
    const now = Date.now();
    while (nextHour <= now) {
      generator.continueUntil(nextHour + HOUR);
      const { runs, samples } = generator.hour(nextHour);
      waitingToStart.push(...runs.filter((r) => r.execution.startedAt >= from));
      waitingSamples.push(...samples.filter((s) => s.time >= from));
      nextHour += HOUR;
    }
    for (const run of takeDue(waitingToStart, (r) => r.execution.startedAt, now)) {
      const { endedAt: _e, durationMs: _d, errorType: _t, errorMessage: _m, stepsCompleted: _c, ...started } = run.execution;
      sdk.recordExecution({ ...started, status: 'running' } satisfies Execution);
      waitingToFinish.push(run);
      sent.started++;
    }
    waitingToFinish.sort((a, b) => a.execution.endedAt! - b.execution.endedAt!);
    for (const run of takeDue(waitingToFinish, (r) => r.execution.endedAt!, now)) {
      sdk.recordExecution(run.execution);
      for (const step of run.steps) sdk.recordStep(step.executionId, step.name, step.durationMs, step);
      sent.finished++;
    }
    for (const sample of takeDue(waitingSamples, (s) => s.time, now)) {
      sdk.recordResourceSample(sample);
      sent.samples++;
    }
    onTick?.(sent);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Removes and returns the leading items whose time has come (the list is in time order). */
function takeDue<T>(items: T[], time: (item: T) => number, now: number): T[] {
  let count = 0;
  while (count < items.length && time(items[count]) <= now) count++;
  return items.splice(0, count);
}
