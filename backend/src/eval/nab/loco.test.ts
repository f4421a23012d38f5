import { leaveOneCategoryOut } from './loco';
import type { ScoredFile } from './scoring';

/** 100 rows (15 probationary), a window on rows 50-59 unless it has none; scores by row. */
const file = (name: string, scores: Record<number, number>, windows = [{ first: 50, last: 59 }]): ScoredFile => ({
  name,
  scores: Array.from({ length: 100 }, (_, i) => scores[i] ?? 0),
  windows,
});
const categoryOf = (name: string) => name.split('/')[0];

describe('leave one category out', () => {
  // Candidate 0: alpha's window found at 0.9 with a false positive at 0.5; beta's at 0.6 only; a
  // quiet category (no window) with a false positive at 0.7.
  const candidate0 = [file('alpha/a1', { 50: 0.9, 30: 0.5 }), file('beta/b1', { 50: 0.6 }), file('quiet/q1', { 30: 0.7 }, [])];

  it('scores each category with windows at the threshold tuned on the others, beside the all-in scores', () => {
    const result = leaveOneCategoryOut([candidate0], categoryOf);
    const standard = (category: string) => result.scores.find((s) => s.category === category && s.profile === 'standard');
    // Tuned on beta and quiet: 0.6 catches beta (0.7 would only add quiet's false positive), and
    // catches alpha's window, not its false positive: 100.
    expect(standard('alpha')).toMatchObject({ heldOut: 100, threshold: 0.6, chosen: 0 });
    // Tuned on alpha and quiet: 0.9, above all beta scores: its window missed, 0.
    expect(standard('beta')).toMatchObject({ heldOut: 0, threshold: 0.9 });
    // The quiet category only tunes.
    expect(standard('quiet')).toBeUndefined();
    expect(result.meanHeldOut.standard).toBe(50);
    // All in: 0.6 over the three files catches both windows and quiet's false positive:
    // (2 - 0.11 + 2) / 4 of the way from the null score to a perfect one.
    expect(result.allIn.standard).toBe(97.2);
    expect(standard('alpha')!.allIn).toBe(100);
    expect(standard('beta')!.allIn).toBe(100);
  });

  it('chooses among candidates on the other categories only: one that would find the held-out window is not chosen for it', () => {
    // Candidate 1 finds beta's window at 0.99 but flags a false positive on alpha above its window.
    const candidate1 = [file('alpha/a1', { 50: 0.9, 30: 0.95 }), file('beta/b1', { 50: 0.99 }), file('quiet/q1', { 30: 0.7 }, [])];
    const result = leaveOneCategoryOut([candidate0, candidate1], categoryOf);
    const beta = result.scores.find((s) => s.category === 'beta' && s.profile === 'standard')!;
    // On alpha and quiet, candidate 0 scores 100, candidate 1 less (its false positive): 0 chosen, beta missed.
    expect(beta).toMatchObject({ chosen: 0, heldOut: 0 });
    // The all-in scores are candidate 0's.
    expect(result.allIn.standard).toBe(97.2);
  });
});
