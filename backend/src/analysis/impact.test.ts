import type { Execution } from '@rpa-analytics/contract';
import { type ImpactSide, measureImpact } from './insights';

const T = Date.UTC(2026, 10, 20);
const MINUTE = 60_000;

let next = 0;
function run(over: Partial<Execution> = {}): Execution {
  const startedAt = T + ++next * MINUTE;
  return {
    id: `r${next}`,
    workflow: 'Claims',
    robot: 'bot-1',
    host: 'vm-1',
    startedAt,
    endedAt: startedAt + 10_000,
    durationMs: 10_000,
    status: 'completed',
    ...over,
  };
}
const many = (count: number, over: (i: number) => Partial<Execution>) => Array.from({ length: count }, (_, i) => run(over(i)));

describe('measured impact, on the quantity the insight is about', () => {
  it('when hosts were kept off saturation, then saturation is measured on the share of runs on a saturated host, not on every run', () => {
    // Before: 12 of 40 runs on a host above 85% CPU. After: 1 of 40. The workflow's median run did not move.
    const withCpu = (saturated: number) =>
      Array.from({ length: 40 }, (_, i) => ({ durationMs: i < saturated ? 16_000 : 10_000, cpuPercent: i < saturated ? 95 : 30 }));
    const before: ImpactSide = { runs: many(40, () => ({})), withCpu: withCpu(12) };
    const after: ImpactSide = { runs: many(40, () => ({})), withCpu: withCpu(1) };
    const impact = measureImpact({ category: 'resource_saturation' }, before, after, T)!;
    expect(impact).toMatchObject({
      metric: 'saturated_share',
      before: 0.3,
      after: 0.025,
      runsBefore: 40,
      runsAfter: 40,
      significant: true,
      direction: 'better',
    });
    expect(impact.summary).toMatch(/^share of runs on a host above 85% CPU: 30\.0% before, 2\.5% after \(-92%, two-proportion z-test p = 0\.00\d+\): better$/);
  });

  it('when a failure pattern stopped, then it is measured on runs failing with that pattern, whatever else fails', () => {
    const timeout = (i: number): Partial<Execution> =>
      i % 4 === 0 ? { status: 'failed', errorMessage: `Element 'Save' not clickable after ${30_000 + i} ms` } : {};
    const other = (i: number): Partial<Execution> => (i % 4 === 0 ? { status: 'failed', errorMessage: 'Vendor 4711 is blocked for posting' } : {});
    const impact = measureImpact(
      { category: 'failure_pattern', subject: "Element 'Save' not clickable after <n> ms" },
      { runs: many(40, timeout) },
      { runs: many(40, other) },
      T,
    )!;
    // The overall failure rate is 25% on both sides; the pattern went from 25% to none.
    expect(impact).toMatchObject({ metric: 'pattern_rate', before: 0.25, after: 0, direction: 'better', significant: true });
  });

  it("when a robot outlier got worse, then its own failure rate says so, not its workflow's", () => {
    const mixed =
      (failEvery: number) =>
      (i: number): Partial<Execution> => ({ robot: i % 2 ? 'bot-7' : 'bot-1', status: i % 2 && i % failEvery === 1 ? 'failed' : 'completed' });
    const impact = measureImpact({ category: 'robot_outlier', subject: 'robot:bot-7' }, { runs: many(80, mixed(8)) }, { runs: many(80, mixed(2)) }, T)!;
    expect(impact).toMatchObject({
      metric: 'failure_rate',
      quantity: 'failure rate of robot bot-7',
      runsBefore: 40,
      runsAfter: 40,
      before: 0.25,
      after: 1,
      direction: 'worse',
    });
  });

  it('when too few runs are on a side, or nothing changed, then it says so', () => {
    expect(measureImpact({ category: 'degradation' }, { runs: many(19, () => ({})) }, { runs: many(40, () => ({})) }, T)).toBeNull();
    const same = measureImpact(
      { category: 'degradation' },
      { runs: many(30, (i) => ({ durationMs: 10_000 + i })) },
      { runs: many(30, (i) => ({ durationMs: 10_000 + i })) },
      T,
    )!;
    expect(same).toMatchObject({ metric: 'median_duration_ms', direction: 'unchanged', significant: false, changePct: 0 });
    expect(same.summary).toMatch(/: no significant change$/);
  });
});
