import { PROFILES, probationaryRows, scaledSigmoid, scoreAtThreshold, scoreCorpus, type ScoredFile } from './scoring';

const standard = PROFILES[0];
/** 100 rows (15 probationary), one window on rows 50-59. */
const file = (scores: Record<number, number>): ScoredFile => ({
  name: 'tiny',
  scores: Array.from({ length: 100 }, (_, i) => scores[i] ?? 0),
  windows: [{ first: 50, last: 59 }],
});

describe('NAB scoring rules', () => {
  it('scales by the sigmoid: 0 at 0, -1 past 3', () => {
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(-1)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 12);
    expect(scaledSigmoid(3.5)).toBe(-1);
    expect(probationaryRows(100)).toBe(15);
    expect(probationaryRows(10_000)).toBe(750);
  });

  it('gives a perfect 100 to a detection at the very start of every window', () => {
    expect(scoreCorpus([file({ 50: 1 })], standard)).toMatchObject({ raw: 1, normalised: 100, threshold: 1 });
  });

  it('gives 0 to a detector that flags nothing', () => {
    expect(scoreCorpus([file({})], standard).normalised).toBe(0);
  });

  it('values a later detection in the window less, and only the earliest counts', () => {
    const late = scoreCorpus([file({ 59: 1 })], standard);
    // Last row of the window: position -1/10.
    expect(late.raw).toBeCloseTo(scaledSigmoid(-0.1) / scaledSigmoid(-1), 12);
    const both = scoreCorpus([file({ 52: 1, 58: 1 })], standard);
    expect(both.raw).toBeCloseTo(scaledSigmoid(-0.8) / scaledSigmoid(-1), 12);
  });

  it('charges false positives: fully before the first window, less far after one', () => {
    const before = scoreCorpus([file({ 20: 1, 50: 1 })], standard);
    expect(before.raw).toBeCloseTo(1 - 0.11, 12);
    const justAfter = scoreCorpus([file({ 50: 1, 61: 1 })], standard);
    // Two rows past the window's right edge, the window 10 wide: S(2 / 9).
    expect(justAfter.raw).toBeCloseTo(1 + 0.11 * scaledSigmoid(2 / 9), 12);
  });

  it('never scores the probationary rows', () => {
    expect(scoreCorpus([file({ 3: 1 })], standard).normalised).toBe(0);
  });

  it('picks the threshold that maximises the corpus score', () => {
    // At 0.9 only the true detection; at 0.5 a false positive joins it, which costs.
    const result = scoreCorpus([file({ 50: 0.9, 30: 0.5 })], standard);
    expect(result).toMatchObject({ threshold: 0.9, normalised: 100 });
  });

  it('scores at a threshold chosen elsewhere: what scores at or above it detects, the rest does not', () => {
    const files = [file({ 50: 0.9, 30: 0.5 })];
    expect(scoreAtThreshold(files, standard, 0.9)).toEqual({ threshold: 0.9, raw: 1, normalised: 100 });
    // Down to 0.5 the false positive counts too: 1 - 0.11 of a possible 1 (from -1).
    expect(scoreAtThreshold(files, standard, 0.5).raw).toBeCloseTo(1 - 0.11, 12);
    expect(scoreAtThreshold(files, standard, 0.5).normalised).toBeCloseTo((100 * (2 - 0.11)) / 2, 12);
    // Above every score: nothing detected, the null score.
    expect(scoreAtThreshold(files, standard, 0.95)).toEqual({ threshold: 0.95, raw: -1, normalised: 0 });
  });

  it('counts a missed window against the low-FN profile twice', () => {
    const lowFn = PROFILES[2];
    const missed = scoreCorpus([file({}), { ...file({ 50: 1 }), name: 'other' }], lowFn);
    // One window found (2 points above the null of -4), one missed: 100 * 3 / 6.
    expect(missed.normalised).toBeCloseTo(50, 12);
  });
});
