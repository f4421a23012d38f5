import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assertCollectorAnswers, CommandError, commandToken, HttpTransport, MetricsCollector, numberOption, UsageError } from '@rpa-analytics/sdk';
import type { Execution, Step } from '@rpa-analytics/contract';
import { FlowSessionError, readFlowSessions } from './powerAutomate';
import { type RobotOutput, RobotOutputError, RobotOutputReader, type RobotReadOptions } from './robotFramework';

const USAGE = `npm run import -- robot FILE... --url URL [--token TOKEN] [--robot NAME] [--host NAME] [--utc-offset +HH:MM]
npm run import -- robot --watch DIR --url URL [...] [--interval-ms N]
npm run import -- powerautomate FILE... --url URL [--token TOKEN] [--utc-offset +HH:MM]

Sends the runs in Robot Framework output.xml files (Robot Framework 6 and 7) to a collector
through its ingest API (ingest token: --token or $RPA_INGEST_TOKEN). Each test or task that ran
is a run of the workflow named by its full name ("Suite.Sub Suite.Task"); the keywords and
control structures in its body, setup and teardown included, are its steps.

  --robot NAME, --host NAME  the robot and machine that ran them (output.xml does not say)
  --utc-offset +HH:MM        the offset of the clock that wrote the files (default: this machine's
                             time zone; output.xml's times carry none)
  --watch DIR                import every output*.xml in DIR and below, then each new or
                             rewritten one once it is whole, until stopped (Ctrl-C)
  --interval-ms N            how often --watch looks (default 5000)

Importing a file again changes nothing: a run's id comes from its test, start time, robot and host.

powerautomate: Power Automate desktop flow runs, Dataverse flowsession records exported as the Web
API's JSON or as CSV (the README says how to export them). Each session is a run of its flow on
its machine, run by its session's user; its status reason is the run's status, its error code
and message the run's error. Sessions skipped or deleted are no runs; --robot and --host name the
robot and machine where a record has none.`;

export interface ImportOptions {
  out?: (line: string) => void;
  /** Stops `--watch` (tests); Ctrl-C otherwise. */
  signal?: AbortSignal;
}

export async function runImport(argv: string[], options: ImportOptions = {}): Promise<void> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        robot: { type: 'string' },
        host: { type: 'string' },
        'utc-offset': { type: 'string' },
        watch: { type: 'string' },
        'interval-ms': { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values: o, positionals } = parsed;
  if (o.help) return out(USAGE);
  const [format, ...files] = positionals;
  if (format !== 'robot' && format !== 'powerautomate')
    throw new UsageError(`${format ? `unknown format '${format}'` : 'which format?'}: the formats are robot and powerautomate\n\n${USAGE}`);
  if (!o.url) throw new UsageError(`--url is required: the collector to send the runs to\n\n${USAGE}`);
  if (format === 'powerautomate' && o.watch) throw new UsageError(`--watch is for Robot Framework's output.xml; name the exported files\n\n${USAGE}`);
  if (files.length === 0 && !o.watch)
    throw new UsageError(`name at least one ${format === 'robot' ? 'output.xml, or --watch DIR' : 'exported file'}\n\n${USAGE}`);
  const read: RobotReadOptions = {
    ...(o.robot ? { robot: o.robot } : {}),
    ...(o.host ? { host: o.host } : {}),
    ...(o['utc-offset'] === undefined ? {} : { utcOffsetMinutes: utcOffset(o['utc-offset']) }),
  };
  const intervalMs = o['interval-ms'] === undefined ? 5000 : numberOption(o['interval-ms'], 'interval-ms', 100, 3_600_000);
  if (o.watch && !fs.statSync(o.watch, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--watch ${o.watch}: no such folder`);
  await assertCollectorAnswers(o.url);
  const transport = new HttpTransport({ url: o.url, token: commandToken(o.token, 'ingest') });

  const importOne = (file: string) => (format === 'robot' ? importRobot(transport, file, read, out) : importFlowSessions(transport, file, read, out));
  let runs = 0;
  for (const file of files) runs += await importOne(file);
  if (files.length) out(`imported ${runs} runs from ${files.length} file(s)`);
  if (o.watch) await watch(o.watch, intervalMs, importOne, out, options.signal);
}

/** A file that could not be imported; `retry` when the collector was away (worth another look as it is). */
class ImportError extends CommandError {
  constructor(
    message: string,
    readonly retry = false,
  ) {
    super(message);
  }
}

/** Records sent before the next are queued: a file of any size goes through a bounded buffer. */
const RECORDS_PER_FLUSH = 20_000;

/** Sends one output.xml's runs; the count sent. */
async function importRobot(transport: HttpTransport, file: string, read: RobotReadOptions, out: (line: string) => void): Promise<number> {
  let output;
  try {
    output = await readFile(file, read);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ImportError(`${file}: no such file`);
    if (error instanceof RobotOutputError || (error as NodeJS.ErrnoException).code) throw new ImportError(`${file}: ${(error as Error).message}`);
    throw error;
  }
  await send(transport, file, output.runs);
  const notRun = output.notRun ? `, ${output.notRun} not run` : '';
  const untimed = output.untimed ? `, ${output.untimed} without a start time left out` : '';
  out(`${file}: ${output.runs.length} runs${notRun}${untimed} (${output.generator || 'Robot Framework'}, schema ${output.schemaVersion ?? '?'})`);
  return output.runs.length;
}

/** Sends one flowsession export's runs; the count sent. Records that are no run are said, the first few by why. */
async function importFlowSessions(transport: HttpTransport, file: string, read: RobotReadOptions, out: (line: string) => void): Promise<number> {
  let sessions;
  try {
    sessions = readFlowSessions(fs.readFileSync(file, 'utf8'), read);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ImportError(`${file}: no such file`);
    if (error instanceof FlowSessionError || (error as NodeJS.ErrnoException).code) throw new ImportError(`${file}: ${(error as Error).message}`);
    throw error;
  }
  const runs = sessions.runs.map((execution) => ({
    execution: { ...execution, ...(execution.robot || !read.robot ? {} : { robot: read.robot }), ...(execution.host || !read.host ? {} : { host: read.host }) },
    steps: [] as Step[],
  }));
  await send(transport, file, runs);
  const skipped = sessions.skipped.length
    ? `, ${sessions.skipped.length} record${sessions.skipped.length === 1 ? '' : 's'} left out (${sessions.skipped
        .slice(0, 3)
        .map((s) => `record ${s.record + 1}: ${s.reason}`)
        .join('; ')}${sessions.skipped.length > 3 ? '; ...' : ''})`
    : '';
  out(`${file}: ${runs.length} runs${skipped}`);
  return runs.length;
}

/** Sends runs with their steps through the SDK, in bounded rounds. */
async function send(transport: HttpTransport, file: string, runs: ReadonlyArray<{ execution: Execution; steps: readonly Step[] }>): Promise<void> {
  const failures: Array<{ message: string; retryable: boolean }> = [];
  const sdk = new MetricsCollector({
    transport,
    bufferSize: 5000,
    // Records the collector refused come with the error; without them, it was away.
    onError: (error, rejected) => failures.push({ message: error.message, retryable: rejected === undefined }),
  });
  let queued = 0;
  for (const { execution, steps } of runs) {
    sdk.recordExecution(execution);
    for (const step of steps) sdk.recordStep(step.executionId, step.name, step.durationMs, step);
    queued += 1 + steps.length;
    if (queued >= RECORDS_PER_FLUSH) {
      await sdk.flush();
      queued = 0;
      if (failures.length) break;
    }
  }
  await sdk.shutdown();
  if (failures.length) throw new ImportError(`${file}: the collector did not take its runs: ${failures[0].message}`, failures[0].retryable);
}

async function readFile(file: string, read: RobotReadOptions): Promise<RobotOutput> {
  const reader = new RobotOutputReader(read);
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) reader.write(chunk as string);
  return reader.end();
}

/**
 * Imports each output*.xml under `dir` once it is whole: seen with the same size and time twice
 * in a row, and read to its end (Robot Framework 7 writes output.xml while its tests run). A file
 * rewritten later (the next run into the same folder) is imported again; a failed import is tried
 * again when the file changes.
 */
async function watch(
  dir: string,
  intervalMs: number,
  importOne: (file: string) => Promise<number>,
  out: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const seen = new Map<string, string>();
  const done = new Map<string, string>();
  out(`watching ${dir} for output*.xml every ${intervalMs} ms (Ctrl-C stops)`);
  const stop = signal ?? abortOnInterrupt();
  while (!stop.aborted) {
    for (const file of outputFiles(dir)) {
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (!stat) continue;
      const version = `${stat.size}:${stat.mtimeMs}`;
      const before = seen.get(file);
      seen.set(file, version);
      if (done.get(file) === version || before !== version) continue;
      done.set(file, version);
      try {
        await importOne(file);
      } catch (error) {
        // A file that cannot be imported as it is (unfinished, not an output.xml, refused) is
        // tried again once it changes; one the collector was away for, at the next look.
        out(`${(error as Error).message}`);
        if (!(error instanceof ImportError)) throw error;
        if (error.retry) done.delete(file);
      }
    }
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        stop.removeEventListener('abort', wake);
        resolve();
      }, intervalMs);
      stop.addEventListener('abort', wake, { once: true });
    });
  }
}

function outputFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /^output.*\.xml$/i.test(entry.name)) files.push(path.join(entry.parentPath ?? dir, entry.name));
  }
  return files.sort();
}

function abortOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return controller.signal;
}

/** "+02:00", "-0530", "Z" or "0" as minutes east of UTC. */
export function utcOffset(value: string): number {
  if (/^(Z|[+-]?0+)$/i.test(value.trim())) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(value.trim());
  if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) throw new UsageError(`--utc-offset must look like +02:00 or -05:30, got '${value}'`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}
