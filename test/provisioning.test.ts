import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { dashboards } from '../provisioning/src/dashboards';

const { satisfies } = require('../plugin/scripts/checkPlugin.js') as { satisfies: (version: string, range: string) => boolean };

/**
 * No Docker engine and no Grafana server run here: the provisioning and compose files are
 * checked as files, against each other and against the plugin.
 */
const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const yaml = (file: string) => YAML.parse(read(file));

const pluginJson = JSON.parse(read('plugin/src/plugin.json'));
const datasources = yaml('provisioning/datasources/datasources.yaml');
const compose = yaml('docker-compose.yml');
const rules = yaml('provisioning/alerting/rules.yaml');
const prometheus = yaml('provisioning/prometheus/prometheus.yml');
const dashboardFiles = fs.readdirSync(path.join(ROOT, 'provisioning/dashboards/rpa')).filter((f) => f.endsWith('.json'));
const dashboardJson = dashboardFiles.map((f) => JSON.parse(read(`provisioning/dashboards/rpa/${f}`)));
const dsUids = new Set<string>(datasources.datasources.map((d: { uid: string }) => d.uid));

/** Every data source reference in a dashboard: panels, targets, variables, annotations. */
function referencedDatasources(dashboard: any): Array<{ uid: string; type: string; where: string }> {
  const refs: Array<{ uid: string; type: string; where: string }> = [];
  for (const panel of dashboard.panels) {
    refs.push({ ...panel.datasource, where: `panel ${panel.title}` });
    for (const t of panel.targets) refs.push({ ...t.datasource, where: `panel ${panel.title} ${t.refId}` });
  }
  for (const v of dashboard.templating.list) refs.push({ ...v.datasource, where: `variable ${v.name}` });
  for (const a of dashboard.annotations.list) if (!a.builtIn) refs.push({ ...a.datasource, where: `annotation ${a.name}` });
  return refs;
}

describe('provisioning', () => {
  it('provisions the plugin (by its plugin.json id) and Prometheus with stable uids, the token from the environment', () => {
    const [rpa, prom] = datasources.datasources;
    expect(datasources.apiVersion).toBe(1);
    expect(rpa).toMatchObject({
      uid: 'rpa-analytics',
      type: pluginJson.id,
      access: 'proxy',
      jsonData: { collectorUrl: 'http://collector:5001' },
      secureJsonData: { apiToken: '$RPA_READ_TOKEN' },
    });
    expect(prom).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('keeps the dashboard files in step with their source (npm run dashboards)', () => {
    const generated = dashboards();
    expect(dashboardFiles.sort()).toEqual(
      Object.keys(generated)
        .map((name) => `${name}.json`)
        .sort(),
    );
    for (const [name, dashboard] of Object.entries(generated)) {
      expect(JSON.parse(read(`provisioning/dashboards/rpa/${name}.json`))).toEqual(dashboard);
    }
  });

  it('has the four dashboards, with the drill-down variables, tables and one annotation query per severity band', () => {
    const byTitle = new Map(dashboardJson.map((d) => [d.title, d]));
    expect([...byTitle.keys()].sort()).toEqual(['Anomalies and Insights', 'Hosts and Resources', 'RPA Fleet Overview', 'Workflow Drill-down']);
    expect(byTitle.get('Workflow Drill-down').templating.list.map((v: { name: string }) => v.name)).toEqual(['workflow', 'step', 'host']);
    const tables = dashboardJson.flatMap((d) =>
      d.panels.filter((p: { type: string }) => p.type === 'table').flatMap((p: { targets: Array<{ queryType: string }> }) => p.targets.map((t) => t.queryType)),
    );
    expect(tables).toEqual(expect.arrayContaining(['stats', 'bottlenecks', 'insights']));
    for (const d of dashboardJson) {
      const bands = d.annotations.list.filter((a: any) => a.target?.annotationType === 'anomalies');
      expect(bands.map((a: any) => [a.target.minSeverity, a.target.maxSeverity])).toEqual([
        [0.7, undefined],
        [0.5, 0.7],
        [0.4, 0.5],
      ]);
      expect(new Set(bands.map((a: any) => a.iconColor)).size).toBe(3);
      expect(new Set(d.panels.map((p: { id: number }) => p.id)).size).toBe(d.panels.length);
    }
    expect(new Set(dashboardJson.map((d) => d.uid)).size).toBe(4);
  });

  it('shows incidents (a table and annotations), filters annotations by the variables of each dashboard, and links workflows to their drill-down', () => {
    const byTitle = new Map(dashboardJson.map((d) => [d.title, d]));
    const queryTypes = (d: any) => d.panels.flatMap((p: any) => p.targets.map((t: any) => t.queryType));
    expect(queryTypes(byTitle.get('RPA Fleet Overview'))).toContain('incidents');
    expect(queryTypes(byTitle.get('Anomalies and Insights'))).toContain('incidents');
    for (const d of dashboardJson) {
      const rpa = d.annotations.list.filter((a: any) => !a.builtIn);
      expect(rpa.map((a: any) => a.target.annotationType)).toContain('incidents');
      // Each annotation query is narrowed by the dashboard's subject: its workflows, or its hosts
      // (a host filter keeps host anomalies only, so dashboards about workflows filter by workflow).
      const expected: Record<string, string[]> = {
        'RPA Fleet Overview': ['workflow=$workflow'],
        'Workflow Drill-down': ['workflow=$workflow'],
        'Hosts and Resources': ['host=$host'],
        'Anomalies and Insights': [],
      };
      const filters = (a: any) => ['workflow', 'host'].filter((f) => a.target[f]).map((f) => `${f}=${a.target[f].join(',')}`);
      for (const a of rpa) expect([d.title, a.name, filters(a)]).toEqual([d.title, a.name, expected[d.title]]);
    }
    expect(byTitle.get('Hosts and Resources').annotations.list.find((a: any) => a.name === 'Incidents').target.host).toEqual(['$host']);
    // The overview filters by workflow and host; the workflow columns of its tables open the drill-down.
    const overview = byTitle.get('RPA Fleet Overview');
    expect(overview.templating.list.map((v: { name: string; multi: boolean }) => [v.name, v.multi])).toEqual([
      ['workflow', true],
      ['host', true],
    ]);
    for (const title of ['Workflow statistics', 'Top insights']) {
      const panel = overview.panels.find((p: any) => p.title === title);
      expect(panel.fieldConfig.overrides.filter((o: any) => o.properties.some((p: { id: string }) => p.id === 'links'))).toEqual([
        {
          matcher: { id: 'byName', options: 'Workflow' },
          properties: [
            {
              id: 'links',
              value: [
                {
                  title: 'Drill down into ${__value.raw}',
                  url: '/d/rpa-workflow-drilldown/workflow-drill-down?var-workflow=${__value.raw:percentencode}&${__url_time_range}',
                },
              ],
            },
          ],
        },
      ]);
      // Column widths for what is short, so names and titles keep the room (checked drawn at 1600 px by test:e2e).
      expect(panel.fieldConfig.overrides).toContainEqual({ matcher: { id: 'byName', options: 'Workflow' }, properties: [{ id: 'custom.width', value: 200 }] });
    }
    expect(byTitle.get('Workflow Drill-down').uid).toBe('rpa-workflow-drilldown');
    expect(byTitle.get('Workflow Drill-down').templating.list[0].name).toBe('workflow');
    // GPU where a host's agent reports one.
    expect(byTitle.get('Hosts and Resources').panels.some((p: any) => p.targets.some((t: any) => t.metric === 'host_gpu'))).toBe(true);
  });

  it('references only provisioned data sources, of the right type', () => {
    const types = new Map(datasources.datasources.map((d: { uid: string; type: string }) => [d.uid, d.type]));
    for (const d of dashboardJson) {
      for (const ref of referencedDatasources(d)) {
        expect({ where: `${d.title}: ${ref.where}`, uid: ref.uid, type: ref.type }).toEqual({
          where: `${d.title}: ${ref.where}`,
          uid: ref.uid,
          type: types.get(ref.uid),
        });
      }
    }
    for (const rule of rules.groups.flatMap((g: any) => g.rules)) {
      for (const item of rule.data) expect(item.datasourceUid === '__expr__' || dsUids.has(item.datasourceUid)).toBe(true);
    }
  });

  it('gives every alert rule a Prometheus query and a threshold on it', () => {
    const all = rules.groups.flatMap((g: any) => g.rules);
    expect(all.map((r: { uid: string }) => r.uid)).toEqual([
      'rpa-success-rate-drop',
      'rpa-run-p95-high',
      'rpa-anomaly-severe',
      'rpa-collector-down',
      'rpa-collector-silent',
      'rpa-workflow-overdue',
    ]);
    for (const rule of all) {
      const query = rule.data.find((d: any) => d.datasourceUid === 'prometheus');
      const condition = rule.data.find((d: any) => d.refId === rule.condition);
      expect(query.model.expr).toMatch(/rpa_|up\{/);
      expect(condition).toMatchObject({ datasourceUid: '__expr__', model: { type: 'threshold', expression: query.refId } });
      expect(['gt', 'lt']).toContain(condition.model.conditions[0].evaluator.type);
    }
    expect(all.find((r: { uid: string }) => r.uid === 'rpa-anomaly-severe')).toMatchObject({ for: '5m' });
    // Several collectors export the same values: every rule but "collector down" (which is about
    // one instance) reads its metrics through an aggregation that keeps only what names the problem.
    for (const rule of all.filter((r: { uid: string }) => r.uid !== 'rpa-collector-down')) {
      const expr: string = rule.data.find((d: any) => d.datasourceUid === 'prometheus').model.expr;
      expect({ uid: rule.uid, bare: expr.replace(/max (by \([a-z, ]+\) )?\(rpa_[a-z0-9_]+\)/g, '').match(/rpa_[a-z0-9_]+/g) }).toEqual({
        uid: rule.uid,
        bare: null,
      });
    }
    const contactPoints = yaml('provisioning/alerting/contact-points.yaml');
    const policies = yaml('provisioning/alerting/policies.yaml');
    expect(policies.policies[0].receiver).toBe(contactPoints.contactPoints[0].name);
  });

  it('scrapes the collector under the job name the rules use, with a read token from a secret file', () => {
    const job = prometheus.scrape_configs[0];
    expect(job).toMatchObject({
      job_name: 'rpa-collector',
      metrics_path: '/metrics',
      authorization: { type: 'Bearer', credentials_file: '/run/secrets/rpa_read_token' },
    });
    expect(job.static_configs[0].targets).toEqual(['collector:5001']);
    expect(read('provisioning/alerting/rules.yaml')).toContain('up{job="rpa-collector"}');
  });
});

describe('docker-compose.yml', () => {
  const services = compose.services;
  const hostPorts = (s: any) => (s.ports ?? []).map((p: string) => p.split(':')[0]);

  it('publishes the collector on 5001 and Grafana on 3000, not Prometheus (no auth of its own), with health checks', () => {
    expect(Object.keys(services).sort()).toEqual(['collector', 'grafana', 'prometheus']);
    expect(hostPorts(services.collector)).toEqual(['5001']);
    expect(hostPorts(services.grafana)).toEqual(['3000']);
    expect(services.prometheus.ports).toBeUndefined();
    for (const s of Object.values(services) as any[]) expect(s.healthcheck.test.length).toBeGreaterThan(1);
  });

  it('takes every secret and setting from .env, with no default for any secret, and .env.example lists each', () => {
    const text = read('docker-compose.yml');
    const used = new Set([...text.matchAll(/\$\{(\w+)(:[-?][^}]*)?\}/g)].map((m) => m[1]));
    const example = new Map(
      read('.env.example')
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]),
    );
    expect([...used].sort()).toEqual([...example.keys()].sort());
    // Secrets are required (`:?`), never defaulted; the example's values are placeholders.
    for (const secret of ['RPA_INGEST_TOKEN', 'RPA_READ_TOKEN', 'RPA_ADMIN_TOKEN', 'GRAFANA_ADMIN_PASSWORD']) {
      expect([secret, new RegExp(`\\$\\{${secret}:\\?`).test(text), new RegExp(`\\$\\{${secret}:-`).test(text)]).toEqual([secret, true, false]);
      expect(example.get(secret)).toMatch(/^replace-with-/);
    }
    expect(services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    // Alert e-mails: Grafana's SMTP settings and the contact point's address come from .env.
    expect(services.grafana.environment).toMatchObject({
      GF_SMTP_ENABLED: 'true',
      GF_SMTP_HOST: expect.stringMatching(/^\$\{SMTP_HOST:\?/),
      GF_SMTP_FROM_ADDRESS: expect.stringMatching(/^\$\{SMTP_FROM_ADDRESS:\?/),
      RPA_ALERT_EMAIL: expect.stringMatching(/^\$\{RPA_ALERT_EMAIL:\?/),
    });
    const email = yaml('provisioning/alerting/contact-points.yaml').contactPoints[0].receivers.find((r: { type: string }) => r.type === 'email');
    expect(email.settings.addresses).toBe('$RPA_ALERT_EMAIL');
  });

  it('builds the collector from the backend Dockerfile (multi-stage, Node 20 slim) and keeps SQLite on a named volume', () => {
    expect(services.collector.build).toEqual({ context: '.', dockerfile: 'backend/Dockerfile' });
    const dockerfile = read('backend/Dockerfile');
    expect(dockerfile.match(/^FROM node:20-[a-z]+-slim/gm)).toHaveLength(2);
    expect(services.collector.environment).toMatchObject({
      RPA_HOST: '0.0.0.0',
      RPA_PORT: '5001',
      RPA_DATA_DIR: '/data',
      RPA_TIME_ZONE: '${RPA_TIME_ZONE:-UTC}',
    });
    expect(services.collector.volumes).toEqual(['collector-data:/data']);
    expect(Object.keys(compose.volumes)).toContain('collector-data');
    expect(services.collector.environment.RPA_READ_TOKEN).toMatch(/^\$\{RPA_READ_TOKEN:\?/);
    // The workspace packages the backend depends on are copied, installed and built before it.
    const workspaces = Object.keys(JSON.parse(read('backend/package.json')).dependencies).filter((name) => name.startsWith('@rpa-analytics/'));
    expect(workspaces).toEqual(['@rpa-analytics/contract', '@rpa-analytics/sdk']);
    for (const name of workspaces) {
      const dir = name.replace('@rpa-analytics/', '');
      expect(dockerfile).toContain(`COPY ${dir}/package.json ${dir}/`);
      expect(dockerfile).toContain(`COPY ${dir}/src ${dir}/src`);
      expect(dockerfile).toMatch(new RegExp(`npm ci (--workspace \\w+ )*--workspace ${dir} `));
      expect(dockerfile.indexOf(`npm run build --workspace ${dir}`)).toBeLessThan(dockerfile.indexOf('npm run build --workspace backend'));
    }
  });

  it('starts the compiled collector with the same Node flags in the image and in npm start, and the tests with those flags', () => {
    const flags = (command: string[]) => command.filter((part) => part.startsWith('--'));
    const image = JSON.parse(/^CMD (\[.*\])$/m.exec(read('backend/Dockerfile'))![1]) as string[];
    const npmStart = JSON.parse(read('package.json')).scripts.start.split(' ') as string[];
    const collectorProcess = /spawn\(process\.execPath, (\[[^\]]*\])/.exec(read('backend/src/testing/collectorProcess.ts'))![1];
    expect(flags(image)).toEqual(['--max-semi-space-size=32']);
    expect(flags(npmStart)).toEqual(flags(image));
    // Both run the compiled collector (npm run build), which npm start builds first.
    expect(image.filter((part) => !part.startsWith('--'))).toEqual(['node', 'backend/dist/main.js', 'serve']);
    expect(npmStart.filter((part) => !part.startsWith('--'))).toEqual(['node', 'backend/dist/main.js', 'serve']);
    expect(JSON.parse(read('package.json')).scripts.prestart).toBe(
      'npm run -s build --workspace contract && npm run -s build --workspace sdk && npm run -s build --workspace backend',
    );
    // The image compiles what it runs, and keeps no TypeScript sources or compiler.
    expect(read('backend/Dockerfile')).toMatch(
      /RUN npm run build --workspace contract && npm run build --workspace sdk && npm run build --workspace backend \\\n\s+&& npm prune --omit=dev/,
    );
    expect(collectorProcess).toContain(`'${flags(image)[0]}'`);
  });

  it('mounts the built plugin under its id, allows it unsigned, and mounts every provisioning folder', () => {
    const g = services.grafana;
    expect(g.image).toMatch(/^grafana\/grafana:/);
    // A Grafana that provides what the plugin's bundle imports from it (plugin/scripts/checkPlugin.js).
    expect(satisfies(g.image.split(':')[1], pluginJson.dependencies.grafanaDependency)).toBe(true);
    expect(g.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe(pluginJson.id);
    const mounts = new Map<string, string>(g.volumes.map((v: string) => [v.split(':')[1], v.split(':')[0]]));
    expect(mounts.get(`/var/lib/grafana/plugins/${pluginJson.id}`)).toBe('./plugin/dist');
    expect(mounts.get('/etc/grafana/provisioning/datasources')).toBe('./provisioning/datasources');
    expect(mounts.get('/etc/grafana/provisioning/alerting')).toBe('./provisioning/alerting');
    // The dashboards provider's path is where the dashboard files are mounted.
    const provider = yaml('provisioning/dashboards/dashboards.yaml').providers[0];
    expect(mounts.get(provider.options.path)).toBe('./provisioning/dashboards/rpa');
    for (const source of mounts.values()) if (source.startsWith('./')) expect(fs.existsSync(path.join(ROOT, source)) || source === './plugin/dist').toBe(true);
  });

  it('gives Prometheus its config and the read token as the secret its config names', () => {
    const p = services.prometheus;
    expect(p.volumes).toContain('./provisioning/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(p.secrets).toEqual(['rpa_read_token']);
    expect(compose.secrets.rpa_read_token).toEqual({ environment: 'RPA_READ_TOKEN' });
    expect(prometheus.scrape_configs[0].static_configs[0].targets[0]).toBe(`collector:${services.collector.environment.RPA_PORT}`);
    // Grafana reaches it on the compose network, at the port its health check uses.
    expect(datasources.datasources[1].url).toBe('http://prometheus:9090');
    expect(p.healthcheck.test).toContain('http://127.0.0.1:9090/-/healthy');
    expect(datasources.datasources[0].jsonData.collectorUrl).toBe(`http://collector:${hostPorts(services.collector)[0]}`);
  });
});
