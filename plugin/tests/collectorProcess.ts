import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { GroundTruth } from '../../backend/src/sim/simulator';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface CollectorProcess {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A real collector in its own process (as `npm start` runs it), on a free port of 127.0.0.1. */
export async function startCollectorProcess(env: Record<string, string> = {}): Promise<CollectorProcess> {
  const dataDir = env.RPA_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-plugin-test-'));
  const child: ChildProcess = spawn(TSX, [path.join(ROOT, 'backend/src/main.ts'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, RPA_PORT: '0', RPA_DATA_DIR: dataDir, RPA_SAMPLER: 'off', RPA_ANALYSIS: 'off', RPA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dataDir,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A collector process filled by the fleet simulator (`npm run demo` with `demoArgs`) and analysed
 * once, with what the simulator says it injected: what the plugin's tests query.
 */
export async function startSimulatedCollector(demoArgs: string[]): Promise<{ collector: CollectorProcess; truth: GroundTruth }> {
  const collector = await startCollectorProcess();
  const truthFile = path.join(collector.dataDir, 'truth.json');
  await runDemo(collector.url, [...demoArgs, '--truth', truthFile]);
  const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as GroundTruth;
  const analysed = await httpRequest('POST', `${collector.url}/api/v1/analysis/run`, {});
  if (analysed.status !== 200) throw new Error(`the analysis pass answered ${analysed.status}`);
  return { collector, truth };
}

/** Feeds a collector with the fleet simulator's command (`npm run demo`), as a user would. */
export function runDemo(url: string, args: string[], token?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      [path.join(ROOT, 'backend/src/main.ts'), 'demo', '--url', url, ...args],
      { cwd: ROOT, env: { ...process.env, ...(token ? { RPA_INGEST_TOKEN: token } : {}) }, timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** A plain HTTP request from Node (jsdom has no fetch of its own). */
export function httpRequest(method: string, url: string, headers: Record<string, string>, body?: unknown, signal?: AbortSignal): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      url,
      {
        method,
        signal,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    request.on('error', reject);
    if (payload) request.write(payload);
    request.end();
  });
}
