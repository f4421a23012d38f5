import fs from 'node:fs';
import path from 'node:path';
import { dateTime, type DataFrame, type DataQueryRequest } from '@grafana/data';
import { setBackendSrv, setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { DataSource } from '../src/datasource';
import type { RpaQuery } from '../src/types';
import type { GroundTruth } from '../../backend/src/sim/simulator';
import { type CollectorProcess, startSimulatedCollector } from './collectorProcess';
import { asBackendSrv, ProxyBackendSrv, StandInTemplateSrv, queryOnce, dataSourceSettings } from './grafanaStandIns';

const ROOT = path.resolve(__dirname, '../..');
const END = '2026-11-20T00:00:00Z';
const DIR = path.join(ROOT, 'provisioning/dashboards/rpa');
const dashboards = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')));

const panelQueries = dashboards.flatMap((d) =>
  d.panels.flatMap((p: { title: string; targets: RpaQuery[] }) => p.targets.map((t) => [`${d.title} / ${p.title} / ${t.refId}`, t] as const)),
);
const annotationQueries = dashboards.flatMap((d) =>
  d.annotations.list.filter((a: { builtIn?: number }) => !a.builtIn).map((a: { name: string; target: RpaQuery }) => [`${d.title} / ${a.name}`, a.target] as const),
);

/**
 * Every panel query of every provisioned dashboard, sent through the plugin's DataSource to a
 * collector the simulator filled (one week, all incidents). Variables take what a user opening
 * the dashboard would have: the first workflow, every step and host.
 */
describe('provisioned dashboards against a simulated fleet', () => {
  let collector: CollectorProcess;
  let truth: GroundTruth;
  let ds: DataSource;

  beforeAll(async () => {
    ({ collector, truth } = await startSimulatedCollector(['--seed', '1', '--days', '7', '--end', END, '--sample-interval-ms', '300000']));
    setBackendSrv(asBackendSrv(new ProxyBackendSrv('/api/datasources/proxy/uid/rpa-analytics', { collectorUrl: collector.url }, {})));
    // The spike's workflow, so every annotation band of the drill-down has events to show.
    const spike = truth.incidents.find((i) => i.kind === 'latency_spike')!;
    setTemplateSrv(new StandInTemplateSrv([{ name: 'workflow', value: spike.workflow! }, { name: 'step', value: ['$__all'] }, { name: 'host', value: ['$__all'] }]) as unknown as TemplateSrv);
    ds = new DataSource(dataSourceSettings(collector.url));
  }, 120_000);
  afterAll(async () => collector?.stop());

  const request = (target: RpaQuery): DataQueryRequest<RpaQuery> => {
    const to = dateTime(Date.parse(END));
    const from = dateTime(Date.parse(END) - 7 * 86_400_000);
    return { requestId: 'dash', interval: '1h', intervalMs: 3_600_000, maxDataPoints: 800, range: { from, to, raw: { from, to } }, scopedVars: {}, targets: [target], timezone: 'utc', app: 'dashboard', startTime: Date.now() } as DataQueryRequest<RpaQuery>;
  };

  it('has queries to run', () => {
    expect(panelQueries.length).toBeGreaterThan(25);
    expect(annotationQueries.length).toBe(4 * 5);
  });

  it.each(panelQueries)('%s returns non-empty frames', async (_where, target) => {
    const { data } = await queryOnce(ds, request(target));
    expect(data.length).toBeGreaterThan(0);
    for (const frame of data as DataFrame[]) expect(frame.length).toBeGreaterThan(0);
  });

  it.each(annotationQueries)('%s answers with an annotation frame', async (where, target) => {
    const { data } = await queryOnce(ds, request(target));
    const frame = data[0] as DataFrame;
    expect(frame.fields.map((f) => f.name)).toEqual(['time', 'timeEnd', 'title', 'text', 'tags']);
    // The week has severe anomalies and version changes; a band or kind can be empty in other data.
    if (/high|Version/.test(where)) expect(frame.length).toBeGreaterThan(0);
  });
});
