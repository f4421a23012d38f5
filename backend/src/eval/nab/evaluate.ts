import fs from 'node:fs';
import path from 'node:path';
import { numberOption, parseOptions, UsageError } from '@rpa-analytics/sdk';
import { readLabels, readPublishedScores, readSeries, toScoredFile } from './corpus';
import { leaveOneCategoryOut, type LeaveOneCategoryOut, nabTime, scoreCandidates } from './loco';
import { DEFAULT_NAB_SETTINGS, NAB_CANDIDATES, scoreSeries } from './nabDetector';
import { PROFILES, scoreCorpus, type ScoredFile } from './scoring';

const USAGE = `npm run eval:nab -- --data DIR --labels FILE [--out DIR] [--results DIR --detector NAME]
                         [--leave-one-category-out [--min-held-out S] [--min-all-in S]]

Runs the collector's anomaly detector online over every DIR/<category>/<name>.csv, writes
OUT/<category>/rpa_<name>.csv (timestamp,value,anomaly_score), scores the corpus with the NAB
rules and prints one JSON line. With --results and --detector it scores a detector's published
results instead (e.g. --detector windowedGaussian), to check the scorer.

--leave-one-category-out holds out each category with labelled windows in turn: the settings
(among ${NAB_CANDIDATES.length} candidates) and the threshold that score best on the other categories are
chosen, and the held-out one is scored with them (with --results and --detector: that detector's
published scores, only the threshold tuned on the others). It prints a table of held-out against all-in
scores per category and profile, then one JSON line; it exits 1 when the mean held-out standard
score is below --min-held-out or the all-in standard score below --min-all-in.`;

async function main(argv: string[]): Promise<void> {
  const o = parseOptions(
    argv,
    {
      data: { type: 'string' },
      labels: { type: 'string' },
      out: { type: 'string' },
      results: { type: 'string' },
      detector: { type: 'string' },
      sensitivity: { type: 'string', default: '4' },
      'leave-one-category-out': { type: 'boolean' },
      'min-held-out': { type: 'string' },
      'min-all-in': { type: 'string' },
    },
    USAGE,
  );
  if (o.help) return void process.stdout.write(`${USAGE}\n`);
  if (!o.data || !o.labels) throw new UsageError(`--data and --labels are required\n\n${USAGE}`);
  const labels = readLabels(o.labels as string);
  const series = readSeries(o.data as string);
  if (o['leave-one-category-out']) {
    const scored = o.results
      ? // A published detector: its one set of scores, its threshold still tuned on the other categories.
        [series.map((s) => toScoredFile(s, readPublishedScores(o.results as string, publishedDetector(o.detector), s), labels))]
      : scoreCandidates(series, labels, NAB_CANDIDATES, (done, total) =>
          process.stderr.write(`scored ${done} of ${total} candidate settings over ${series.length} series\n`),
        );
    const categoryOf = new Map(series.map((s) => [s.key, s.category]));
    const result = leaveOneCategoryOut(scored, (file) => categoryOf.get(file)!);
    process.stdout.write(locoTable(result, o.results ? publishedDetector(o.detector) : undefined));
    process.stdout.write(`${JSON.stringify({ meanHeldOut: result.meanHeldOut, allIn: result.allIn })}\n`);
    const failures: string[] = [];
    if (o['min-held-out'] !== undefined && result.meanHeldOut.standard < numberOption(o['min-held-out'], 'min-held-out', 0, 100))
      failures.push(`mean held-out standard score ${result.meanHeldOut.standard} below ${o['min-held-out']}`);
    if (o['min-all-in'] !== undefined && result.allIn.standard < numberOption(o['min-all-in'], 'min-all-in', 0, 100))
      failures.push(`all-in standard score ${result.allIn.standard} below ${o['min-all-in']}`);
    for (const failure of failures) process.stderr.write(`eval:nab: ${failure}\n`);
    if (failures.length) process.exitCode = 1;
    return;
  }
  const files: ScoredFile[] = [];
  for (const s of series) {
    let scores: number[];
    if (o.results) {
      scores = readPublishedScores(o.results as string, publishedDetector(o.detector), s);
    } else {
      scores = scoreSeries(s.values, s.timestamps.map(nabTime), { ...DEFAULT_NAB_SETTINGS, sensitivity: numberOption(o.sensitivity, 'sensitivity', 0.5, 50) });
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

function publishedDetector(name: unknown): string {
  if (typeof name !== 'string') throw new UsageError('--results needs --detector');
  return name;
}

/** Held-out against all-in, a row per category, a column pair per profile; the chosen settings named. */
function locoTable({ scores, meanHeldOut, allIn }: LeaveOneCategoryOut, published?: string): string {
  const categories = [...new Set(scores.map((s) => s.category))];
  const cell = (category: string, profile: string) => scores.find((s) => s.category === category && s.profile === profile)!;
  const settings = (i: number) =>
    published ? `${published}'s published scores` : `refractory ${NAB_CANDIDATES[i].refractoryPoints}, mean of ${NAB_CANDIDATES[i].rarityMeanPoints}`;
  const lines = [
    `| held-out category | ${PROFILES.map((p) => `${p.name} held out | all in`).join(' | ')} | chosen on the others (standard) |`,
    `|---|${PROFILES.map(() => '---|---').join('|')}|---|`,
    ...categories.map(
      (c) => `| ${c} | ${PROFILES.map((p) => `${cell(c, p.name).heldOut} | ${cell(c, p.name).allIn}`).join(' | ')} | ${settings(cell(c, 'standard').chosen)} |`,
    ),
    `| mean held out / whole corpus | ${PROFILES.map((p) => `${meanHeldOut[p.name]} | ${allIn[p.name]}`).join(' | ')} | |`,
  ];
  return `${lines.join('\n')}\n`;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof UsageError ? error.message : (error as Error).stack}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
