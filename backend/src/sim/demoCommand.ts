import { assertCollectorAnswers, CommandError, commandToken, numberOption, parseOptions, UsageError } from '@rpa-analytics/sdk';
import { isTimeZone } from '../analysis/localClock';
import { INCIDENT_KINDS, type IncidentKind, type IncidentRequest } from './incidents';
import { OtlpTransport } from './otlpTransport';
import { DEMO_FLEET, runSimulation } from './simulator';

const USAGE = `npm run demo -- --url URL [options]

Feeds a collector with a simulated RPA fleet through its ingest API: backfills --days of history,
writes the ground truth (injected incidents, totals) to --truth, then with --live keeps streaming.

  --url URL                 collector base URL (required), e.g. http://127.0.0.1:5001
  --token TOKEN             ingest token (default: $RPA_INGEST_TOKEN)
  --seed N                  same seed, same fleet and traffic (default 1)
  --days N                  days of history to backfill (default 7)
  --end ISO                 end of the history (default: now, floored to the hour)
  --workflows N             workflows (default 12), --hosts N (default 6), --robots N (default 10)
  --runs-per-hour N         peak runs per workflow and hour (default 4)
  --time-zone ZONE          the fleet's business hours and weekends are ZONE's, an IANA name such as
                            Europe/Berlin (default UTC); start the collector with RPA_TIME_ZONE=ZONE
  --incidents LIST          all | none | comma list of ${INCIDENT_KINDS.join(', ')},
                            each optionally kind@ISO-time to set when it starts (default all)
  --sample-interval-ms N    host sample spacing (default 60000)
  --truth FILE              ground-truth file (default data/demo-ground-truth.json)
  --live                    after the backfill, keep streaming in real time until Ctrl-C
  --via ingest|otlp         send runs through the ingest API (default), or as OpenTelemetry traces
                            to POST /v1/traces, as an instrumented runner would (samples: ingest)`;

/** `all`, `none`, or a list of kinds, each optionally `@<ISO time>` for when it starts. */
export function parseIncidents(value: string): IncidentRequest[] {
  if (value === 'all') return [...INCIDENT_KINDS];
  if (value === 'none') return [];
  return value.split(',').map((item) => {
    const [kind, at] = item.trim().split('@');
    if (!(INCIDENT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--incidents: unknown kind '${kind}'; known: ${INCIDENT_KINDS.join(', ')}`);
    }
    if (at === undefined) return kind as IncidentKind;
    const start = Date.parse(at);
    if (Number.isNaN(start)) throw new UsageError(`--incidents: '${at}' (after ${kind}@) is not an ISO date-time`);
    return { kind: kind as IncidentKind, start };
  });
}

export async function runDemo(argv: string[]): Promise<void> {
  const o = parseOptions(
    argv,
    {
      url: { type: 'string' },
      token: { type: 'string' },
      seed: { type: 'string', default: '1' },
      days: { type: 'string', default: '7' },
      end: { type: 'string' },
      workflows: { type: 'string', default: String(DEMO_FLEET.workflows) },
      hosts: { type: 'string', default: String(DEMO_FLEET.hosts) },
      robots: { type: 'string', default: String(DEMO_FLEET.robots) },
      'runs-per-hour': { type: 'string', default: String(DEMO_FLEET.runsPerHour) },
      incidents: { type: 'string', default: 'all' },
      'sample-interval-ms': { type: 'string', default: String(DEMO_FLEET.sampleIntervalMs) },
      truth: { type: 'string', default: 'data/demo-ground-truth.json' },
      live: { type: 'boolean', default: false },
      via: { type: 'string', default: 'ingest' },
      'time-zone': { type: 'string', default: 'UTC' },
    },
    USAGE,
  );
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!o.url) throw new UsageError(`--url is required\n\n${USAGE}`);
  if (o.via !== 'ingest' && o.via !== 'otlp') throw new UsageError(`--via must be ingest or otlp, got '${o.via}'`);
  const end = o.end === undefined ? undefined : Date.parse(o.end as string);
  if (end !== undefined && Number.isNaN(end)) throw new UsageError(`--end must be an ISO date-time, got '${o.end}'`);
  const timeZone = o['time-zone'] as string;
  if (!isTimeZone(timeZone)) throw new UsageError(`--time-zone must be an IANA time zone such as Europe/Berlin, got '${timeZone}'`);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  await assertCollectorAnswers(o.url as string);
  const started = Date.now();
  const token = commandToken(o.token, 'ingest');
  const simulation = runSimulation({
    url: o.url as string,
    token,
    ...(o.via === 'otlp' ? { transport: new OtlpTransport({ url: o.url as string, ...(token ? { token } : {}) }) } : {}),
    seed: numberOption(o.seed, 'seed', 0, 2 ** 32 - 1),
    days: numberOption(o.days, 'days', 0.01, 3650),
    end,
    workflows: numberOption(o.workflows, 'workflows', 1, 10_000),
    hosts: numberOption(o.hosts, 'hosts', 1, 10_000),
    robots: numberOption(o.robots, 'robots', 1, 100_000),
    runsPerHour: numberOption(o['runs-per-hour'], 'runs-per-hour', 0, 100_000),
    timeZone,
    incidents: parseIncidents(o.incidents as string),
    sampleIntervalMs: numberOption(o['sample-interval-ms'], 'sample-interval-ms', 1000, 3_600_000),
    truthFile: o.truth as string,
    live: o.live ? controller.signal : undefined,
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  // A collector that stops answering midway: one line and exit 1, not a stack.
  const truth = await simulation.catch((error: unknown) => {
    throw new CommandError(`demo stopped: ${(error as Error).message}`);
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `sent ${truth.totals.executions} executions, ${truth.totals.steps} steps, ${truth.totals.samples} samples in ${seconds} s; ` +
      `${truth.incidents.length} incidents injected; ground truth in ${o.truth}\n`,
  );
}
