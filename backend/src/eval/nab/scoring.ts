/**
 * The Numenta Anomaly Benchmark's scoring rules (NAB v1.1), as restated in the data set's README:
 * windows reward early detections through a scaled sigmoid, misses cost fnWeight, detections
 * outside windows cost fpWeight scaled by their distance from the previous window, and one
 * threshold for the whole corpus is the one that maximises the corpus score.
 */

export interface Profile {
  name: 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';
  tp: number;
  fn: number;
  fp: number;
}

export const PROFILES: readonly Profile[] = [
  { name: 'standard', tp: 1, fn: 1, fp: 0.11 },
  { name: 'reward_low_FP_rate', tp: 1, fn: 1, fp: 0.22 },
  { name: 'reward_low_FN_rate', tp: 1, fn: 2, fp: 0.11 },
];

/** One labelled series: its anomaly scores by row, and its windows as inclusive row ranges. */
export interface ScoredFile {
  name: string;
  scores: readonly number[];
  windows: ReadonlyArray<{ first: number; last: number }>;
}

/** NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1, and -1 from x > 3 on. */
export function scaledSigmoid(x: number): number {
  return x > 3 ? -1 : 2 / (1 + Math.exp(5 * x)) - 1;
}

export function probationaryRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** What a detection at `row` is worth: in a window (with that window), or as a false positive. */
interface RowValue {
  score: number;
  window: number;
  value: number;
}

function rowValues(file: ScoredFile, profile: Profile, windowOffset: number): RowValue[] {
  const values: RowValue[] = [];
  const maxTp = scaledSigmoid(-1);
  let w = 0;
  for (let row = probationaryRows(file.scores.length); row < file.scores.length; row++) {
    while (w < file.windows.length && file.windows[w].last < row) w++;
    const window = file.windows[w];
    if (window && row >= window.first) {
      const width = window.last - window.first + 1;
      const position = -(window.last - row + 1) / width;
      values.push({ score: file.scores[row], window: windowOffset + w, value: (profile.tp * scaledSigmoid(position)) / maxTp });
    } else {
      const previous = file.windows[w - 1];
      const cost = previous ? scaledSigmoid((row - previous.last) / (previous.last - previous.first + 1 - 1)) : -1;
      values.push({ score: file.scores[row], window: -1, value: profile.fp * cost });
    }
  }
  return values;
}

export interface CorpusScore {
  threshold: number;
  raw: number;
  normalised: number;
}

/**
 * The corpus score at the best threshold: sweeps every threshold (each distinct score, from the
 * highest down), keeping per window its earliest (best-valued) detection.
 */
export function scoreCorpus(files: readonly ScoredFile[], profile: Profile): CorpusScore {
  const { steps, nullScore, perfect } = sweep(files, profile);
  let top = { threshold: Infinity, raw: nullScore };
  for (const step of steps) if (step.raw > top.raw) top = step;
  return { ...top, normalised: normalise(top.raw, nullScore, perfect) };
}

/**
 * The corpus score at a threshold chosen elsewhere (on other files): what a detection threshold
 * tuned on some series scores on series it was not tuned on.
 */
export function scoreAtThreshold(files: readonly ScoredFile[], profile: Profile, threshold: number): CorpusScore {
  const { steps, nullScore, perfect } = sweep(files, profile);
  let raw = nullScore;
  for (const step of steps) {
    if (step.threshold < threshold) break;
    raw = step.raw;
  }
  return { threshold, raw, normalised: normalise(raw, nullScore, perfect) };
}

const normalise = (raw: number, nullScore: number, perfect: number) => (100 * (raw - nullScore)) / (perfect - nullScore);

/** The corpus's raw score with every threshold from the highest score down (each distinct score). */
function sweep(files: readonly ScoredFile[], profile: Profile): { steps: Array<{ threshold: number; raw: number }>; nullScore: number; perfect: number } {
  const all: RowValue[] = [];
  let windows = 0;
  for (const file of files) {
    all.push(...rowValues(file, profile, windows));
    windows += file.windows.length;
  }
  const nullScore = -profile.fn * windows;
  const perfect = profile.tp * windows;
  all.sort((a, b) => b.score - a.score);
  const best = new Array<number | undefined>(windows).fill(undefined);
  let total = nullScore; // nothing detected: every window missed
  const steps: Array<{ threshold: number; raw: number }> = [];
  for (let i = 0; i < all.length;) {
    const threshold = all[i].score;
    for (; i < all.length && all[i].score === threshold; i++) {
      const row = all[i];
      if (row.window < 0) {
        total += row.value;
      } else {
        const current = best[row.window];
        if (current === undefined) {
          total += profile.fn + row.value;
          best[row.window] = row.value;
        } else if (row.value > current) {
          total += row.value - current;
          best[row.window] = row.value;
        }
      }
    }
    steps.push({ threshold, raw: total });
  }
  return { steps, nullScore, perfect };
}
