/** One benchmark figure beside the baseline measured in the same run. */
export interface Figure {
  scenario: string;
  metric: string;
  unit: string;
  value: number;
  baselineName: string;
  baseline: number;
  /** value / baseline. */
  ratio: number;
  target?: string;
  met?: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value below which a share `p` of `values` lies (the nearest rank above it). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Median over `runs` repetitions of `fn`, which returns one measurement. */
export async function repeat(runs: number, fn: () => number | Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await fn());
  return median(values);
}

export function figure(f: Omit<Figure, 'ratio'>): Figure {
  return { ...f, ratio: f.baseline === 0 ? NaN : f.value / f.baseline };
}
