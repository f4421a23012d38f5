import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import type { Anomaly, Incident } from '@rpa-analytics/contract';
import { DEMO_FLEET, latestMonday, runSimulation } from '../../sim/simulator';
import { spawnCollector, stopCollector } from '../../testing/collectorProcess';
import { disagreement, scoreSimulation, type SimScore } from './score';

const USAGE = `npm run eval:sim -- [--days N] [--seed N] [--end ISO|now] [--mode live|preloaded|both] [--interval-ms N]
  [--min-recall R] [--max-unexplained-per-day U] [--max-control-anomalies C] [--max-incidents-per-injected R]
  [--max-mixed M] [--one-incident-each] [--max-median-detection-minutes D] [--dump DIR]

Scores the analysis against the simulator's ground truth, the way the README runs it: a collector
of its own (a temporary data folder, loopback, a free port) is started first, with its analysis on,
then the demo's fleet with its nine injected incidents is sent to it (its period ending on the
latest Monday 00:00 UTC, or at --end: 'now' is the demo's own default), then one analysis pass
is asked for (the README's "or POST /api/v1/analysis/run"). --interval-ms sets the collector's time between
passes while the data arrives (default 60000, as the README's collector; 1000 judges it in many
passes). With --mode preloaded the data arrives with the analysis off and a restarted collector
judges it; --mode both runs live, then preloaded, and fails unless they agree (the same incidents
found, anomaly counts within 10%). Prints one JSON line a mode, then a table; exits 1 below the
thresholds: --max-incidents-per-injected bounds the incidents reported against those injected,
--max-mixed the incidents that hold anomalies of several causes (or of one and of none),
--one-incident-each asks that every injected incident be exactly one pure incident, and
--max-median-detection-minutes bounds the median time, in the data, from the start of a workflow's
injected incident to the end of the run or hour that had it reported. --dump writes the ground
truth, anomalies and incidents of each mode to DIR.`;

const HOUR = 3_600_000;

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function table(score: SimScore): string {
  const rows = score.incidents.map(
    (i) => `| ${i.id} | ${i.found ? 'found' : 'missed'} | ${i.delayMinutes ?? ''} | ${i.detectedMinutes ?? ''} | ${i.anomalies} | ${i.pureIncidents} |`,
  );
  return [
    '| injected incident | found | starts after (minutes) | detected after (minutes) | anomalies on it | pure incidents of it |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `median detection delay of the workflows' incidents: ${score.medianDetectedMinutes ?? 'none'} minutes`,
    `recall ${score.found}/${score.injected}; ${score.anomalies} anomalies (${score.afterPeriod} after the period left out; ${score.controlAnomalies} on control workflows), ${score.unexplained} unexplained after the first week (${score.unexplainedPerDay === null ? 'no settled days' : `${score.unexplainedPerDay.toFixed(2)} a day`}); ` +
      `${score.reportedIncidents} incidents reported: ${score.pure} pure, ${score.mixed} mixed, ${score.noise} noise`,
  ].join('\n');
}

type Mode = 'live' | 'preloaded';

/** Starts a collector, sends the fleet, has it judged, and scores what it reports. */
async function evaluate(
  mode: Mode,
  options: { days: number; seed: number; intervalMs: number; end?: number; dump?: string },
  say: (line: string) => void,
): Promise<SimScore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-eval-sim-'));
  let collector: { child: ChildProcess; url: string } | undefined;
  try {
    const analysis = { RPA_ANALYSIS_INTERVAL_MS: String(options.intervalMs) };
    // As the README: the collector first (analysis on, or off while the data arrives when preloaded).
    collector = await spawnCollector({ RPA_DATA_DIR: dataDir, ...analysis, ...(mode === 'preloaded' ? { RPA_ANALYSIS: 'off' } : {}) });
    // The period ends at the latest Monday 00:00 UTC: the fleet's week (business hours, weekends)
    // falls on the same days every run, so a seed scores alike whatever day it runs on, and the
    // data stays within the collector's default history.
    const end = options.end ?? latestMonday(Date.now());
    say(`collector at ${collector.url} (${mode}); sending ${options.days} days of the demo fleet to ${new Date(end).toISOString()}, seed ${options.seed} ...`);
    const truth = await runSimulation({
      url: collector.url,
      seed: options.seed,
      days: options.days,
      end,
      ...DEMO_FLEET,
    });
    say(`sent ${truth.totals.executions} runs, ${truth.totals.steps} steps, ${truth.totals.samples} samples`);
    if (mode === 'preloaded') {
      await stopCollector(collector.child);
      collector = await spawnCollector({ RPA_DATA_DIR: dataDir, ...analysis });
      say('collector restarted with the analysis on');
    }
    const pass = await fetch(`${collector.url}/api/v1/analysis/run`, { method: 'POST' });
    if (!pass.ok) throw new Error(`analysis pass: ${pass.status} ${await pass.text()}`);
    say(`analysis pass: ${JSON.stringify(await pass.json())}`);
    const anomalies = await getJson<Anomaly[]>(`${collector.url}/api/v1/anomalies?limit=10000`);
    const incidents = await getJson<Incident[]>(`${collector.url}/api/v1/incidents?limit=10000`);
    if (options.dump) {
      fs.mkdirSync(options.dump, { recursive: true });
      const file = path.join(options.dump, `sim-seed${options.seed}-${mode}.json`);
      fs.writeFileSync(file, JSON.stringify({ truth, anomalies, incidents }, null, 1));
      say(`wrote ${file}`);
    }
    return scoreSimulation(truth, anomalies, incidents);
  } finally {
    if (collector) await stopCollector(collector.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      days: { type: 'string', default: '14' },
      seed: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'live' },
      'interval-ms': { type: 'string', default: '60000' },
      end: { type: 'string' },
      'min-recall': { type: 'string', default: '0' },
      'max-unexplained-per-day': { type: 'string' },
      'max-control-anomalies': { type: 'string' },
      'max-incidents-per-injected': { type: 'string' },
      'max-mixed': { type: 'string' },
      'one-incident-each': { type: 'boolean' },
      'max-median-detection-minutes': { type: 'string' },
      dump: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const days = Number(o.days);
  const seed = Number(o.seed);
  const intervalMs = Number(o['interval-ms']);
  // As the demo takes it: the current hour for "now", else an ISO date-time.
  const end = o.end === undefined ? undefined : o.end === 'now' ? Math.floor(Date.now() / HOUR) * HOUR : Date.parse(o.end);
  if (end !== undefined && Number.isNaN(end)) throw new Error(`--end: '${o.end}' is not an ISO date-time or 'now'\n\n${USAGE}`);
  if (!(days > 0 && days <= 90) || !Number.isInteger(seed) || !['live', 'preloaded', 'both'].includes(o.mode!) || !(intervalMs >= 1000))
    throw new Error(`bad arguments\n\n${USAGE}`);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const modes: Mode[] = o.mode === 'both' ? ['live', 'preloaded'] : [o.mode as Mode];
  const failures: string[] = [];
  const scores = new Map<Mode, SimScore>();
  for (const mode of modes) {
    const score = await evaluate(mode, { days, seed, intervalMs, ...(end === undefined ? {} : { end }), ...(o.dump ? { dump: o.dump } : {}) }, say);
    scores.set(mode, score);
    process.stdout.write(`${JSON.stringify({ mode, days, seed, intervalMs, ...score })}\n${table(score)}\n`);
    if (score.recall < Number(o['min-recall'])) failures.push(`${mode}: recall ${score.recall.toFixed(2)} below ${o['min-recall']}`);
    const maxUnexplained = o['max-unexplained-per-day'];
    if (maxUnexplained !== undefined && (score.unexplainedPerDay ?? 0) > Number(maxUnexplained))
      failures.push(`${mode}: ${score.unexplainedPerDay!.toFixed(2)} unexplained anomalies a day, above ${maxUnexplained}`);
    const maxControl = o['max-control-anomalies'];
    if (maxControl !== undefined && score.controlAnomalies > Number(maxControl))
      failures.push(`${mode}: ${score.controlAnomalies} anomalies on control workflows, above ${maxControl}`);
    const maxRatio = o['max-incidents-per-injected'];
    if (maxRatio !== undefined && score.reportedIncidents > Number(maxRatio) * score.injected)
      failures.push(`${mode}: ${score.reportedIncidents} incidents reported for ${score.injected} injected, above ${maxRatio}x`);
    if (o['max-mixed'] !== undefined && score.mixed > Number(o['max-mixed'])) failures.push(`${mode}: ${score.mixed} mixed incidents, above ${o['max-mixed']}`);
    const maxDelay = o['max-median-detection-minutes'];
    if (maxDelay !== undefined && !((score.medianDetectedMinutes ?? 0) <= Number(maxDelay)))
      failures.push(`${mode}: median detection delay ${score.medianDetectedMinutes} minutes, above ${maxDelay}`);
    const notOne = score.incidents.filter((i) => i.pureIncidents !== 1);
    if (o['one-incident-each'] && notOne.length)
      failures.push(`${mode}: not one pure incident each: ${notOne.map((i) => `${i.id} has ${i.pureIncidents}`).join(', ')}`);
  }
  if (scores.size === 2) {
    const differ = disagreement(scores.get('live')!, scores.get('preloaded')!);
    if (differ) failures.push(`the modes disagree: ${differ}`);
  }
  for (const failure of failures) process.stderr.write(`eval:sim: ${failure}\n`);
  return failures.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`eval:sim: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
