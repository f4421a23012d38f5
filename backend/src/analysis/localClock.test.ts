import { isTimeZone, isWeekendDay, LocalClock, localClock } from './localClock';

const HOUR = 3_600_000;

/** The local hour of the day and whether it falls on a weekend, as seasonal baselines bucket it. */
function wallClock(timeZone: string, iso: string): { hour: number; weekend: boolean } {
  const hours = new LocalClock(timeZone).hour(Date.parse(iso));
  return { hour: hours % 24, weekend: isWeekendDay(Math.floor(hours / 24)) };
}

describe('LocalClock', () => {
  it.each([
    ['UTC is the epoch hour itself', 'UTC', '2026-11-28T01:30:00Z', { hour: 1, weekend: true }],
    ['a Saturday 01:30 in UTC is Friday 17:30 in Los Angeles (PST)', 'America/Los_Angeles', '2026-11-28T01:30:00Z', { hour: 17, weekend: false }],
    ['a Sunday 23:30 in UTC is Monday 08:30 in Tokyo', 'Asia/Tokyo', '2026-11-29T23:30:00Z', { hour: 8, weekend: false }],
    ['a Monday 03:45 in UTC is 09:15 in Kolkata (UTC+05:30)', 'Asia/Kolkata', '2026-01-05T03:45:00Z', { hour: 9, weekend: false }],
    ['09:00 in Berlin is 08:00 UTC in winter', 'Europe/Berlin', '2026-01-05T08:00:00Z', { hour: 9, weekend: false }],
    ['and 07:00 UTC in summer', 'Europe/Berlin', '2026-07-06T07:00:00Z', { hour: 9, weekend: false }],
  ])('%s', (_name, zone, iso, expected) => {
    expect(wallClock(zone, iso)).toEqual(expected);
  });

  it('skips the hour that daylight-saving time skips and repeats the one it repeats (Berlin, 2026)', () => {
    const berlin = new LocalClock('Europe/Berlin');
    const hours = (iso: string) => [0, 1, 2].map((i) => berlin.hour(Date.parse(iso) + i * HOUR) % 24);
    // 29 March: 02:00 local does not exist; 25 October: 02:00 local comes twice.
    expect(hours('2026-03-29T00:30:00Z')).toEqual([1, 3, 4]);
    expect(hours('2026-10-25T00:30:00Z')).toEqual([2, 2, 3]);
  });

  it("follows a change of daylight-saving time at half past a UTC hour to the minute (St. John's, 8 March 2026, 02:00 there)", () => {
    const stJohns = new LocalClock('America/St_Johns');
    // 05:15 UTC is 01:45 NST (UTC-03:30); 05:45 UTC is 03:15 NDT (UTC-02:30): 02:00 never comes.
    expect(['05:15', '05:45'].map((hhmm) => stJohns.hour(Date.parse(`2026-03-08T${hhmm}:00Z`)) % 24)).toEqual([1, 3]);
    expect(stJohns.offsetMs(Date.parse('2026-03-08T05:45:00Z'))).toBe(-2.5 * HOUR);
  });

  it('says when a local hour starts in UTC: 09:00 in Kolkata, and in Berlin either side of a change', () => {
    const at = (zone: string, iso: string) => {
      const clock = new LocalClock(zone);
      return new Date(clock.startOf(clock.hour(Date.parse(iso)))).toISOString();
    };
    expect(at('Asia/Kolkata', '2026-01-05T03:45:00Z')).toBe('2026-01-05T03:30:00.000Z');
    expect(at('Europe/Berlin', '2026-03-27T08:20:00Z')).toBe('2026-03-27T08:00:00.000Z');
    expect(at('Europe/Berlin', '2026-03-30T07:20:00Z')).toBe('2026-03-30T07:00:00.000Z');
  });

  it('knows a zone by any spelling the runtime takes: baselines saved under one are the same zone under another', () => {
    expect(['utc', 'Etc/UTC', 'america/los_angeles'].map((zone) => new LocalClock(zone).timeZone)).toEqual(['UTC', 'UTC', 'America/Los_Angeles']);
  });

  it('counts whole local hours since the local epoch: a Thursday, as in UTC', () => {
    // 1970-01-01 00:00 in Tokyo was 1969-12-31 15:00 UTC.
    expect(new LocalClock('Asia/Tokyo').hour(Date.parse('1969-12-31T15:00:00Z'))).toBe(0);
    expect([0, 1, 2, 3, 4, 5, 6].map(isWeekendDay)).toEqual([false, false, true, true, false, false, false]);
  });

  it('rejects a name that is not a time zone, and says which names are', () => {
    expect(() => new LocalClock('Mars/Olympus_Mons')).toThrow(RangeError);
    expect([isTimeZone('Mars/Olympus_Mons'), isTimeZone('Europe/Berlin'), isTimeZone('UTC')]).toEqual([false, true, true]);
  });

  it('is one clock per zone', () => {
    expect(localClock('Europe/Berlin')).toBe(localClock('Europe/Berlin'));
    expect(localClock().timeZone).toBe('UTC');
  });
});
