import type { Execution } from '@rpa-analytics/contract';
import { Random } from '../sim/random';
import { isWeekendDay, localClock } from '../analysis/localClock';

const MINUTE = 60_000;

/** Where a fleet of `weekdayLoadFleet` starts (Monday 2026-11-02 00:00 in Los Angeles) and ends, three weeks on. */
export const ZONED_FLEET = { start: Date.parse('2026-11-02T08:00:00Z'), end: Date.parse('2026-11-23T08:00:00Z') };

/**
 * Four workflows that run every 10 minutes for three weeks, 15% slower under weekday load than at
 * weekends, the days being those of `timeZone`. Bucketed by another zone's days, its weekday
 * evenings share weekend hours with faster runs and look slow.
 */
export function weekdayLoadFleet(timeZone: string): Execution[] {
  const clock = localClock(timeZone);
  const random = new Random(1);
  const executions: Execution[] = [];
  for (const workflow of ['Invoice Matching', 'Claims Intake', 'Vendor Sync', 'Payroll Check'])
    for (let t = ZONED_FLEET.start; t < ZONED_FLEET.end; t += 10 * MINUTE) {
      const weekend = isWeekendDay(Math.floor(clock.hour(t) / 24));
      const durationMs = Math.round(random.logNormal(30_000, 0.02) * (weekend ? 1.045 : 1.15));
      executions.push({ id: `${workflow}-${t}`, workflow, startedAt: t, endedAt: t + durationMs, durationMs, status: 'completed' });
    }
  return executions;
}

/** Whether an anomaly's start (an ISO hour) is a Saturday before 08:00 UTC: a Friday evening in Los Angeles. */
export const fridayEveningInLosAngeles = (iso: string) => new Date(iso).getUTCDay() === 6 && new Date(iso).getUTCHours() < 8;
