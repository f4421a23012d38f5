import type { Execution } from '@rpa-analytics/contract';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { isWeekendDay, localClock, type LocalClock } from './localClock';
import { combined, hourOfWeek, runsCameSince, runsDue, runsOverdue, workflowSchedules, type Schedule } from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-11-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 2);

const run = (workflow: string, startedAt: number, i: number): Execution => ({
  id: `${workflow}-${i}`,
  workflow,
  startedAt,
  endedAt: startedAt + 60_000,
  durationMs: 60_000,
  status: 'completed',
});

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

describe('runs overdue', () => {
  /** A schedule of `rate` runs an hour in the given hours of every weekday, none else. */
  const weekdays = (rate: number, hours: number[]): Schedule => new Float64Array(168).map((_, h) => (h < 120 && hours.includes(h % 24) ? rate : 0));
  const at = (day: number, hour: number, minute = 0) => MONDAY + day * DAY + hour * HOUR + minute * 60_000;

  it('when runs come on the hour, then the rest of the hour and the night after are not overdue', () => {
    // One run at 09:00 to 16:00 on weekdays; the last of the day arrived at 16:01.
    const cron = weekdays(1, [9, 10, 11, 12, 13, 14, 15, 16]);
    expect(runsOverdue(cron, at(0, 12, 1), at(0, 12, 50), 1)).toBe(0);
    expect(runsOverdue(cron, at(0, 16, 1), at(0, 23, 0), 1)).toBe(0);
    // Friday's last run, all weekend long.
    expect(runsOverdue(cron, at(4, 16, 1), at(7, 8, 59), 1)).toBe(0);
    // Spread evenly over the hour from the last arrival, the same schedule read 11.4 for a
    // fleet of twelve such workflows all night: each counted the rest of its 16:00 hour.
    expect(runsDue(combined(Array(12).fill(cron)), at(0, 16, 3), at(0, 23))).toBeCloseTo(11.4, 9);
    expect(runsOverdue(combined(Array(12).fill(cron)), at(0, 16, 3), at(0, 23), 12)).toBe(0);
  });

  it("when a queue's burst comes at 09:00, then the day after it is not overdue", () => {
    const burst = weekdays(30, [9]);
    expect(runsOverdue(burst, at(1, 9, 31), at(1, 23), 30)).toBe(0);
  });

  it('when a workflow that runs around the clock stops, then what it missed is overdue within the hour', () => {
    const queue = new Float64Array(168).fill(10);
    // It stopped at 02:10, two runs into the hour.
    expect(runsOverdue(queue, at(2, 2, 10), at(2, 3, 30), 2)).toBeCloseTo(13, 9);
    expect(runsOverdue(queue, at(2, 2, 10), at(2, 2, 50), 2)).toBeCloseTo(6.333, 3);
  });

  it('when the fleet starts an hour late (a daylight-saving change), then it is not overdue for that hour', () => {
    const office = weekdays(4, [9, 10, 11, 12, 13, 14, 15, 16]);
    // Yesterday's last runs came in the 16:00 hour (4 of them); today's first come at 10:00.
    expect(runsOverdue(office, at(1, 16, 50), at(2, 9, 45), 4)).toBe(0);
    // Later than that it is: the 10:00 hour's 4, then 4 more each hour (the alert at more than 10).
    expect(runsOverdue(office, at(1, 16, 50), at(2, 11, 0), 4)).toBeCloseTo(4, 9);
    expect(runsOverdue(office, at(1, 16, 50), at(2, 13, 0), 4)).toBeCloseTo(12, 9);
  });

  it('counts the runs that came from the hour of the last arrival on, per workflow and for the fleet', () => {
    const store = new SqliteStore({ file: ':memory:' });
    const runs = [run('A', at(0, 9, 0), 1), run('A', at(0, 9, 20), 2), run('A', at(0, 8, 0), 3), run('B', at(0, 10, 5), 4)];
    store.ingest({ executions: runs, steps: [], samples: [] });
    const came = runsCameSince(
      store,
      new Map([
        ['A', at(0, 9, 21)],
        ['B', at(0, 10, 6)],
      ]),
      at(0, 10, 30),
    );
    expect([...came.byWorkflow]).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
    expect(came.fleet).toBe(1); // the fleet's last arrival was in the 10:00 hour
    store.close();
  });
});

describe("a schedule on the fleet's clock", () => {
  // An office in Berlin: 4 runs an hour from 09:00 to 17:00 there on weekdays, for the four weeks
  // of March 2026 before daylight-saving time starts (Sunday 29 March), then on Monday 30 March,
  // when 09:00 to 17:00 there is 07:00 to 15:00 UTC, not 08:00 to 16:00.
  const berlin = localClock('Europe/Berlin');
  const store = new SqliteStore({ file: ':memory:' });
  const executions: Execution[] = [];
  for (let start = Date.UTC(2026, 2, 2); start < Date.UTC(2026, 2, 31); start += 15 * 60_000) {
    const hours = berlin.hour(start);
    if (!isWeekendDay(Math.floor(hours / 24)) && hours % 24 >= 9 && hours % 24 < 17) executions.push(run('Invoices', start, executions.length));
  }
  store.ingest({ executions, steps: [], samples: [] });
  afterAll(() => store.close());

  it("when daylight-saving time moves the office's hours in UTC, then its schedule moves with them: the evening after is not overdue", () => {
    const lastRun = executions[executions.length - 1].startedAt;
    expect(new Date(lastRun).toISOString()).toBe('2026-03-30T14:45:00.000Z'); // 16:45 in Berlin
    const now = Date.parse('2026-03-30T15:45:00Z');
    const arrivals = new Map([['Invoices', lastRun + 60_000]]);
    const came = runsCameSince(store, arrivals, now).byWorkflow.get('Invoices')!;
    const overdue = (clock: LocalClock) => {
      const schedule = workflowSchedules(store, now, arrivals, { clock }).get('Invoices')!;
      return runsOverdue(schedule, lastRun + 60_000, now, came, clock);
    };
    expect(overdue(berlin)).toBe(0);
    // Learnt in UTC, the 15:00 hour still expects its 4 runs: 3 overdue by 15:45.
    expect(overdue(localClock())).toBeCloseTo(3, 9);
  });
});
