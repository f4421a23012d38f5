import fs from 'node:fs';
import path from 'node:path';
import { numberOption, parseOptions, UsageError } from '../../cli';
import { readLabels, readPublishedScores, readSeries, toScoredFile } from './corpus';
import { scoreSeries } from './nabDetector';
import { PROFILES, scoreCorpus, type ScoredFile } from './scoring';

const USAGE = `npm run eval:nab -- --data DIR --labels FILE [--out DIR] [--results DIR --detector NAME]

Runs the collector's anomaly detector online over every DIR/<category>/<name>.csv, writes
OUT/<category>/rpa_<name>.csv (timestamp,value,anomaly_score), scores the corpus with the NAB
rules and prints one JSON line. With --results and --detector it scores a detector's published
results instead (e.g. --detector windowedGaussian), to check the scorer.`;

async function main(argv: string[]): Promise<void> {
  const o = parseOptions(argv, { data: { type: 'string' }, labels: { type: 'string' }, out: { type: 'string' }, results: { type: 'string' }, detector: { type: 'string' }, sensitivity: { type: 'string', default: '4' } }, USAGE);
  if (o.help) return void process.stdout.write(`${USAGE}\n`);
  if (!o.data || !o.labels) throw new UsageError(`--data and --labels are required\n\n${USAGE}`);
  const labels = readLabels(o.labels as string);
  const series = readSeries(o.data as string);
  const files: ScoredFile[] = [];
  for (const s of series) {
    let scores: number[];
    if (o.results) {
      if (!o.detector) throw new UsageError('--results needs --detector');
      scores = readPublishedScores(o.results as string, o.detector as string, s);
    } else {
      const times = s.timestamps.map((t) => Date.parse(`${t.replace(' ', 'T')}Z`));
      scores = scoreSeries(s.values, times, numberOption(o.sensitivity, 'sensitivity', 0.5, 50));
      if (o.out) {
        const dir = path.join(o.out as string, s.category);
        fs.mkdirSync(dir, { recursive: true });
        const rows = s.timestamps.map((t, i) => `${t},${s.values[i]},${scores[i]}`);
        fs.writeFileSync(path.join(dir, `rpa_${s.name}.csv`), `timestamp,value,anomaly_score\n${rows.join('\n')}\n`);
      }
    }
    files.push(toScoredFile(s, scores, labels));
  }
  const result: Record<string, number> = { files: files.length };
  for (const profile of PROFILES) result[profile.name] = Math.round(scoreCorpus(files, profile).normalised * 10) / 10;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof UsageError ? error.message : (error as Error).stack}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
