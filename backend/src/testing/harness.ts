import fs from 'node:fs';
import { freePort } from './ports';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../config';
import { createLogger } from '../log';
import { Collector } from '../server';
import type { ResourceSource } from '@rpa-analytics/sdk';
import type { ResourceSample } from '@rpa-analytics/contract';

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = 'rpa-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({ RPA_PORT: '0', RPA_DATA_DIR: dataDir, RPA_SAMPLER: 'off', RPA_ANALYSIS: 'off', RPA_LOG_LEVEL: 'silent', ...env });
}

/** A real collector on 127.0.0.1, a free port and a real SQLite file in `dataDir`. */
export async function startCollector(
  dataDir: string,
  env: Record<string, string> = {},
  options: { port?: number; resourceSource?: ResourceSource } = {},
): Promise<Collector> {
  const config = testConfig(dataDir, env);
  const collector = new Collector({ config, log: createLogger(config.logLevel), resourceSource: options.resourceSource });
  return collector.start(options.port ?? 0);
}

/** A real collector for one test: started on a temporary SQLite file, stopped and removed however the test ends. */
export async function withCollector<T>(
  env: Record<string, string>,
  run: (collector: Collector, dataDir: string) => Promise<T>,
  options: { port?: number; resourceSource?: ResourceSource } = {},
): Promise<T> {
  const tmp = tempDir();
  const collector = await startCollector(tmp.dir, env, options);
  try {
    return await run(collector, tmp.dir);
  } finally {
    await collector.stop();
    tmp.cleanup();
  }
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/**
 * A collector for a whole describe block: started before its tests on a temporary SQLite file,
 * stopped and removed after them. Read `.collector` and `.base` (the API's URL) inside tests.
 */
export function collectorForTests(env: Record<string, string> = {}): { collector: Collector; base: string } {
  const tmp = tempDir();
  const handle = {} as { collector: Collector; base: string };
  beforeAll(async () => {
    handle.collector = await startCollector(tmp.dir, env);
    handle.base = `${handle.collector.url}/api/v1`;
  });
  afterAll(async () => {
    await handle.collector?.stop();
    tmp.cleanup();
  });
  return handle;
}

/** A port that was free a moment ago on 127.0.0.1: nothing listens there (for "no collector" cases). */
export const closedPort = freePort;

/** A host's sample at `time`: `cpuPercent` CPU, a quarter of its 16 GB of memory in use, no disk or network traffic. */
export function hostSample(host: string, time: number, cpuPercent: number): ResourceSample {
  return {
    host,
    time,
    cpuPercent,
    memoryUsedBytes: 4e9,
    memoryTotalBytes: 16e9,
    diskReadBytesPerSec: 0,
    diskWriteBytesPerSec: 0,
    netRxBytesPerSec: 0,
    netTxBytesPerSec: 0,
  };
}
