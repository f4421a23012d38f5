import type { Execution, Step } from '@rpa-analytics/contract';
import { Random } from '../src/sim/random';

export interface FleetScale {
  executions: number;
  days: number;
  workflows: number;
  hosts: number;
  stepsPerRun: number;
}

export const FULL_SCALE: FleetScale = { executions: 1_000_000, days: 90, workflows: 200, hosts: 50, stepsPerRun: 10 };
export const QUICK_SCALE: FleetScale = { executions: 20_000, days: 30, workflows: 40, hosts: 10, stepsPerRun: 10 };

/**
 * Batches of a synthetic fleet for load: `batchRuns` runs with their steps per batch, in time
 * order, deterministic. Lighter than the simulator, so generating a million runs costs little
 * beside what is measured.
 */
export function* fleetBatches(scale: FleetScale, batchRuns: number, end: number): Generator<{ executions: Execution[]; steps: Step[] }> {
  const random = new Random(42);
  const span = scale.days * 86_400_000;
  const start = end - span;
  const stepNames = Array.from({ length: scale.stepsPerRun }, (_, i) => `Step ${i + 1}`);
  for (let first = 0; first < scale.executions; first += batchRuns) {
    const executions: Execution[] = [];
    const steps: Step[] = [];
    for (let i = first; i < Math.min(scale.executions, first + batchRuns); i++) {
      const startedAt = start + Math.floor((i / scale.executions) * span);
      const w = i % scale.workflows;
      let t = startedAt;
      const id = `bench-${i}`;
      for (let s = 0; s < scale.stepsPerRun; s++) {
        const durationMs = Math.round(random.logNormal(2000 + 300 * ((w + s) % 7), 0.3));
        steps.push({ executionId: id, index: s, name: stepNames[s], startedAt: t, durationMs, status: 'completed' });
        t += durationMs;
      }
      const failed = random.chance(0.03);
      const execution: Execution = {
        id,
        workflow: `Workflow ${w + 1}`,
        robot: `robot-${(i % (scale.hosts * 2)) + 1}`,
        host: `host-${(i % scale.hosts) + 1}`,
        packageVersion: '1.0.0',
        startedAt,
        endedAt: t,
        durationMs: t - startedAt,
        status: failed ? 'failed' : 'completed',
        stepsTotal: scale.stepsPerRun,
        stepsCompleted: scale.stepsPerRun,
      };
      if (failed) Object.assign(execution, { errorType: 'application', errorMessage: 'Selector not found: #submit' });
      executions.push(execution);
    }
    yield { executions, steps };
  }
}
