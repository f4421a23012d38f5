import { type Series, toScoredFile } from './corpus';
import { type NabSettings, scoreSeries } from './nabDetector';
import { type Profile, PROFILES, scoreAtThreshold, scoreCorpus, type ScoredFile } from './scoring';

/** One held-out category under one profile. */
export interface HeldOutScore {
  category: string;
  profile: Profile['name'];
  /** Its score with the settings and threshold chosen on the other categories. */
  heldOut: number;
  /** Its score when everything is tuned on every file: the default settings at the corpus's best threshold. */
  allIn: number;
  /** The candidate chosen on the other categories (its index in the candidates), and its threshold. */
  chosen: number;
  threshold: number;
}

export interface LeaveOneCategoryOut {
  scores: HeldOutScore[];
  /** Per profile: the mean held-out score over the categories with windows. */
  meanHeldOut: Record<Profile['name'], number>;
  /** Per profile: the whole corpus at its best threshold, with the default settings. */
  allIn: Record<Profile['name'], number>;
}

/**
 * Every file scored by each candidate's settings, online, once: the choosing is arithmetic on
 * those scores. `candidates[0]` are the defaults, whose all-in scores stand beside the held-out ones.
 */
export function scoreCandidates(
  series: readonly Series[],
  labels: Record<string, Array<[string, string]>>,
  candidates: readonly NabSettings[],
  onProgress?: (done: number, total: number) => void,
): ScoredFile[][] {
  return candidates.map((settings, c) => {
    const files = series.map((s) => toScoredFile(s, scoreSeries(s.values, s.timestamps.map(nabTime), settings), labels));
    onProgress?.(c + 1, candidates.length);
    return files;
  });
}

/**
 * Generalization measured on the data at hand: each category with labelled windows is held out
 * in turn, the candidate (`scored[c]`: every file as candidate c scored it) and the threshold that
 * score best on the other categories are chosen (the first on a tie), and the held-out category is
 * scored with them. A category without windows (no anomaly to find) only ever tunes: NAB's
 * normalised score is undefined on it. The all-in scores are candidate 0's at the whole corpus's
 * best threshold.
 */
export function leaveOneCategoryOut(scored: readonly ScoredFile[][], categoryOf: (file: string) => string): LeaveOneCategoryOut {
  const categories = [...new Set(scored[0].filter((f) => f.windows.length > 0).map((f) => categoryOf(f.name)))];
  const scores: HeldOutScore[] = [];
  const allIn = {} as Record<Profile['name'], number>;
  const meanHeldOut = {} as Record<Profile['name'], number>;
  for (const profile of PROFILES) {
    const corpus = scoreCorpus(scored[0], profile);
    allIn[profile.name] = round(corpus.normalised);
    for (const category of categories) {
      const inside = (f: ScoredFile) => categoryOf(f.name) === category;
      let best = { chosen: 0, score: -Infinity, threshold: Infinity };
      scored.forEach((files, c) => {
        const tuned = scoreCorpus(
          files.filter((f) => !inside(f)),
          profile,
        );
        if (tuned.normalised > best.score) best = { chosen: c, score: tuned.normalised, threshold: tuned.threshold };
      });
      scores.push({
        category,
        profile: profile.name,
        heldOut: round(scoreAtThreshold(scored[best.chosen].filter(inside), profile, best.threshold).normalised),
        allIn: round(scoreAtThreshold(scored[0].filter(inside), profile, corpus.threshold).normalised),
        chosen: best.chosen,
        threshold: best.threshold,
      });
    }
    const held = scores.filter((s) => s.profile === profile.name);
    meanHeldOut[profile.name] = round(held.reduce((sum, s) => sum + s.heldOut, 0) / held.length);
  }
  return { scores, meanHeldOut, allIn };
}

/** A NAB timestamp ('2014-04-01 00:00:00') as epoch milliseconds, UTC. */
export const nabTime = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`);

const round = (value: number) => Math.round(value * 10) / 10;
