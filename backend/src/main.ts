import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { Collector } from './server';
import { runAgent } from '@rpa-analytics/sdk';
import { runDemo } from './sim/demoCommand';
import { runRestore } from './retention/restoreCommand';
import { runReport } from './report/reportCommand';
import { runImport } from './integrations/importCommand';
import { VERSION } from './version';
import { CommandError, parseOptions, UsageError } from '@rpa-analytics/sdk';

const USAGE = `rpa-analytics ${VERSION}

Usage:
  npm start                         run the collector (RPA_HOST, RPA_PORT, RPA_DATA_DIR, ...)
  npm run demo -- --url URL [--seed N] [--days N] [...]    feed a collector with a simulated fleet
  npm run agent -- --url URL [--token T] [--interval-ms N]  sample this host and send to a collector

  npm run restore -- --url URL FILE...                    send archived runs back to a collector
  npm run import -- robot --url URL FILE... | --watch DIR  send Robot Framework output.xml runs
  npm run report -- --url URL [--workflow W] [--format pdf]   write a fleet or workflow report

Commands: serve | demo | agent | restore | import | report. Run a command with --help for its options.`;

const SERVE_USAGE = `npm start [-- --help]

Runs the collector. Every setting is an environment variable (RPA_HOST, RPA_PORT, RPA_DATA_DIR,
RPA_STORE, RPA_*_TOKEN, ...): the README's table lists them with their defaults.`;

async function serve(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {}, SERVE_USAGE);
  if (o.help) return void process.stdout.write(`${SERVE_USAGE}\n`);
  const config = loadConfig();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  const database = config.postgresUrl ? withoutPassword(config.postgresUrl) : config.dataDir;
  let collector: Collector;
  try {
    collector = new Collector({ config, log });
  } catch (error) {
    // PostgreSQL down, refusing the user, or no such database: said in a line, not a stack.
    if (config.postgresUrl)
      throw new CommandError(
        `cannot open the database RPA_STORE=${database}: ${(error as Error).message}. Check that PostgreSQL runs there and the user, password and database name.`,
      );
    throw error;
  }
  await collector.start();
  log.info(
    { url: collector.url, database, sampler: config.sampler.enabled, tokens: config.tokens.length, timeZone: config.analysis.timeZone },
    config.postgresUrl
      ? `RPA Analytics collector ${VERSION} listening on ${collector.url} (database ${database}; archive in ${config.dataDir}; the fleet's hours in ${config.analysis.timeZone})`
      : `RPA Analytics collector ${VERSION} listening on ${collector.url} (data in ${config.dataDir}; the fleet's hours in ${config.analysis.timeZone})`,
  );
  if (config.tokens.length === 0) {
    log.warn('no API tokens configured: every request is accepted, so the collector listens on loopback only (set RPA_*_TOKEN to open it to the network)');
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests, flushing buffers, closing the database');
    collector.stop().then(
      () => {
        log.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** A database URL as it may be logged: its password masked, in the user part or as a parameter. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@').replace(/([?&][^=&]*pass[^=&]*=)[^&]*/gi, '$1***');
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'demo':
      return runDemo(rest);
    case 'agent':
      return runAgent(rest);
    case 'restore':
      return runRestore(rest);
    case 'import':
      return runImport(rest);
    case 'report':
      return runReport(rest);
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  }
}

if (require.main === module) {
  // Output piped into a reader that stops early (\`--help | head\`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  main(process.argv.slice(2)).catch((error: unknown) => {
    const usage = error instanceof ConfigError || error instanceof UsageError;
    const said = usage || error instanceof CommandError;
    process.stderr.write(`${said ? (error as Error).message : (error as Error).stack}\n`);
    process.exit(usage ? 2 : 1);
  });
}
