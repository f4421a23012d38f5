import { parseOptions, UsageError } from '../cli';
import { MetricsCollector } from '../collect/metricsCollector';
import { HttpTransport } from '../collect/transport';
import { readArchive } from './archiver';

const USAGE = `npm run restore -- --url URL FILE...

Sends the runs, steps and samples of archive files (written by retention) back to a collector
through its ingest API (ingest token: --token or $RPA_INGEST_TOKEN). Restoring twice is harmless.`;

export async function runRestore(argv: string[]): Promise<void> {
  const files = argv.filter((a) => !a.startsWith('--') && !/^https?:/.test(a));
  const o = parseOptions(argv.filter((a) => !files.includes(a)), { url: { type: 'string' }, token: { type: 'string' } }, USAGE);
  if (o.help) return void process.stdout.write(`${USAGE}\n`);
  if (!o.url || files.length === 0) throw new UsageError(`--url and at least one archive file are required\n\n${USAGE}`);
  const failures: string[] = [];
  const sdk = new MetricsCollector({
    transport: new HttpTransport({ url: o.url as string, token: (o.token as string | undefined) ?? process.env.RPA_INGEST_TOKEN?.split(',')[0] }),
    bufferSize: 5000,
    onError: (error) => failures.push(error.message),
  });
  let runs = 0;
  for (const file of files) {
    for (const batch of readArchive(file)) {
      for (const e of batch.executions) sdk.recordExecution(e);
      for (const s of batch.steps) sdk.recordStep(s.executionId, s.name, s.durationMs, s);
      for (const s of batch.samples) sdk.recordResourceSample(s);
      runs += batch.executions.length;
    }
  }
  await sdk.shutdown();
  if (failures.length) throw new Error(`restore incomplete: ${failures[0]}`);
  process.stdout.write(`restored ${runs} runs from ${files.length} archive file(s)\n`);
}
