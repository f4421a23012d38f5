import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import type { Anomaly, Incident } from '@rpa-analytics/contract';
import { DEMO_FLEET, latestMonday, runSimulation } from '../../sim/simulator';
import { OtlpTransport } from '../../sim/otlpTransport';
import { spawnCollector, stopCollector } from '../../testing/collectorProcess';
import { median } from '../../analysis/stats';
import { isTimeZone } from '../../analysis/localClock';
import { disagreement, scoreSimulation, type SimScore } from './score';

const USAGE = `npm run eval:sim -- [--days N] [--seed N] [--end ISO|now] [--mode live|preloaded|both] [--interval-ms N] [--via ingest|otlp] [--runs-per-hour R]
  [--min-recall R] [--max-unexplained-per-day U] [--max-control-anomalies C] [--max-incidents-per-injected R]
  [--max-mixed M] [--one-incident-each] [--max-median-detection-minutes D] [--dump DIR]
  [--time-zone ZONE [--collector-time-zone ZONE]]
npm run eval:sim -- --sweep N [--seeds 1,2,3] [--days N] [--end ISO] [--min-recall R] [--max-mixed M]
  [--max-control-anomalies C] [--max-noise-per-run X] [--dump DIR] [--time-zone ZONE [--collector-time-zone ZONE]]

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
truth, anomalies and incidents of each mode to DIR. --via otlp sends the runs as a runner
instrumented with OpenTelemetry would, OTLP protobuf to POST /v1/traces (steps before their runs),
instead of the ingest API (host samples still go there). --time-zone puts the fleet's business hours
and weekends in ZONE (an IANA name; default UTC) and starts the collector with RPA_TIME_ZONE set to
it, or to --collector-time-zone (a collector told the wrong zone, e.g. left on UTC). --runs-per-hour
makes the fleet busier or quieter: about R runs of each workflow an hour in business hours (above 0,
at most 1000; default ${DEMO_FLEET.runsPerHour}, the demo's; the queue worker that runs around the clock twice that).

--sweep N scores the README's demo as it meets users whenever they run it: live (a pass a minute),
for each seed of --seeds, over N periods of --days (the README's is 7) ending 31 hours apart back
from the latest Monday or from --end (12 end at 12 hours of the day, on every day of the week),
and gates the sums: recall over all of them, mixed incidents, anomalies on control workflows, and
noise incidents (of no injected incident) a run. --mode, --interval-ms and --runs-per-hour do not apply to it.`;

const HOUR = 3_600_000;

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function table(score: SimScore): string {
  const rows = score.incidents.map(
    (i) =>
      `| ${i.id} | ${i.found ? 'found' : 'missed'} | ${i.delayMinutes ?? ''} | ${i.detectedMinutes ?? ''} | ${i.afterEvidenceMinutes ?? ''} | ${i.anomalies} | ${i.pureIncidents} |`,
  );
  return [
    '| injected incident | found | starts after (minutes) | detected after (minutes) | after its first changed run ended (minutes) | anomalies on it | pure incidents of it |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `median detection delay of the workflows' incidents: ${score.medianDetectedMinutes ?? 'none'} minutes; ${score.medianAfterEvidenceMinutes ?? 'none'} after their first changed run ended`,
    `recall ${score.found}/${score.injected}; ${score.anomalies} anomalies (${score.afterPeriod} after the period left out; ${score.controlAnomalies} on control workflows), ${score.unexplained} unexplained after the first week (${score.unexplainedPerDay === null ? 'no settled days' : `${score.unexplainedPerDay.toFixed(2)} a day`}); ` +
      `${score.reportedIncidents} incidents reported: ${score.pure} pure, ${score.mixed} mixed, ${score.noise} noise`,
  ].join('\n');
}

type Mode = 'live' | 'preloaded';

/** Starts a collector, sends the fleet, has it judged, and scores what it reports. */
async function evaluate(
  mode: Mode,
  options: { days: number; seed: number; intervalMs: number; runsPerHour?: number; end?: number; dump?: string; via?: 'ingest' | 'otlp'; zones?: Zones },
  say: (line: string) => void,
): Promise<SimScore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-eval-sim-'));
  let collector: { child: ChildProcess; url: string } | undefined;
  try {
    const analysis = { RPA_ANALYSIS_INTERVAL_MS: String(options.intervalMs), ...(options.zones ? { RPA_TIME_ZONE: options.zones.collector } : {}) };
    // As the README: the collector first (analysis on, or off while the data arrives when preloaded).
    collector = await spawnCollector({ RPA_DATA_DIR: dataDir, ...analysis, ...(mode === 'preloaded' ? { RPA_ANALYSIS: 'off' } : {}) });
    // The period ends at the latest Monday 00:00 UTC: the fleet's week (business hours, weekends)
    // falls on the same days every run, so a seed scores alike whatever day it runs on, and the
    // data stays within the collector's default history.
    const end = options.end ?? latestMonday(Date.now());
    const via = options.via ?? 'ingest';
    say(
      `collector at ${collector.url} (${mode}); sending ${options.days} days of the demo fleet to ${new Date(end).toISOString()}, seed ${options.seed}${via === 'otlp' ? ', runs over OTLP' : ''}${options.zones ? `, its hours ${options.zones.fleet}'s, the collector's ${options.zones.collector}'s` : ''} ...`,
    );
    const truth = await runSimulation({
      url: collector.url,
      ...(via === 'otlp' ? { transport: new OtlpTransport({ url: collector.url }) } : {}),
      seed: options.seed,
      days: options.days,
      end,
      ...DEMO_FLEET,
      ...(options.runsPerHour === undefined ? {} : { runsPerHour: options.runsPerHour }),
      ...(options.zones ? { timeZone: options.zones.fleet } : {}),
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
      const ending = options.end === undefined ? '' : `-${new Date(end).toISOString().slice(0, 13)}`;
      const file = path.join(options.dump, `sim-seed${options.seed}${ending}-${mode}.json`);
      fs.writeFileSync(file, JSON.stringify({ truth, anomalies, incidents }, null, 1));
      say(`wrote ${file}`);
    }
    return scoreSimulation(truth, anomalies, incidents);
  } finally {
    if (collector) await stopCollector(collector.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The ends of a sweep's periods: `count` of them 31 hours apart back from `last`, each at another hour and weekday. */
export function sweepEnds(count: number, last: number): number[] {
  return Array.from({ length: count }, (_, i) => last - i * 31 * HOUR);
}

/** The time zone of the simulated fleet's hours, and the one its collector is told. */
interface Zones {
  fleet: string;
  collector: string;
}

interface SweepGates {
  minRecall: number;
  maxMixed?: number;
  maxControl?: number;
  maxNoisePerRun?: number;
}

/** `--sweep`: the README's demo over many periods and seeds, scored together. */
async function sweep(
  ends: number[],
  seeds: number[],
  days: number,
  gates: SweepGates,
  dump: string | undefined,
  zones: Zones | undefined,
  say: (line: string) => void,
): Promise<string[]> {
  const scores: Array<{ seed: number; end: number; score: SimScore }> = [];
  for (const end of ends) {
    for (const seed of seeds) {
      const score = await evaluate('live', { days, seed, intervalMs: 60_000, end, ...(dump ? { dump } : {}), ...(zones ? { zones } : {}) }, () => {});
      scores.push({ seed, end, score });
      const missed = score.incidents.filter((i) => !i.found).map((i) => i.id);
      say(
        `${new Date(end).toISOString().slice(0, 13)}h seed ${seed}: ${score.found}/${score.injected} found${missed.length ? ` (missed ${missed.join(', ')})` : ''}; ` +
          `${score.reportedIncidents} incidents: ${score.pure} pure, ${score.mixed} mixed, ${score.noise} noise; ${score.controlAnomalies} on controls`,
      );
      process.stdout.write(`${JSON.stringify({ mode: 'live', days, seed, end: new Date(end).toISOString(), ...score })}\n`);
    }
  }
  const sum = (of: (s: SimScore) => number) => scores.reduce((total, { score }) => total + of(score), 0);
  const runs = scores.length;
  const found = sum((s) => s.found);
  const injected = sum((s) => s.injected);
  const [mixed, noise, control, reported] = [sum((s) => s.mixed), sum((s) => s.noise), sum((s) => s.controlAnomalies), sum((s) => s.reportedIncidents)];
  const kinds = [...new Set(scores.flatMap(({ score }) => score.incidents.map((i) => i.id)))];
  const delays = kinds.map((id) => {
    const found = scores.flatMap(({ score }) => score.incidents.filter((i) => i.id === id && i.found).map((i) => i.detectedMinutes!));
    return `| ${id} | ${found.length} / ${runs} | ${found.length ? median(found) : ''} | ${found.length ? Math.max(...found) : ''} |`;
  });
  process.stdout.write(
    [
      `${runs} runs of ${days} days (seeds ${seeds.join(', ')}; ${ends.length} periods ending ${new Date(ends[ends.length - 1]).toISOString().slice(0, 13)}h to ${new Date(ends[0]).toISOString().slice(0, 13)}h)`,
      '',
      '| injected incident | found | median detected after (minutes) | longest |',
      '|---|---|---|---|',
      ...delays,
      '',
      `recall ${found}/${injected}; ${reported} incidents reported for ${injected} injected: ${noise} noise (${(noise / runs).toFixed(2)} a run), ${mixed} mixed; ${control} anomalies on control workflows`,
      '',
    ].join('\n'),
  );
  const failures: string[] = [];
  if (found / injected < gates.minRecall) failures.push(`sweep: recall ${found}/${injected} below ${gates.minRecall}`);
  if (gates.maxMixed !== undefined && mixed > gates.maxMixed) failures.push(`sweep: ${mixed} mixed incidents, above ${gates.maxMixed}`);
  if (gates.maxControl !== undefined && control > gates.maxControl)
    failures.push(`sweep: ${control} anomalies on control workflows, above ${gates.maxControl}`);
  if (gates.maxNoisePerRun !== undefined && noise / runs > gates.maxNoisePerRun)
    failures.push(`sweep: ${(noise / runs).toFixed(2)} noise incidents a run, above ${gates.maxNoisePerRun}`);
  return failures;
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
      sweep: { type: 'string' },
      seeds: { type: 'string', default: '1,2,3' },
      'max-noise-per-run': { type: 'string' },
      via: { type: 'string', default: 'ingest' },
      'time-zone': { type: 'string' },
      'collector-time-zone': { type: 'string' },
      'runs-per-hour': { type: 'string' },
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
  if (
    !(days > 0 && days <= 90) ||
    !Number.isInteger(seed) ||
    !['live', 'preloaded', 'both'].includes(o.mode!) ||
    !(intervalMs >= 1000) ||
    !['ingest', 'otlp'].includes(o.via!)
  )
    throw new Error(`bad arguments\n\n${USAGE}`);
  const runsPerHour = o['runs-per-hour'] === undefined ? undefined : Number(o['runs-per-hour']);
  if (runsPerHour !== undefined && !(runsPerHour > 0 && runsPerHour <= 1000))
    throw new Error(`--runs-per-hour: '${o['runs-per-hour']}' is not a number above 0 and at most 1000\n\n${USAGE}`);
  if (runsPerHour !== undefined && o.sweep !== undefined) throw new Error(`--runs-per-hour does not apply to --sweep (the README's demo fleet)\n\n${USAGE}`);
  const fleetZone = o['time-zone'];
  const collectorZone = o['collector-time-zone'] ?? fleetZone;
  for (const zone of [fleetZone, collectorZone])
    if (zone !== undefined && !isTimeZone(zone)) throw new Error(`'${zone}' is not an IANA time zone such as Europe/Berlin\n\n${USAGE}`);
  if (o['collector-time-zone'] !== undefined && fleetZone === undefined) throw new Error(`--collector-time-zone needs --time-zone\n\n${USAGE}`);
  const zones = fleetZone === undefined ? undefined : { fleet: fleetZone, collector: collectorZone! };
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (o.sweep !== undefined) {
    const count = Number(o.sweep);
    const seeds = o.seeds!.split(',').map(Number);
    if (!(Number.isInteger(count) && count >= 1 && count <= 100) || !seeds.every(Number.isInteger)) throw new Error(`bad arguments\n\n${USAGE}`);
    const optional = (name: string) => (o[name as keyof typeof o] === undefined ? undefined : Number(o[name as keyof typeof o]));
    const gates: SweepGates = { minRecall: Number(o['min-recall']) };
    const [maxMixed, maxControl, maxNoisePerRun] = [optional('max-mixed'), optional('max-control-anomalies'), optional('max-noise-per-run')];
    if (maxMixed !== undefined) gates.maxMixed = maxMixed;
    if (maxControl !== undefined) gates.maxControl = maxControl;
    if (maxNoisePerRun !== undefined) gates.maxNoisePerRun = maxNoisePerRun;
    const failures = await sweep(sweepEnds(count, end ?? latestMonday(Date.now())), seeds, days, gates, o.dump, zones, say);
    for (const failure of failures) process.stderr.write(`eval:sim: ${failure}\n`);
    return failures.length ? 1 : 0;
  }
  const modes: Mode[] = o.mode === 'both' ? ['live', 'preloaded'] : [o.mode as Mode];
  const failures: string[] = [];
  const scores = new Map<Mode, SimScore>();
  for (const mode of modes) {
    const via = o.via as 'ingest' | 'otlp';
    const score = await evaluate(
      mode,
      {
        days,
        seed,
        intervalMs,
        via,
        ...(runsPerHour === undefined ? {} : { runsPerHour }),
        ...(end === undefined ? {} : { end }),
        ...(o.dump ? { dump: o.dump } : {}),
        ...(zones ? { zones } : {}),
      },
      say,
    );
    scores.set(mode, score);
    process.stdout.write(
      `${JSON.stringify({ mode, days, seed, intervalMs, via, ...(runsPerHour === undefined ? {} : { runsPerHour }), ...score })}\n${table(score)}\n`,
    );
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
