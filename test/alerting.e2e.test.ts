import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GroundTruth } from '../backend/src/sim/simulator';
import { spawnCollector } from '../backend/src/testing/collectorProcess';
import { type PrometheusServer, provisionedRules, startPrometheus, until } from '../backend/src/testing/prometheusServer';

/**
 * The alerting path for real: Prometheus (Debian's package) scrapes a collector the simulator
 * fed, with incidents injected to be under way at the end of the data; each provisioned alert
 * rule's query runs against that Prometheus and its threshold decides whether it fires.
 */
const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const READ = 'prometheus-read-token-0123';
const INGEST = 'simulator-ingest-token-01';
const ADMIN = 'test-admin-token-01234567';
const END = '2026-11-19T13:00:00Z';
const STARTED = Date.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rules = provisionedRules();

describe('alert rules against a real Prometheus', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-alerting-'));
  let collector: { child: ChildProcess; url: string };
  let prometheus: PrometheusServer;
  let truth: GroundTruth;

  /** The series for which a rule's threshold holds: what Grafana would fire on. */
  const firing = (uid: string) => prometheus.firing(rules.find((r) => r.uid === uid)!);

  beforeAll(async () => {
    collector = await spawnCollector({ RPA_DATA_DIR: dir, RPA_ANALYSIS: 'off', RPA_READ_TOKEN: READ, RPA_INGEST_TOKEN: INGEST, RPA_ADMIN_TOKEN: ADMIN });
    const truthFile = path.join(dir, 'truth.json');
    await new Promise<void>((resolve, reject) =>
      execFile(
        TSX,
        [
          path.join(ROOT, 'backend/src/main.ts'),
          'demo',
          '--url',
          collector.url,
          '--seed',
          '3',
          '--days',
          '4',
          '--end',
          END,
          '--truth',
          truthFile,
          '--incidents',
          'failure_burst@2026-11-19T09:00:00Z,latency_spike@2026-11-19T11:00:00Z',
        ],
        { cwd: ROOT, env: { ...process.env, RPA_INGEST_TOKEN: INGEST } },
        (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve()),
      ),
    );
    truth = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
    const run = await fetch(`${collector.url}/api/v1/analysis/run`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(run.status).toBe(200);

    prometheus = await startPrometheus({ dir, targets: [new URL(collector.url).host], token: READ });
    await until('the first scrape', async () => ((await prometheus.query('rpa_workflow_success_ratio')).length > 0 ? true : undefined));
  }, 240_000);

  afterAll(async () => {
    prometheus?.stop();
    if (collector.child.exitCode === null) collector.child.kill('SIGTERM');
    await sleep(500);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const incident = (kind: string) => truth.incidents.find((i) => i.kind === kind)!;
  const clean = () => truth.workflows.map((w) => w.name).filter((w) => !truth.incidents.some((i) => i.workflow === w));

  it('passes promtool check metrics', async () => {
    const text = await (await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${READ}` } })).text();
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const promtool = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      promtool.stdout.on('data', (c: Buffer) => (output += c.toString()));
      promtool.stderr.on('data', (c: Buffer) => (output += c.toString()));
      promtool.on('close', (code) => resolve({ code, output }));
      promtool.stdin.end(text);
    });
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('success rate drop: fires for the workflow in a failure burst, not for clean ones', async () => {
    const fired = (await firing('rpa-success-rate-drop')).map((m) => m.workflow);
    expect(fired).toContain(incident('failure_burst').workflow);
    for (const w of clean()) expect(fired).not.toContain(w);
  });

  it('run p95 far above normal: fires for the workflow in a latency spike, not for clean ones', async () => {
    const fired = (await firing('rpa-run-p95-high')).map((m) => m.workflow);
    expect(fired).toContain(incident('latency_spike').workflow);
    for (const w of clean()) expect(fired).not.toContain(w);
  });

  it('severe anomaly: fires for the spiking workflow, not for clean ones', async () => {
    const fired = (await firing('rpa-anomaly-severe')).map((m) => m.workflow);
    expect(fired).toContain(incident('latency_spike').workflow);
    for (const w of clean()) expect(fired).not.toContain(w);
  });

  it('collector silent and workflow overdue: quiet while runs arrive, though the data ended hours ago', async () => {
    // The backfill's runs ended at END, but they arrived while this test ran.
    expect((await prometheus.query('rpa_last_run_ingest_timestamp_seconds'))[0].value * 1000).toBeGreaterThanOrEqual(Math.floor(STARTED / 1000) * 1000);
    expect((await prometheus.query('rpa_runs_overdue')).map((r) => r.value < 10)).toEqual([true]);
    expect(await firing('rpa-collector-silent')).toEqual([]);
    expect(await firing('rpa-workflow-overdue')).toEqual([]);
  });

  it('collector down: quiet while it answers, fires once it is gone', async () => {
    expect(await firing('rpa-collector-down')).toEqual([]);
    collector.child.kill('SIGTERM');
    const fired = await until('the failed scrape', async () => {
      const f = await firing('rpa-collector-down');
      return f.length ? f : undefined;
    });
    expect(fired).toEqual([expect.objectContaining({ job: 'rpa-collector' })]);
  });
});
