import type { Frame } from '@rpa-analytics/contract';

/**
 * Asserts two panels' answers are the same frames (names, labels, times, empty cells), with
 * `sameValue` asserting each pair of non-empty values: one read a fast way, one the plain way.
 */
export function expectSameFrames(fast: Frame[], exact: Frame[], sameValue: (fast: number, exact: number) => void): void {
  expect(fast.map((f) => [f.name, f.fields[1].labels])).toEqual(exact.map((f) => [f.name, f.fields[1].labels]));
  fast.forEach((frame, i) => {
    expect(frame.fields[0].values).toEqual(exact[i].fields[0].values);
    const a = frame.fields[1].values as Array<number | null>;
    const b = exact[i].fields[1].values as Array<number | null>;
    expect(a.map((v) => v === null)).toEqual(b.map((v) => v === null));
    a.forEach((v, j) => {
      if (v !== null) sameValue(v, b[j]!);
    });
  });
}
