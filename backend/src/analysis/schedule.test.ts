import type { Execution } from '../domain/types';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { combined, hourOfWeek, runsDue, workflowSchedules } from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-11-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 2);

const run = (workflow: string, startedAt: number, i: number): Execution => ({ id: `${workflow}-${i}`, workflow, startedAt, endedAt: startedAt + 60_000, durationMs: 60_000, status: 'completed' });

describe('hourOfWeek', () => {
  it('counts from Monday 00:00 UTC', () => {
    expect(hourOfWeek(MONDAY)).toBe(0);
    expect(hourOfWeek(MONDAY + 9 * HOUR + 59 * 60_000)).toBe(9);
    expect(hourOfWeek(MONDAY + 6 * DAY + 23 * HOUR)).toBe(167);
    expect(hourOfWeek(MONDAY + 7 * DAY)).toBe(0);
    expect(hourOfWeek(0)).toBe(72); // 1970-01-01 was a Thursday
  });
});

describe('workflow schedules', () => {
  // Two weeks and a morning, to the third Monday 10:30: "Payroll" runs 4 times an hour on weekdays
  // 09:00-17:00 and never else; "Queue" runs 6 times an hour around the clock, from the second
  // Monday on (it is new).
  const store = new SqliteStore({ file: ':memory:' });
  const now = MONDAY + 14 * DAY + 10 * HOUR + 30 * 60_000;
  const executions: Execution[] = [];
  for (let start = MONDAY; start < now; start += HOUR) {
    const hour = new Date(start).getUTCHours();
    const weekday = Math.floor((start - MONDAY) / DAY) % 7 < 5;
    if (weekday && hour >= 9 && hour < 17) for (let k = 0; k < 4; k++) executions.push(run('Payroll', start + k * 15 * 60_000, executions.length));
    if (start >= MONDAY + 7 * DAY) for (let k = 0; k < 6; k++) executions.push(run('Queue', start + k * 10 * 60_000, executions.length));
  }
  store.ingest({ executions, steps: [], samples: [] });
  const schedules = workflowSchedules(store, now);

  afterAll(() => store.close());

  it('learns each workflow runs an hour at each hour of the week, from its first run on', () => {
    const payroll = schedules.get('Payroll')!;
    expect(payroll[9]).toBe(4); // Monday 09:00: 4 runs in each of the two Mondays
    expect(payroll[8]).toBe(0);
    expect(payroll[5 * 24 + 10]).toBe(0); // Saturday
    const queue = schedules.get('Queue')!;
    expect([...queue].every((rate) => rate === 6)).toBe(true); // a week old: one week observed, not averaged over four
  });

  it('expects runs only where the schedule has them: a quiet night or weekend is not overdue', () => {
    const payroll = schedules.get('Payroll')!;
    // Friday 17:00 to Monday 09:00: nothing due.
    expect(runsDue(payroll, MONDAY + 4 * DAY + 17 * HOUR, MONDAY + 7 * DAY + 9 * HOUR)).toBe(0);
    // Monday 09:00 to 10:30: 4 + 2 runs due.
    expect(runsDue(payroll, MONDAY + 7 * DAY + 9 * HOUR, MONDAY + 7 * DAY + 10 * HOUR + 30 * 60_000)).toBeCloseTo(6, 9);
    // A queue worker silent for 20 minutes: its usual 2 runs.
    expect(runsDue(schedules.get('Queue')!, now - 20 * 60_000, now)).toBeCloseTo(2, 9);
    // The fleet: both added.
    expect(runsDue(combined(schedules.values()), now - HOUR, now)).toBeCloseTo(4 + 6, 9);
  });

  it('does not learn the silence it is asked about: hours from the last arrival on are left out', () => {
    // Two days on, nothing more arrived: Tuesday's 09:00 hour was silent this week.
    const later = now + 2 * DAY;
    const tuesday9 = 24 + 9;
    expect(workflowSchedules(store, later, new Map([['Payroll', now]])).get('Payroll')![tuesday9]).toBe(4);
    // Taken as a week without runs, the silence would lower the rate to 8 runs in 3 Tuesdays.
    expect(workflowSchedules(store, later).get('Payroll')![tuesday9]).toBeCloseTo(8 / 3, 9);
  });

  it('bounds the work of a silence of years', () => {
    expect(runsDue(schedules.get('Queue')!, 0, now)).toBeCloseTo(6 * 8 * 168, 6);
  });
});
