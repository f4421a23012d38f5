import { ErrorMemory, failureKey, type FleetFailure, NEW_ERROR_MEMORY_MS, newErrorsBetween } from './newErrors';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 2);

const failure = (endedAt: number, message: string, errorType: FleetFailure['errorType'] = 'system', workflow = 'Claims'): FleetFailure => ({
  workflow,
  startedAt: endedAt - MINUTE,
  endedAt,
  errorType,
  errorMessage: message,
});

/** A run every 2 minutes on the fleet, counted as `runsBetween` counts them. */
const everyTwoMinutes = (from: number, to: number) => Math.max(0, Math.ceil((to - T0) / (2 * MINUTE)) - Math.ceil((from - T0) / (2 * MINUTE)));

/** The fleet's usual errors: a session timeout on day 0 and a locked file on day 1, each again every 6 hours. */
function usualErrors(until: number): FleetFailure[] {
  const out: FleetFailure[] = [];
  for (let t = T0 + HOUR; t < until; t += 6 * HOUR) out.push(failure(t, `SAP session ${1000 + (t % 97)} timed out`));
  for (let t = T0 + DAY + 2 * HOUR; t < until; t += 6 * HOUR) out.push(failure(t, `File C:\\in\\batch ${t % 13}.csv locked by 4711`, 'application'));
  return out.sort((a, b) => a.endedAt! - b.endedAt!);
}

describe("the fleet's memory of errors", () => {
  it('when a week of watching met no new error, then a failure on a new one is judged a (0 + 1) / (runs + 1) chance', () => {
    const memory = new ErrorMemory();
    const at = T0 + 9 * DAY + 30 * MINUTE;
    // Both usual errors were new once, on days 0 and 1: more than a week before.
    expect(memory.see(usualErrors(at), everyTwoMinutes)).toEqual(new Map());
    const citrix = failure(at, 'Citrix session disconnected (code 1043)');
    const judged = memory.see([citrix], everyTwoMinutes);
    // 7 days of a run every 2 minutes: 5,040 runs.
    expect(judged).toEqual(
      new Map([[failureKey(citrix), { pattern: 'Citrix session disconnected (code <n>)', errorType: 'system', newErrors: 0, runs: 5040, chance: 1 / 5041 }]]),
    );
    // The same error with another code an hour later is not new; a second new error that day counts the first.
    const again = failure(at + HOUR, 'Citrix session disconnected (code 1077)');
    const licence = failure(at + 2 * HOUR, 'Licence expired', 'system', 'Billing');
    const next = memory.see([again, licence], everyTwoMinutes);
    expect([...next.keys()]).toEqual([failureKey(licence)]);
    expect(next.get(failureKey(licence))).toMatchObject({ newErrors: 1, runs: 5040, chance: 2 / 5041 });
  });

  it('when the fleet has been watched for less than a week, then no failure is judged, every error being new to it', () => {
    const memory = new ErrorMemory();
    const firstFailure = T0 + HOUR;
    const judged = memory.see(
      [...usualErrors(T0 + 6 * DAY), failure(firstFailure + NEW_ERROR_MEMORY_MS - 1, 'Citrix session disconnected (code 1)')],
      everyTwoMinutes,
    );
    expect(judged).toEqual(new Map());
    // A week after the first failure, a new error is judged, the week's three new errors counted
    // (the first, a week before to the millisecond, too).
    const later = failure(firstFailure + NEW_ERROR_MEMORY_MS, 'Licence expired');
    expect(memory.see([later], everyTwoMinutes).get(failureKey(later))).toMatchObject({ newErrors: 3 });
  });

  it('when an error was not met for longer than the memory, then it is new again; a business exception never is', () => {
    const memory = new ErrorMemory();
    const citrix = (at: number) => failure(at, 'Citrix session disconnected (code 7)');
    const at = T0 + 20 * DAY;
    memory.see([...usualErrors(at - 8 * DAY), citrix(at - 8 * DAY)]);
    memory.see(usualErrors(at).filter((f) => f.endedAt! >= at - 8 * DAY + 1));
    const judged = memory.see([citrix(at), failure(at + MINUTE, 'Invoice 4411 has no purchase order', 'business')], everyTwoMinutes);
    expect([...judged.values()].map((e) => e.pattern)).toEqual(['Citrix session disconnected (code <n>)']);
    // Without a message, or a run that ended without failing, there is nothing to remember.
    expect(memory.see([{ workflow: 'Claims', startedAt: at, endedAt: at + 2 * MINUTE, errorType: 'system' }], everyTwoMinutes)).toEqual(new Map());
  });

  it('when it is filled from the store two memories back, then it judges as a memory that watched from the start', () => {
    const from = T0 + 15 * DAY;
    const to = from + 2 * DAY;
    const all = [
      ...usualErrors(to),
      failure(T0 + 5 * DAY, 'Robot tray agent crashed'),
      failure(from + 3 * HOUR, 'Citrix session disconnected (code 9)'),
      failure(from + DAY, 'Licence expired'),
    ].sort((a, b) => a.endedAt! - b.endedAt!);
    const between = (a: number, b: number) => all.filter((f) => f.endedAt! >= a && f.endedAt! < b);
    const watching = new ErrorMemory();
    watching.see(between(0, from));
    const expected = watching.see(between(from, to), everyTwoMinutes);
    expect(expected.size).toBe(2);
    expect(newErrorsBetween(from, to, between, everyTwoMinutes).judged).toEqual(expected);
  });

  it('when the fleet failed rarely, then a memory filled from the store knows it was watched before what it reads', () => {
    // One failure 20 days before, one 3 days before, then a new error: more than two memories apart.
    const from = T0 + 20 * DAY;
    const all = [failure(T0, 'SAP session 4 timed out'), failure(from - 3 * DAY, 'SAP session 9 timed out'), failure(from + HOUR, 'Licence expired')];
    const between = (a: number, b: number) => all.filter((f) => f.endedAt! >= a && f.endedAt! < b);
    const failedBefore = (time: number) => all.filter((f) => f.endedAt! < time).at(-1)?.endedAt;
    const watching = new ErrorMemory();
    watching.see(between(0, from));
    const expected = watching.see(between(from, from + DAY), everyTwoMinutes);
    // The SAP timeout, not met for 17 days, was new again 3 days before.
    expect([...expected.values()]).toMatchObject([{ pattern: 'Licence expired', newErrors: 1 }]);
    expect(newErrorsBetween(from, from + DAY, between, everyTwoMinutes, failedBefore).judged).toEqual(expected);
    // Without knowing of the failure before its two memories, it would take the fleet for 3 days old.
    expect(newErrorsBetween(from, from + DAY, between, everyTwoMinutes).judged).toEqual(new Map());
  });
});
