import type { Execution, Step } from '../domain/types';
import type { RunOutline } from './store';

/** Runs in outline, from whole runs and steps (a run's steps by index, wherever they are in the list). */
export function outlineRuns(runs: readonly Execution[], steps: readonly Step[]): RunOutline[] {
  const stepsOf = new Map<string, RunOutline['completedSteps']>();
  for (const { executionId, name, startedAt, durationMs, status } of steps) {
    if (status !== 'completed') continue;
    let completed = stepsOf.get(executionId);
    if (!completed) stepsOf.set(executionId, (completed = { names: [], times: [] }));
    completed.names.push(name);
    completed.times.push(startedAt, durationMs);
  }
  return runs.map(({ id, workflow, host, startedAt, endedAt, durationMs, status }) => {
    const run: RunOutline = { workflow, startedAt, status, completedSteps: stepsOf.get(id) ?? { names: [], times: [] } };
    if (host !== undefined) run.host = host;
    if (endedAt !== undefined) run.endedAt = endedAt;
    if (durationMs !== undefined) run.durationMs = durationMs;
    return run;
  });
}
