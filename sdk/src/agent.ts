import os from 'node:os';
import { assertCollectorAnswers, commandToken, numberOption, parseOptions, UsageError } from './cli';
import { MetricsCollector } from './metricsCollector';
import { ResourceCollector } from './resourceCollector';
import { defaultDiskPath, diskSpace } from './resourceSource';
import { HttpTransport } from './transport';

const USAGE = `npm run agent -- --url URL [options]

Samples this host (CPU, memory, disk space used, disk and network I/O, GPU when present) and sends
the samples to a collector in batches; rides out collector outages by buffering and retrying.

  --url URL            collector base URL (required), e.g. http://collector:5001
  --token TOKEN        ingest token (default: $RPA_INGEST_TOKEN)
  --host NAME          host name the samples carry (default: ${os.hostname()})
  --interval-ms N      sampling interval (default 1000)
  --flush-ms N         send interval (default 5000)
  --disk-path PATH     a path on the volume whose space used is reported (default: ${defaultDiskPath()})`;

export async function runAgent(argv: string[]): Promise<void> {
  const o = parseOptions(
    argv,
    {
      url: { type: 'string' },
      token: { type: 'string' },
      host: { type: 'string' },
      'interval-ms': { type: 'string', default: '1000' },
      'flush-ms': { type: 'string', default: '5000' },
      'disk-path': { type: 'string' },
    },
    USAGE,
  );
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!o.url) throw new UsageError(`--url is required\n\n${USAGE}`);
  const diskPath = (o['disk-path'] as string | undefined) ?? defaultDiskPath();
  if (!diskSpace(diskPath)) throw new UsageError(`--disk-path ${diskPath}: no volume to read the space of there`);
  // Nothing there at start is a wrong --url or a collector not started: said at once. An outage
  // later is waited out, the samples kept meanwhile.
  await assertCollectorAnswers(o.url as string);
  let lastError = '';
  const sdk = new MetricsCollector({
    transport: new HttpTransport({ url: o.url as string, token: commandToken(o.token, 'ingest') }),
    flushIntervalMs: numberOption(o['flush-ms'], 'flush-ms', 100, 3_600_000),
    // A day of 1 s samples: an outage that long loses nothing.
    maxBufferedRecords: 86_400,
    onError: (error) => {
      if (error.message !== lastError) process.stderr.write(`agent: ${error.message}\n`);
      lastError = error.message;
    },
  }).start();
  const sampler = new ResourceCollector({
    sink: (sample) => sdk.recordResourceSample(sample),
    sampleIntervalMs: numberOption(o['interval-ms'], 'interval-ms', 100, 3_600_000),
    host: o.host as string | undefined,
    diskPath,
  }).start();
  process.stdout.write(`agent: sampling ${sampler.host} every ${sampler.sampleIntervalMs} ms, sending to ${o.url}\n`);
  const keepAlive = setInterval(() => undefined, 60_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  sampler.stop();
  await sdk.shutdown();
  process.stdout.write(`agent: stopped; ${sdk.delivered} samples delivered, ${sdk.pending} unsent\n`);
}
