const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * The wall clock of the fleet's time zone (`RPA_TIME_ZONE`), to the hour: what seasonal baselines
 * bucket by. A fleet in Los Angeles works Friday afternoons that UTC calls Saturday, and its
 * 09:00 moves an hour in UTC twice a year; its hours of the day and its weekends are its own.
 */
export class LocalClock {
  /** The offset from UTC at the start of each UTC hour asked about: a series' points share a few thousand hours. */
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat | undefined;
  /** The zone's canonical name (`utc` is `UTC`). */
  readonly timeZone: string;

  /** @throws RangeError for a name that is not an IANA time zone. */
  constructor(timeZone: string) {
    this.timeZone = canonicalTimeZone(timeZone);
    if (this.timeZone === 'UTC') return;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: this.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /**
   * Whole hours of the local wall clock since 1970-01-01 00:00 local time: `% 24` is the hour of
   * the day; `Math.floor(/ 24) % 7` the day of the week, 0 a Thursday. An hour that a change of
   * daylight-saving time repeats is the same hour twice; one it skips never comes.
   */
  hour(time: number): number {
    return this.format ? Math.floor((time + this.offsetMs(time)) / HOUR) : Math.floor(time / HOUR);
  }

  /** How far the local wall clock is ahead of UTC at `time`, in milliseconds (negative west of Greenwich). */
  offsetMs(time: number): number {
    if (!this.format) return 0;
    const utcHour = Math.floor(time / HOUR);
    const offset = this.cachedOffset(utcHour);
    // A zone whose clocks change within a UTC hour (Adelaide, St. John's: at half past): to the minute there.
    return offset === this.cachedOffset(utcHour + 1) ? offset : this.offsetAtMinute(Math.floor(time / MINUTE));
  }

  /**
   * The UTC time at which local hour `localHour` (as `hour` counts) starts: its first start, for
   * an hour a daylight-saving change repeats; within an hour of where it would be, for one it skips.
   */
  startOf(localHour: number): number {
    const wall = localHour * HOUR;
    return wall - this.offsetMs(wall - this.offsetMs(wall));
  }

  private cachedOffset(utcHour: number): number {
    let offset = this.offsets.get(utcHour);
    if (offset === undefined) {
      offset = this.offsetAtMinute(utcHour * 60);
      this.offsets.set(utcHour, offset);
    }
    return offset;
  }

  private offsetAtMinute(minute: number): number {
    const parts: Record<string, number> = {};
    for (const { type, value } of this.format!.formatToParts(minute * MINUTE)) parts[type] = Number(value);
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - minute * MINUTE;
  }
}

/** Whether day `day` of the epoch (`LocalClock.hour` / 24) is a Saturday or a Sunday: day 0 was a Thursday. */
export function isWeekendDay(day: number): boolean {
  const weekday = day % 7;
  return weekday === 2 || weekday === 3;
}

const clocks = new Map<string, LocalClock>();

/** The clock of `timeZone`, one per zone and thread: its offsets are learnt once. */
export function localClock(timeZone = 'UTC'): LocalClock {
  let clock = clocks.get(timeZone);
  if (!clock) clocks.set(timeZone, (clock = new LocalClock(timeZone)));
  return clock;
}

/**
 * The name the runtime knows `timeZone` by (`utc` is `UTC`, `america/new_york` is
 * `America/New_York`): baselines saved under one spelling are the same zone's under another.
 * @throws RangeError for a name that is not an IANA time zone.
 */
export function canonicalTimeZone(timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
}

/** Whether `timeZone` names a zone this runtime knows (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    canonicalTimeZone(timeZone);
    return true;
  } catch {
    return false;
  }
}
