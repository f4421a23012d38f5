import { UNSAFE_TEXT } from '@rpa-analytics/contract';

/** The contract's longest name. */
export const MAX_NAME = 256;
const UNSAFE = new RegExp(UNSAFE_TEXT.source, 'g');

/**
 * Another platform's text as a name the contract takes: control characters and bidirectional
 * overrides as spaces, trimmed, cut at `max` with an ellipsis; undefined when nothing is left.
 */
export function asName(text: string | undefined, max = MAX_NAME): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(UNSAFE, ' ').trim();
  if (!clean) return undefined;
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

/**
 * A time written without an offset (Robot Framework's, a spreadsheet's) in epoch ms: at
 * `offsetMinutes` east of UTC, or in this machine's time zone when it is undefined. Undefined for
 * a date or time that does not exist (30 February, hour 25): it is not rolled over into another.
 */
export function wallClockTime(
  parts: { year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number },
  offsetMinutes: number | undefined,
): number | undefined {
  const { year, month, day, hour, minute, second, ms } = parts;
  const asUtc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  if (asUtc.getUTCMonth() !== month - 1 || asUtc.getUTCDate() !== day || asUtc.getUTCHours() !== hour || asUtc.getUTCMinutes() !== minute || second > 59) {
    return undefined;
  }
  const time = offsetMinutes === undefined ? new Date(year, month - 1, day, hour, minute, second, ms).getTime() : asUtc.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(time) ? time : undefined;
}

/** Digits after a second's decimal point as whole milliseconds ("125000" is 125). */
export const fractionMs = (digits: string | undefined): number => (digits ? Math.floor(Number(`0.${digits}`) * 1000) : 0);
