const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bucket sizes a dashboard reads easily; a computed interval is rounded up to one of them. */
const NICE = [
  SECOND,
  5 * SECOND,
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
];

/**
 * The bucket for a panel: at least Grafana's `intervalMs`, few enough buckets for
 * `maxDataPoints`, never below `minimumMs`, rounded up to a readable size.
 */
export function bucketSize(range: { from: number; to: number }, intervalMs = 0, maxDataPoints = 1000, minimumMs = MINUTE): number {
  const needed = Math.max(intervalMs, Math.ceil((range.to - range.from) / Math.max(1, maxDataPoints)), minimumMs);
  return NICE.find((size) => size >= needed) ?? Math.ceil(needed / DAY) * DAY;
}

/** Start times of every bucket that overlaps [from, to). */
export function bucketStarts(range: { from: number; to: number }, size: number): number[] {
  const starts: number[] = [];
  for (let t = Math.floor(range.from / size) * size; t < range.to; t += size) starts.push(t);
  return starts;
}
