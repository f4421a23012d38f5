import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { GroundTruth } from '../backend/src/sim/simulator';
import { spawnCollector } from '../backend/src/testing/collectorProcess';

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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Rule {
  uid: string;
  expr: string;
  evaluator: { type: 'gt' | 'lt'; params: number[] };
}

const rules: Rule[] = YAML.parse(fs.readFileSync(path.join(ROOT, 'provisioning/alerting/rules.yaml'), 'utf8')).groups.flatMap((g: any) =>
  g.rules.map((r: any) => {
    const query = r.data.find((d: any) => d.datasourceUid === 'prometheus');
    const condition = r.data.find((d: any) => d.refId === r.condition);
    return { uid: r.uid, expr: query.model.expr, evaluator: condition.model.conditions[0].evaluator };
  }),
);

describe('alert rules against a real Prometheus', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-alerting-'));
  let collector: { child: ChildProcess; url: string };
  let prometheus: ChildProcess;
  let promUrl: string;
  let truth: GroundTruth;

  async function promQuery(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The series for which a rule's threshold holds: what Grafana would fire on. */
  async function firing(uid: string): Promise<Array<Record<string, string>>> {
    const rule = rules.find((r) => r.uid === uid)!;
    const results = await promQuery(rule.expr);
    return results.filter((r) => (rule.evaluator.type === 'gt' ? r.value > rule.evaluator.params[0] : r.value < rule.evaluator.params[0])).map((r) => r.metric);
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(500);
    }
  }

  beforeAll(async () => {
    collector = await spawnCollector({ RPA_DATA_DIR: dir, RPA_ANALYSIS: 'off', RPA_READ_TOKEN: READ, RPA_INGEST_TOKEN: INGEST, RPA_ADMIN_TOKEN: ADMIN });
    const truthFile = path.join(dir, 'truth.json');
    await new Promise<void>((resolve, reject) =>
      execFile(
        TSX,
        [path.join(ROOT, 'backend/src/main.ts'), 'demo', '--url', collector.url, '--seed', '3', '--days', '4', '--end', END, '--truth', truthFile,
          '--incidents', 'failure_burst@2026-11-19T09:00:00Z,latency_spike@2026-11-19T11:00:00Z'],
        { cwd: ROOT, env: { ...process.env, RPA_INGEST_TOKEN: INGEST } },
        (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve()),
      ),
    );
    truth = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
    const run = await fetch(`${collector.url}/api/v1/analysis/run`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(run.status).toBe(200);

    // The provisioned scrape config, pointed at this collector, scraping every second.
    const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'provisioning/prometheus/prometheus.yml'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'token'), READ);
    config.global.scrape_interval = '1s';
    config.scrape_configs[0].authorization.credentials_file = path.join(dir, 'token');
    config.scrape_configs[0].static_configs[0].targets = [new URL(collector.url).host];
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), YAML.stringify(config));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await until('the first scrape', async () => ((await promQuery('rpa_workflow_success_ratio')).length > 0 ? true : undefined));
  }, 240_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
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

  it('collector silent: quiet while runs arrive', async () => {
    expect(await firing('rpa-collector-silent')).toEqual([]);
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
