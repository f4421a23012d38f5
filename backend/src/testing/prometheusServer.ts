import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from './ports';

/**
 * A real Prometheus (Debian's package) for the e2e tests: the provisioned scrape config pointed
 * at the given collectors, scraping every second, on 127.0.0.1 with its storage in `dir`; and the
 * provisioned alert rules, each as its Prometheus query and the threshold Grafana applies to it.
 */
const ROOT = path.resolve(__dirname, '../../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something, every half second up to `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

export interface AlertRule {
  uid: string;
  expr: string;
  evaluator: { type: 'gt' | 'lt'; params: number[] };
}

/** The provisioned Grafana alert rules (`provisioning/alerting/rules.yaml`). */
export function provisionedRules(): AlertRule[] {
  const file = YAML.parse(fs.readFileSync(path.join(ROOT, 'provisioning/alerting/rules.yaml'), 'utf8'));
  return file.groups.flatMap((g: any) =>
    g.rules.map((r: any) => {
      const query = r.data.find((d: any) => d.datasourceUid === 'prometheus');
      const condition = r.data.find((d: any) => d.refId === r.condition);
      return { uid: r.uid, expr: query.model.expr, evaluator: condition.model.conditions[0].evaluator };
    }),
  );
}

/** Whether a rule's threshold holds for `value`: what Grafana fires on. */
export const breaches = (rule: AlertRule, value: number) =>
  rule.evaluator.type === 'gt' ? value > rule.evaluator.params[0] : value < rule.evaluator.params[0];

export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** A range query: each series with its values at every `stepSeconds` in [start, end] (Unix seconds). */
  range(expr: string, start: number, end: number, stepSeconds: number): Promise<Array<{ metric: Record<string, string>; values: Array<[number, number]> }>>;
  /** The label sets for which a rule fires now. */
  firing(rule: AlertRule): Promise<Array<Record<string, string>>>;
  stop(): void;
}

export async function startPrometheus(options: { dir: string; targets: string[]; token: string }): Promise<PrometheusServer> {
  const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'provisioning/prometheus/prometheus.yml'), 'utf8'));
  const tokenFile = path.join(options.dir, 'prometheus-token');
  fs.writeFileSync(tokenFile, options.token);
  config.global.scrape_interval = '1s';
  config.scrape_configs[0].authorization.credentials_file = tokenFile;
  config.scrape_configs[0].static_configs[0].targets = options.targets;
  const configFile = path.join(options.dir, 'prometheus.yml');
  fs.writeFileSync(configFile, YAML.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(options.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const body = (await (await fetch(`${url}${pathAndQuery}`)).json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  const server: PrometheusServer = {
    url,
    async query(expr) {
      const data = await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async range(expr, start, end, stepSeconds) {
      const data = await api<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
        `/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=${stepSeconds}`,
      );
      return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }));
    },
    async firing(rule) {
      return (await server.query(rule.expr)).filter((r) => breaches(rule, r.value)).map((r) => r.metric);
    },
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
  await until('Prometheus to answer', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined));
  return server;
}
