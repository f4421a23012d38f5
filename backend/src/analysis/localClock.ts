const HOUR = 3_600_000;

/**
 * The wall clock of the fleet's time zone (`RPA_TIME_ZONE`), to the hour: what seasonal baselines
 * bucket by. A fleet in Los Angeles works Friday afternoons that UTC calls Saturday, and its
 * 09:00 moves an hour in UTC twice a year; its hours of the day and its weekends are its own.
 */
export class LocalClock {
  /** The offset from UTC of each UTC hour asked about: a series' points share a few thousand hours. */
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat | undefined;

  /** @throws RangeError for a name that is not an IANA time zone. */
  constructor(readonly timeZone: string) {
    if (timeZone === 'UTC') return;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
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
    const utcHour = Math.floor(time / HOUR);
    return this.format ? Math.floor((time + this.offsetAt(utcHour)) / HOUR) : utcHour;
  }

  private offsetAt(utcHour: number): number {
    let offset = this.offsets.get(utcHour);
    if (offset === undefined) {
      const parts: Record<string, number> = {};
      for (const { type, value } of this.format!.formatToParts(utcHour * HOUR)) parts[type] = Number(value);
      offset = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - utcHour * HOUR;
      this.offsets.set(utcHour, offset);
    }
    return offset;
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

/** Whether `timeZone` names a zone this runtime knows (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
