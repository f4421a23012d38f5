import fs from 'node:fs';
import path from 'node:path';
import { dateTime, type DataFrame, type DataQueryRequest } from '@grafana/data';
import { setBackendSrv, setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { DataSource } from '../src/datasource';
import type { RpaQuery } from '../src/types';
import type { GroundTruth } from '../../backend/src/sim/simulator';
import { type CollectorProcess, startSimulatedCollector } from './collectorProcess';
import { asBackendSrv, ProxyBackendSrv, StandInTemplateSrv, firstAnswer, queryOnce, dataSourceSettings } from './grafanaStandIns';

const ROOT = path.resolve(__dirname, '../..');
const END = '2026-11-20T00:00:00Z';
const DIR = path.join(ROOT, 'provisioning/dashboards/rpa');
const dashboards = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')));

/** Whether a dashboard's workflow variable takes one workflow (the drill-down) or starts at All (the overview). */
const singleWorkflow = (d: { templating: { list: Array<{ name: string; multi: boolean }> } }) =>
  d.templating.list.some((v) => v.name === 'workflow' && !v.multi);
const panelQueries = dashboards.flatMap((d) =>
  d.panels.flatMap((p: { title: string; targets: RpaQuery[] }) =>
    p.targets.map((t) => [`${d.title} / ${p.title} / ${t.refId}`, t, singleWorkflow(d)] as const),
  ),
);
const annotationQueries = dashboards.flatMap((d) =>
  d.annotations.list
    .filter((a: { builtIn?: number }) => !a.builtIn)
    .map((a: { name: string; target: RpaQuery }) => [`${d.title} / ${a.name}`, a.target, singleWorkflow(d)] as const),
);

/**
 * Every panel query of every provisioned dashboard, sent through the plugin's DataSource to a
 * collector the simulator filled (one week, all incidents). Variables take what a user opening
 * the dashboard would have: the first workflow, every step and host.
 */
describe.each([
  ['through the ingest API', 'ingest'],
  ['as OpenTelemetry traces (OTLP, the runs of an instrumented runner)', 'otlp'],
])('provisioned dashboards against a simulated fleet sent %s', (_, via) => {
  let collector: CollectorProcess;
  let truth: GroundTruth;
  let ds: DataSource;

  beforeAll(async () => {
    ({ collector, truth } = await startSimulatedCollector(['--seed', '1', '--days', '7', '--end', END, '--sample-interval-ms', '300000', '--via', via]));
    setBackendSrv(asBackendSrv(new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: collector.url }, {})));
    ds = new DataSource(dataSourceSettings(collector.url));
  }, 120_000);
  /**
   * The variables as a user opening the dashboard has them: the drill-down on the spike's
   * workflow (so every annotation band has events to show), the overview's workflows at All.
   */
  const openAs = (single: boolean) => {
    const spike = truth.incidents.find((i) => i.kind === 'latency_spike')!;
    setTemplateSrv(
      new StandInTemplateSrv([
        { name: 'workflow', value: single ? spike.workflow! : ['$__all'] },
        { name: 'step', value: ['$__all'] },
        { name: 'host', value: ['$__all'] },
      ]) as unknown as TemplateSrv,
    );
  };
  afterAll(async () => collector?.stop());

  const request = (target: RpaQuery): DataQueryRequest<RpaQuery> => {
    const to = dateTime(Date.parse(END));
    const from = dateTime(Date.parse(END) - 7 * 86_400_000);
    return {
      requestId: 'dash',
      interval: '1h',
      intervalMs: 3_600_000,
      maxDataPoints: 800,
      range: { from, to, raw: { from, to } },
      scopedVars: {},
      targets: [target],
      timezone: 'utc',
      app: 'dashboard',
      startTime: Date.now(),
    } as DataQueryRequest<RpaQuery>;
  };

  it('has queries to run', () => {
    expect(panelQueries.length).toBeGreaterThan(25);
    // One live panel, on the overview: runs as they are recorded.
    expect(panelQueries.filter(([, target]) => target.live).map(([where]) => where)).toEqual(['RPA Fleet Overview / Runs as they happen / A']);
    // Three severity bands, incidents, version changes and implemented insights on each.
    expect(annotationQueries.length).toBe(4 * 6);
  });

  it.each(panelQueries)('%s returns non-empty frames', async (where, target, single) => {
    openAs(single);
    // A live panel's first answer is its range's rows; what follows is the live test's (live.test.ts).
    const { data } = target.live ? await firstAnswer(ds, request(target)) : await queryOnce(ds, request(target));
    expect(data.length).toBeGreaterThan(0);
    // The simulator's hosts report no GPU: the GPU panel is one empty series, as on a fleet without them.
    const empty = where.includes('/ GPU /');
    for (const frame of data as DataFrame[]) expect([where, frame.length > 0]).toEqual([where, !empty]);
  });

  it.each(annotationQueries)('%s answers with an annotation frame', async (where, target, single) => {
    openAs(single);
    const { data } = await queryOnce(ds, request(target));
    const frame = data[0] as DataFrame;
    expect(frame.fields.map((f) => f.name)).toEqual(['time', 'timeEnd', 'title', 'text', 'tags']);
    // The week has severe anomalies and version changes; a band or kind can be empty in other data.
    if (/high|Version|Incidents/.test(where)) expect(frame.length).toBeGreaterThan(0);
  });
});
