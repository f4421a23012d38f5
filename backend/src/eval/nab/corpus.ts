import fs from 'node:fs';
import path from 'node:path';
import type { ScoredFile } from './scoring';

/** One series of a NAB-shaped folder: `data/<category>/<name>.csv` with `timestamp,value`. */
export interface Series {
  /** `<category>/<name>.csv`, as the labels file keys it. */
  key: string;
  category: string;
  name: string;
  timestamps: string[];
  values: number[];
}

export function readSeries(dataDir: string): Series[] {
  const out: Series[] = [];
  for (const category of fs.readdirSync(dataDir).sort()) {
    const dir = path.join(dataDir, category);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const file of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.csv'))
      .sort()) {
      const lines = fs.readFileSync(path.join(dir, file), 'utf8').trim().split('\n').slice(1);
      const timestamps: string[] = [];
      const values: number[] = [];
      for (const line of lines) {
        const comma = line.indexOf(',');
        timestamps.push(line.slice(0, comma));
        values.push(Number(line.slice(comma + 1)));
      }
      out.push({ key: `${category}/${file}`, category, name: file.replace(/\.csv$/, ''), timestamps, values });
    }
  }
  if (out.length === 0) throw new Error(`no series under ${dataDir} (expected <category>/<name>.csv files)`);
  return out;
}

/** Windows as inclusive row ranges: the rows whose timestamps fall between start and end. */
export function windowRows(timestamps: readonly string[], windows: ReadonlyArray<[string, string]>): Array<{ first: number; last: number }> {
  const time = (t: string) => Date.parse(`${t.replace(' ', 'T').replace(/\.0+$/, '')}Z`);
  const times = timestamps.map(time);
  return windows
    .map(([start, end]) => {
      const from = time(start);
      const to = time(end);
      const first = times.findIndex((t) => t >= from);
      let last = -1;
      for (let i = times.length - 1; i >= 0; i--) {
        if (times[i] <= to) {
          last = i;
          break;
        }
      }
      return { first, last };
    })
    .filter((w) => w.first >= 0 && w.last >= w.first);
}

export function readLabels(file: string): Record<string, Array<[string, string]>> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Array<[string, string]>>;
}

/** A detector's published scores: `<results>/<detector>/<category>/<detector>_<name>.csv`. */
export function readPublishedScores(resultsDir: string, detector: string, series: Series): number[] {
  const file = path.join(resultsDir, detector, series.category, `${detector}_${series.name}.csv`);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const column = lines[0].split(',').indexOf('anomaly_score');
  if (column < 0) throw new Error(`${file} has no anomaly_score column`);
  return lines.slice(1).map((line) => Number(line.split(',')[column]));
}

export function toScoredFile(series: Series, scores: number[], labels: Record<string, Array<[string, string]>>): ScoredFile {
  if (scores.length !== series.values.length) throw new Error(`${series.key}: ${scores.length} scores for ${series.values.length} rows`);
  return { name: series.key, scores, windows: windowRows(series.timestamps, labels[series.key] ?? []) };
}
