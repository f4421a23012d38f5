import { parseArgs } from 'node:util';
import { assertCollectorAnswers, CommandError, commandToken, HttpTransport, MetricsCollector, UsageError } from '@rpa-analytics/sdk';
import { readArchive } from './archiver';

const USAGE = `npm run restore -- --url URL [--token TOKEN] FILE...

Sends the runs, steps and samples of archive files (written by retention) back to a collector
through its ingest API (ingest token: --token or $RPA_INGEST_TOKEN), one file at a time.
Restoring twice is harmless, and runs the collector's rollups still count are not counted again.`;

export interface RestoreOptions {
  /** Records one file may hold in the buffer (the SDK's default otherwise; tests make it small). */
  maxBufferedRecords?: number;
  /** Records a request (the SDK's default otherwise; tests make it small). */
  maxBatchRecords?: number;
  out?: (line: string) => void;
}

export async function runRestore(argv: string[], options: RestoreOptions = {}): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values: o, positionals: files } = parsed;
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (o.help) return out(USAGE);
  if (!o.url || files.length === 0) throw new UsageError(`--url and at least one archive file are required\n\n${USAGE}`);
  await assertCollectorAnswers(o.url);
  const transport = new HttpTransport({ url: o.url, token: commandToken(o.token, 'ingest') });
  let runs = 0;
  // One file at a time, each sent whole before the next is read: any number of files fits in memory.
  for (const [n, file] of files.entries()) {
    const failures: string[] = [];
    const sdk = new MetricsCollector({
      transport,
      bufferSize: 5000,
      maxBufferedRecords: options.maxBufferedRecords,
      maxBatchRecords: options.maxBatchRecords,
      onError: (error) => failures.push(error.message),
    });
    let fileRuns = 0;
    let batches;
    try {
      batches = readArchive(file);
    } catch (error) {
      await sdk.shutdown();
      throw new CommandError(
        `restore stopped: cannot read ${file} as an archive (${(error as Error).message}); ${runs} runs from ${n} earlier file(s) restored`,
      );
    }
    for (const batch of batches) {
      for (const e of batch.executions) sdk.recordExecution(e);
      for (const s of batch.steps) sdk.recordStep(s.executionId, s.name, s.durationMs, s);
      for (const s of batch.samples) sdk.recordResourceSample(s);
      fileRuns += batch.executions.length;
    }
    await sdk.shutdown();
    if (failures.length) throw new CommandError(`restore incomplete at ${file} (${runs} runs from ${n} earlier file(s) restored): ${failures[0]}`);
    runs += fileRuns;
    if (files.length > 1) out(`${file}: ${fileRuns} runs (${n + 1} of ${files.length} files)`);
  }
  out(`restored ${runs} runs from ${files.length} archive file(s)`);
}
