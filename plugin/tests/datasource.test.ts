import path from 'node:path';
import { dateTime, FieldType, mapInternalLinkToExplore, type DataFrame, type DataQueryRequest } from '@grafana/data';
import { setBackendSrv, setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { DataSource } from '../src/datasource';
import type { RpaQuery } from '../src/types';
import type { GroundTruth } from '../../backend/src/sim/simulator';
import { runDemo, startCollectorProcess, type CollectorProcess, startSimulatedCollector } from './collectorProcess';
import { asBackendSrv, ProxyBackendSrv, StandInTemplateSrv, queryOnce, dataSourceSettings } from './grafanaStandIns';

const END = '2026-11-20T00:00:00Z';
const DAY = 86_400_000;

function request(targets: RpaQuery[], days = 7): DataQueryRequest<RpaQuery> {
  const to = dateTime(Date.parse(END));
  const from = dateTime(Date.parse(END) - days * DAY);
  return {
    requestId: 'test',
    interval: '1h',
    intervalMs: 3_600_000,
    maxDataPoints: 500,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  } as DataQueryRequest<RpaQuery>;
}

const fieldTypes = (frame: DataFrame) => frame.fields.map((f) => f.type);

describe('the DataSource against a real collector filled by the simulator', () => {
  let collector: CollectorProcess;
  let truth: GroundTruth;
  let proxy: ProxyBackendSrv;
  let templates: StandInTemplateSrv;
  let ds: DataSource;

  beforeAll(async () => {
    ({ collector, truth } = await startSimulatedCollector(['--seed', '1', '--days', '7', '--end', END]));
    proxy = new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: collector.url }, {});
    setBackendSrv(asBackendSrv(proxy));
    templates = new StandInTemplateSrv();
    setTemplateSrv(templates as unknown as TemplateSrv);
    ds = new DataSource(dataSourceSettings(collector.url));
  }, 120_000);
  afterAll(async () => collector?.stop());
  beforeEach(() => templates.setVariables([]));

  it('gives time series as typed time and number fields with labels and units', async () => {
    const { data } = await queryOnce(
      ds,
      request([{ refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'], alias: '{{workflow}}' }]),
    );
    expect(data).toHaveLength(truth.workflows.length);
    for (const frame of data as DataFrame[]) {
      expect(fieldTypes(frame)).toEqual([FieldType.time, FieldType.number]);
      expect(frame.fields[1].config.unit).toBe('ms');
      expect(truth.workflows.map((w) => w.name)).toContain(frame.fields[1].labels!.workflow);
      expect(frame.fields[1].config.displayNameFromDS).toBe(frame.fields[1].labels!.workflow);
      expect(frame.length).toBe(7 * 24);
    }
  });

  it.each([
    ['stats', 'Workflow', FieldType.string],
    ['comparison', 'Median', FieldType.number],
    ['bottlenecks', 'Share of run time', FieldType.number],
    ['degradation', 'Degraded', FieldType.boolean],
    ['trend', 'Slope per day', FieldType.number],
    ['success', 'Success rate', FieldType.number],
    ['anomalies', 'Severity', FieldType.number],
    ['insights', 'Priority', FieldType.number],
    ['executions', 'Time', FieldType.time],
  ] as const)('answers %s with a non-empty table', async (queryType, column, type) => {
    const { data } = await queryOnce(ds, request([{ refId: 'T', queryType }]));
    expect(data).toHaveLength(1);
    const frame = data[0] as DataFrame;
    expect(frame.length).toBeGreaterThan(0);
    expect(frame.fields.find((f) => f.name === column)?.type).toBe(type);
  });

  it('answers host resources per host in percent', async () => {
    const { data } = await queryOnce(ds, request([{ refId: 'R', queryType: 'resources', metric: 'host_cpu' }]));
    expect((data as DataFrame[]).map((f) => f.fields[1].labels!.host).sort()).toEqual([...truth.hosts].sort());
    expect((data[0] as DataFrame).fields[1].config.unit).toBe('percent');
  });

  it('gives executions as log lines for Explore', async () => {
    const { data } = await queryOnce(ds, request([{ refId: 'L', queryType: 'executions', format: 'logs', status: ['failed'], topN: 20 }]));
    const frame = data[0] as DataFrame;
    expect(frame.meta?.preferredVisualisationType).toBe('logs');
    expect(frame.fields.map((f) => f.name)).toEqual(['timestamp', 'body', 'severity', 'id', 'labels']);
    expect(frame.fields[2].values.every((s) => s === 'error')).toBe(true);
    expect(frame.length).toBe(20);
  });

  it("links each run of an executions table to its log in Explore, and the link's query gives that run's steps", async () => {
    const { data } = await queryOnce(ds, request([{ refId: 'T', queryType: 'executions', status: ['failed'], topN: 5 }]));
    const frame = data[0] as DataFrame;
    const ids = frame.fields.find((f) => f.name === 'Execution')!;
    const [link] = ids.config.links!;
    expect(link).toMatchObject({ title: 'Run log in Explore', internal: { datasourceUid: ds.uid, datasourceName: ds.name } });
    // The link as Grafana builds it for the clicked cell (@grafana/data's mapInternalLinkToExplore,
    // with `${__value.raw}` filled from the cell, as Grafana's field link supplier does).
    const id = ids.values[0] as string;
    const scopedVars = { __value: { text: 'raw', value: { raw: id } } };
    const replaceVariables = (text: string, vars?: typeof scopedVars) => text.replace('${__value.raw}', String(vars?.__value.value.raw));
    const model = mapInternalLinkToExplore({
      link,
      internalLink: link.internal!,
      scopedVars,
      field: ids,
      replaceVariables: replaceVariables as never,
      range: request([]).range,
    });
    const explore = JSON.parse(new URL(model.href, 'http://grafana').searchParams.get('left')!) as { datasource: string; queries: RpaQuery[] };
    expect(explore.datasource).toBe(ds.uid);
    expect(explore.queries[0]).toMatchObject({ queryType: 'executions', format: 'logs', execution: [id] });
    // What Explore then shows: the run's start, each of its steps, its end.
    const { data: log } = await queryOnce(ds, request(explore.queries));
    const lines = log[0] as DataFrame;
    expect(lines.meta?.preferredVisualisationType).toBe('logs');
    const body = lines.fields.find((f) => f.name === 'body')!.values as string[];
    expect(body[0]).toMatch(new RegExp(`started .*\\(${id}\\)$`));
    expect(body[body.length - 1]).toMatch(new RegExp(`failed in [0-9.]+ s.*\\(${id}\\)$`));
    const steps = body.filter((b) => b.startsWith('step '));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBe(body.length - 2);
    // Its own lines link on: the runs' log lines carry the same link on their id.
    const { data: runLines } = await queryOnce(ds, request([{ refId: 'L', queryType: 'executions', format: 'logs', topN: 3 }]));
    expect((runLines[0] as DataFrame).fields.find((f) => f.name === 'id')!.config.links?.[0]?.title).toBe('Run log in Explore');
  });

  it('sends a multi-value variable to the collector as a list, and All as no filter', async () => {
    const [a, b] = truth.workflows.map((w) => w.name);
    templates.setVariables([{ name: 'workflow', value: [a, b] }]);
    const { data } = await queryOnce(ds, request([{ refId: 'M', queryType: 'timeseries', metric: 'runs', workflow: ['$workflow'], groupBy: ['workflow'] }]));
    expect((proxy.sent.at(-1)!.body as { targets: RpaQuery[] }).targets[0].workflow).toEqual([a, b]);
    expect((data as DataFrame[]).map((f) => f.fields[1].labels!.workflow).sort()).toEqual([a, b].sort());

    // A format written in the reference (Grafana joins with commas or pipes) still sends the list.
    for (const written of ['${workflow:csv}', '${workflow:pipe}', '${workflow:raw}']) {
      await queryOnce(ds, request([{ refId: 'M', queryType: 'timeseries', metric: 'runs', workflow: [written], groupBy: ['workflow'] }]));
      expect([written, (proxy.sent.at(-1)!.body as { targets: RpaQuery[] }).targets[0].workflow]).toEqual([written, [a, b]]);
    }

    templates.setVariables([{ name: 'workflow', value: ['$__all'] }]);
    const all = await queryOnce(ds, request([{ refId: 'M', queryType: 'timeseries', metric: 'runs', workflow: ['${workflow}'], groupBy: ['workflow'] }]));
    expect((proxy.sent.at(-1)!.body as { targets: RpaQuery[] }).targets[0].workflow).toBeUndefined();
    expect(all.data).toHaveLength(truth.workflows.length);
  });

  it.each([
    ['workflows', undefined, () => truth.workflows.map((w) => w.name).sort()],
    ['hosts', undefined, () => [...truth.hosts].sort()],
    ['robots', undefined, () => truth.robots.map((r) => r.name).sort()],
    ['steps', ['$workflow'], () => [...truth.workflows[0].steps].sort()],
    ['errorTypes', undefined, () => ['business', 'application', 'system', 'timeout']],
    ['versions', ['$workflow'], () => ['1.0.0', '1.1.0']],
  ] as const)('lists %s for template variables', async (kind, workflow, expected) => {
    templates.setVariables([{ name: 'workflow', value: truth.workflows[0].name }]);
    const values = await ds.metricFindQuery({ refId: 'v', kind, workflow: workflow ? [...workflow] : undefined });
    expect(values.map((v) => v.text)).toEqual(expected());
  });

  it('shows the injected latency spike as a region annotation of high severity', async () => {
    const spike = truth.incidents.find((i) => i.kind === 'latency_spike')!;
    const { data } = await queryOnce(
      ds,
      request([{ refId: 'Anno', queryType: 'annotations', annotationType: 'anomalies', minSeverity: 0.7, workflow: [spike.workflow!] }]),
    );
    const frame = data[0] as DataFrame;
    expect(frame.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['time:time', 'timeEnd:time', 'title:string', 'text:string', 'tags:other']);
    const times = frame.fields[0].values as number[];
    const ends = frame.fields[1].values as number[];
    const overlapping = times.filter((t, i) => t < spike.end! && ends[i] >= spike.start);
    expect(overlapping.length).toBeGreaterThan(0);
    expect(times.every((t, i) => ends[i] >= t)).toBe(true);
  });

  it('when a template variable is new or has no kind, then it lists the workflows, as its editor shows', async () => {
    expect(ds.variables!.getDefaultQuery!()).toEqual({ kind: 'workflows' });
    const names = truth.workflows.map((w) => w.name).sort();
    // Grafana calls metricFindQuery('') for a variable stored as a string (no kind): that asked /variables/undefined (400).
    for (const stored of ['', { refId: 'variable' }, undefined]) {
      const values = await ds.metricFindQuery(stored as never);
      expect(values.map((v) => v.text).sort()).toEqual(names);
    }
  });

  it('when an annotation query is new or stored without a type, then it gives one annotation frame of anomalies, not time series', async () => {
    const annotations = ds.annotations!;
    expect(annotations.getDefaultQuery!()).toEqual({ queryType: 'annotations', annotationType: 'anomalies' });
    const stored = annotations.prepareQuery!({ enable: true, name: 'Anomalies', iconColor: 'red', target: { refId: 'Anno' } } as never) as RpaQuery;
    expect(stored).toEqual({ refId: 'Anno', queryType: 'annotations', annotationType: 'anomalies' });
    const { data } = await queryOnce(ds, request([stored]));
    expect(data).toHaveLength(1);
    const frame = data[0] as DataFrame;
    expect(frame.name).toBe('anomalies');
    expect(frame.fields.map((f) => f.name)).toEqual(['time', 'timeEnd', 'title', 'text', 'tags']);
    expect(frame.length).toBeGreaterThan(0);
    // A query the user set to a type stays as it is.
    const timeseries = { refId: 'T', queryType: 'timeseries' as const, metric: 'run_duration' as const };
    expect(annotations.prepareQuery!({ enable: true, name: 'T', iconColor: 'red', target: timeseries } as never)).toEqual(timeseries);
  });

  it('reports the collector version and freshness in the data source test', async () => {
    const result = await ds.testDatasource();
    expect(result.status).toBe('success');
    expect(result.message).toMatch(/^Connected to RPA Analytics collector \d+\.\d+\.\d+\. \d+ executions; the latest started \d+ days ago\.$/);
  });

  it("when one query of a panel is bad, then it gets the collector's message and the others are still drawn", async () => {
    const good = { refId: 'A', queryType: 'timeseries' as const, metric: 'runs' as const, groupBy: ['workflow' as const] };
    const badGroup = { refId: 'B', queryType: 'timeseries' as const, metric: 'run_duration' as const, groupBy: ['step' as const] };
    const badRate = { refId: 'C', queryType: 'timeseries' as const, metric: 'host_cpu' as const, aggregation: 'rate' as const };
    const requests = proxy.sent.length;
    const response = await queryOnce(ds, request([badGroup, good, badRate]));
    expect(response.errors).toEqual([
      { refId: 'B', message: 'query B: groupBy step applies to step_duration only', status: 400 },
      { refId: 'C', message: 'query C: aggregation rate applies to runs, successes and failures', status: 400 },
    ]);
    expect((response.data as DataFrame[]).map((f) => f.refId)).toEqual(truth.workflows.map(() => 'A'));
    // One request, then one more without each query it rejected.
    expect(proxy.sent.length - requests).toBe(3);
    // A panel of one bad query: its error, no data.
    expect(await queryOnce(ds, request([badGroup]))).toEqual({
      data: [],
      errors: [{ refId: 'B', message: 'query B: groupBy step applies to step_duration only', status: 400 }],
    });
  });

  it('when the collector is unreachable, then the test and queries say so', async () => {
    const gone = new DataSource(dataSourceSettings('http://127.0.0.1:9'));
    setBackendSrv(asBackendSrv(new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: 'http://127.0.0.1:9' }, {})));
    try {
      const result = await gone.testDatasource();
      expect(result).toMatchObject({ status: 'error' });
      expect(result.message).toMatch(/^Cannot reach the collector at http:\/\/127\.0\.0\.1:9 \(502 from the Grafana proxy\)/);
      await expect(gone.query(request([{ refId: 'A', queryType: 'stats' }]))).rejects.toThrow(/Cannot reach the collector/);
    } finally {
      setBackendSrv(asBackendSrv(proxy));
    }
  });

  it('when the URL is not a collector, then the test says to check it', async () => {
    const wrong = new DataSource(dataSourceSettings(`${collector.url}/grafana`));
    setBackendSrv(asBackendSrv(new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: `${collector.url}/grafana` }, {})));
    try {
      expect(await wrong.testDatasource()).toEqual({
        status: 'error',
        message: `No RPA Analytics API at ${collector.url}/grafana (404): check the collector URL (its base, without /api/v1).`,
      });
    } finally {
      setBackendSrv(asBackendSrv(proxy));
    }
  });
});

describe('the DataSource against a collector that requires tokens', () => {
  const READ = 'grafana-read-token-0123';
  const INGEST = 'robot-ingest-token-0123';
  let collector: CollectorProcess;

  beforeAll(async () => {
    collector = await startCollectorProcess({ RPA_READ_TOKEN: READ, RPA_INGEST_TOKEN: INGEST });
    await runDemo(collector.url, ['--days', '1', '--end', END, '--workflows', '2', '--truth', path.join(collector.dataDir, 'truth.json')], INGEST);
    setTemplateSrv(new StandInTemplateSrv() as unknown as TemplateSrv);
  }, 120_000);
  afterAll(async () => collector?.stop());

  const withToken = (apiToken?: string) => {
    setBackendSrv(asBackendSrv(new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: collector.url }, { apiToken })));
    return new DataSource(dataSourceSettings(collector.url));
  };

  it('when the read token is set (the proxy route adds it), then the test succeeds and queries answer', async () => {
    const ds = withToken(READ);
    expect((await ds.testDatasource()).status).toBe('success');
    const { data } = await queryOnce(ds, request([{ refId: 'A', queryType: 'stats' }], 1));
    expect((data[0] as DataFrame).length).toBe(2);
  });

  it('when no token is set, then the test and queries say the token is missing (401)', async () => {
    const ds = withToken(undefined);
    const message = `The collector at ${collector.url} refused the request: no valid API token (401). Set the API token in the data source settings.`;
    expect(await ds.testDatasource()).toEqual({ status: 'error', message });
    await expect(ds.query(request([{ refId: 'A', queryType: 'stats' }], 1))).rejects.toThrow(message);
  });

  it('when the token lacks the read scope, then they say so (403)', async () => {
    const ds = withToken(INGEST);
    await expect(ds.query(request([{ refId: 'A', queryType: 'stats' }], 1))).rejects.toThrow('the API token lacks the read scope (403)');
  });
});
