const DAY = 86_400_000;

export interface TimeRange {
  from: number;
  to: number;
}

/** Accepts epoch milliseconds or Dates, as the seed's `datetime` arguments were. */
export function toRange(start: number | Date, end: number | Date): TimeRange {
  const range = { from: +start, to: +end };
  if (!Number.isFinite(range.from) || !Number.isFinite(range.to)) throw new RangeError('start and end must be valid times');
  if (range.to <= range.from) throw new RangeError(`end (${new Date(range.to).toISOString()}) must be after start (${new Date(range.from).toISOString()})`);
  return range;
}

export function lastDays(days: number, now: number): TimeRange {
  return { from: now - days * DAY, to: now };
}

/** Baseline and current periods of a range: the current one is its last quarter, at least a day. */
export function splitForDegradation(range: TimeRange): { baseline: TimeRange; current: TimeRange } {
  const currentLength = Math.max(DAY, (range.to - range.from) / 4);
  const split = Math.max(range.from, range.to - currentLength);
  return { baseline: { from: range.from, to: split }, current: { from: split, to: range.to } };
}
