import type { Anomaly } from '@rpa-analytics/contract';
import type { Execution, ResourceSample, Step } from '@rpa-analytics/contract';
import { collectorForTests, getJson, postJson } from '../testing/harness';
import { AGGREGATIONS, aggregationsFor, HOST_METRICS, RUN_METRICS } from '@rpa-analytics/contract';

const T0 = Date.UTC(2026, 10, 2, 8);
const HOUR = 3600_000;
const MIN = 60_000;

/**
 * Two workflows over two hours. Hour 1: Claims runs of 1, 2, 3 and 10 s (one failed), Payroll
 * 5 s. Hour 2: Claims 4 s. Host vm-1 at 10% then 30% CPU, vm-2 at 50%.
 */
function fixture() {
  const run = (id: string, workflow: string, at: number, durationMs: number, extra: Partial<Execution> = {}): Execution => ({
    id,
    workflow,
    robot: workflow === 'Claims' ? 'bot-1' : 'bot-2',
    host: 'vm-1',
    packageVersion: '1.0.0',
    startedAt: at,
    endedAt: at + durationMs,
    durationMs,
    status: 'completed',
    ...extra,
  });
  const executions: Execution[] = [
    run('c1', 'Claims', T0 + 1 * MIN, 1000),
    run('c2', 'Claims', T0 + 2 * MIN, 2000),
    run('c3', 'Claims', T0 + 3 * MIN, 3000),
    run('c4', 'Claims', T0 + 4 * MIN, 10_000, { status: 'failed', errorType: 'application', errorMessage: 'Selector not found' }),
    run('p1', 'Payroll', T0 + 5 * MIN, 5000, { host: 'vm-2' }),
    run('c5', 'Claims', T0 + HOUR + 1 * MIN, 4000, { packageVersion: '1.1.0' }),
  ];
  const steps: Step[] = executions.flatMap((e) => [
    { executionId: e.id, index: 0, name: 'Login', startedAt: e.startedAt, durationMs: 500, status: 'completed' as const },
    { executionId: e.id, index: 1, name: 'Work', startedAt: e.startedAt + 500, durationMs: e.durationMs! - 500, status: 'completed' as const },
  ]);
  const sample = (host: string, time: number, cpu: number): ResourceSample => ({
    host,
    time,
    cpuPercent: cpu,
    memoryUsedBytes: 4e9,
    memoryTotalBytes: 16e9,
    diskReadBytesPerSec: 100,
    diskWriteBytesPerSec: 200,
    netRxBytesPerSec: 300,
    netTxBytesPerSec: 400,
  });
  const samples = [sample('vm-1', T0, 10), sample('vm-1', T0 + HOUR, 30), sample('vm-2', T0, 50)];
  return { executions, steps, samples };
}

describe('query API (what the Grafana plugin calls)', () => {
  const ctx = collectorForTests();
  const range = { from: T0, to: T0 + 2 * HOUR };
  const query = (targets: object[], extra: object = {}) => postJson(`${ctx.base}/query`, { range, intervalMs: HOUR, maxDataPoints: 100, targets, ...extra });

  beforeAll(async () => {
    expect((await postJson(`${ctx.base}/ingest`, fixture())).status).toBe(200);
  });

  it('buckets run durations by the panel interval, one frame per group, typed fields with labels and units', async () => {
    const { status, body } = await query([
      { refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'avg', groupBy: ['workflow'], alias: '{{workflow}} avg' },
    ]);
    expect(status).toBe(200);
    expect(body.results.A.frames).toEqual([
      {
        refId: 'A',
        name: 'Claims avg',
        fields: [
          { name: 'Time', type: 'time', values: [T0, T0 + HOUR] },
          {
            name: 'run_duration avg',
            type: 'number',
            labels: { workflow: 'Claims' },
            config: { unit: 'ms', displayNameFromDS: 'Claims avg' },
            values: [2000, 4000],
          },
        ],
      },
      {
        refId: 'A',
        name: 'Payroll avg',
        fields: [
          { name: 'Time', type: 'time', values: [T0, T0 + HOUR] },
          {
            name: 'run_duration avg',
            type: 'number',
            labels: { workflow: 'Payroll' },
            config: { unit: 'ms', displayNameFromDS: 'Payroll avg' },
            values: [5000, null],
          },
        ],
      },
    ]);
  });

  it.each([
    ['p95 of completed Claims runs', { metric: 'run_duration', aggregation: 'p95', workflow: ['Claims'] }, [2900, 4000]],
    ['max', { metric: 'run_duration', aggregation: 'max', workflow: ['Claims'] }, [3000, 4000]],
    ['runs counted, empty hours 0', { metric: 'runs', workflow: ['Payroll'] }, [1, 0]],
    ['failures', { metric: 'failures', workflow: ['Claims'] }, [1, 0]],
    ['success rate in percent', { metric: 'success_rate', workflow: ['Claims'] }, [75, 100]],
    ['runs per minute', { metric: 'runs', aggregation: 'rate', workflow: ['Claims'] }, [4 / 60, 1 / 60]],
    ['a multi-value filter as a list', { metric: 'runs', workflow: ['Claims', 'Payroll'] }, [5, 1]],
    ['failed runs only, by status filter', { metric: 'runs', status: ['failed'] }, [1, 0]],
  ])('%s', async (_name, target, values) => {
    const { body } = await query([{ refId: 'A', queryType: 'timeseries', ...target }]);
    expect(body.results.A.frames).toHaveLength(1);
    const [time, value] = body.results.A.frames[0].fields;
    expect(time.values).toEqual([T0, T0 + HOUR]);
    expect(value.values.map((v: number) => Math.round(v * 1e9) / 1e9)).toEqual(values.map((v) => Math.round(v * 1e9) / 1e9));
  });

  it.each([
    ['a count of run durations is a number of runs, not milliseconds', { metric: 'run_duration', aggregation: 'count', workflow: ['Claims'] }, 'short', [3, 1]],
    [
      'a count of host samples is a number of samples, not percent',
      { queryType: 'resources', metric: 'host_cpu', aggregation: 'count', host: ['vm-1'] },
      'short',
      [1, 1],
    ],
    ['runs counted', { metric: 'runs', workflow: ['Claims'] }, 'short', [4, 1]],
    ['runs per minute', { metric: 'runs', aggregation: 'rate', workflow: ['Claims'] }, 'runs/min', [4 / 60, 1 / 60]],
    ['an average duration keeps its unit', { metric: 'run_duration', aggregation: 'avg', workflow: ['Claims'] }, 'ms', [2000, 4000]],
  ])('%s', async (_name, target, unit, values) => {
    const { body } = await query([{ refId: 'U', queryType: 'timeseries', ...target }]);
    const [, value] = body.results.U.frames[0].fields;
    expect(value.config.unit).toBe(unit);
    expect(value.values.map((v: number) => Math.round(v * 1e9) / 1e9)).toEqual(values.map((v) => Math.round(v * 1e9) / 1e9));
  });

  it('accepts every aggregation the query editor offers for a metric (aggregationsFor), and rejects rate where it is not offered', async () => {
    for (const metric of [...RUN_METRICS, ...HOST_METRICS]) {
      for (const aggregation of AGGREGATIONS) {
        const queryType = (HOST_METRICS as readonly string[]).includes(metric) ? 'resources' : 'timeseries';
        const { status } = await query([{ refId: 'A', queryType, metric, aggregation }]);
        const offered = aggregationsFor(metric).includes(aggregation);
        if (offered) expect([metric, aggregation, status]).toEqual([metric, aggregation, 200]);
        if (aggregation === 'rate') expect([metric, aggregation, status === 200]).toEqual([metric, aggregation, offered]);
      }
    }
  });

  it('when a bad query follows one answered from the cache, then the 400 names its place in the request', async () => {
    const good = { refId: 'A', queryType: 'timeseries', metric: 'runs', workflow: ['Payroll'] };
    expect((await query([good])).status).toBe(200);
    const { status, body } = await query([good, { refId: 'C', queryType: 'resources', metric: 'host_cpu', aggregation: 'rate' }]);
    expect(status).toBe(400);
    expect(body.error.details).toEqual([{ field: 'targets[1].aggregation', message: 'rate applies to runs, successes and failures' }]);
  });

  it('groups step durations by step', async () => {
    const { body } = await query([
      { refId: 'S', queryType: 'timeseries', metric: 'step_duration', aggregation: 'sum', groupBy: ['step'], workflow: ['Payroll'] },
    ]);
    expect(body.results.S.frames.map((f: { fields: Array<{ labels?: object; values: unknown[] }> }) => [f.fields[1].labels, f.fields[1].values])).toEqual([
      [{ step: 'Login' }, [500, null]],
      [{ step: 'Work' }, [4500, null]],
    ]);
  });

  it('gives host resources per host with percent and bytes/s units', async () => {
    const { body } = await query([
      { refId: 'C', queryType: 'resources', metric: 'host_cpu' },
      { refId: 'N', queryType: 'resources', metric: 'net_rx', host: ['vm-2'] },
    ]);
    expect(
      body.results.C.frames.map((f: { fields: Array<{ labels: object; config: object; values: unknown[] }> }) => [
        f.fields[1].labels,
        f.fields[1].config,
        f.fields[1].values,
      ]),
    ).toEqual([
      [{ host: 'vm-1' }, { unit: 'percent', displayNameFromDS: 'vm-1' }, [10, 30]],
      [{ host: 'vm-2' }, { unit: 'percent', displayNameFromDS: 'vm-2' }, [50, null]],
    ]);
    expect(body.results.N.frames[0].fields[1]).toMatchObject({ config: { unit: 'Bps', displayNameFromDS: 'vm-2' }, values: [300, null] });
  });

  it('when nothing matches, then an empty frame, not an error', async () => {
    const { status, body } = await query([{ refId: 'E', queryType: 'timeseries', metric: 'run_duration', workflow: ['Nobody'] }]);
    expect(status).toBe(200);
    expect(body.results.E.frames).toEqual([
      {
        refId: 'E',
        name: 'run_duration avg',
        fields: [
          { name: 'Time', type: 'time', values: [] },
          { name: 'run_duration avg', type: 'number', config: { unit: 'ms' }, values: [] },
        ],
      },
    ]);
  });

  it('answers the table query types with typed columns', async () => {
    const { body } = await query([
      { refId: 'stats', queryType: 'stats' },
      { refId: 'bottlenecks', queryType: 'bottlenecks', topN: 1 },
      { refId: 'executions', queryType: 'executions', workflow: ['Claims'], status: ['failed'] },
      { refId: 'success', queryType: 'success' },
    ]);
    const col = (refId: string, name: string) => body.results[refId].frames[0].fields.find((f: { name: string }) => f.name === name);
    expect(col('stats', 'Workflow').values).toEqual(['Claims', 'Payroll']);
    expect(col('stats', 'Median')).toEqual({ name: 'Median', type: 'number', config: { unit: 'ms' }, values: [2500, 5000] });
    expect(col('stats', 'Success rate').values).toEqual([80, 100]);
    expect(col('bottlenecks', 'Step').values).toEqual(['Work']);
    expect(col('executions', 'Execution').values).toEqual(['c4']);
    expect(col('executions', 'Time')).toMatchObject({ type: 'time', values: [T0 + 4 * MIN] });
    expect(col('success', 'Application').values).toEqual([1, 0]);
  });

  it('gives executions as log lines for Explore', async () => {
    const { body } = await query([{ refId: 'L', queryType: 'executions', format: 'logs', workflow: ['Claims'], topN: 2 }]);
    const frame = body.results.L.frames[0];
    expect(frame.meta).toMatchObject({ preferredVisualisationType: 'logs' });
    expect(frame.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual([
      'timestamp:time',
      'body:string',
      'severity:string',
      'id:string',
      'labels:other',
    ]);
    expect(frame.fields[1].values).toEqual(['Claims completed in 4.0 s (c5)', 'Claims failed in 10.0 s: Selector not found (c4)']);
    expect(frame.fields[2].values).toEqual(['info', 'error']);
    expect(frame.fields[4].values[1]).toEqual({ workflow: 'Claims', status: 'failed', robot: 'bot-1', host: 'vm-1', error_type: 'application' });
  });

  it("gives a run's own log by its id: its start, its steps and its end, whatever the range", async () => {
    const { body } = await query([{ refId: 'R', queryType: 'executions', format: 'logs', execution: 'c4' }], {
      range: { from: T0 + 2 * HOUR, to: T0 + 3 * HOUR },
    });
    const frame = body.results.R.frames[0];
    expect(frame.meta).toMatchObject({ preferredVisualisationType: 'logs' });
    expect(frame.fields.map((f: { name: string }) => f.name)).toEqual(['timestamp', 'body', 'severity', 'id', 'labels']);
    expect(frame.fields[0].values).toEqual([T0 + 4 * MIN, T0 + 4 * MIN, T0 + 4 * MIN + 500, T0 + 4 * MIN + 10_000]);
    expect(frame.fields[1].values).toEqual([
      'Claims started on bot-1 (vm-1), version 1.0.0 (c4)',
      "step 1 'Login' completed in 0.5 s",
      "step 2 'Work' completed in 9.5 s",
      "Claims failed in 10.0 s: application error 'Selector not found' (c4)",
    ]);
    expect(frame.fields[2].values).toEqual(['info', 'info', 'info', 'error']);
    expect(frame.fields[4].values[2]).toEqual({ workflow: 'Claims', robot: 'bot-1', host: 'vm-1', step: 'Work', status: 'completed' });
    // As a table, the runs named; an id nobody reported gives nothing.
    const { body: rows } = await query([{ refId: 'T', queryType: 'executions', execution: ['p1', 'nobody'] }]);
    expect(rows.results.T.frames[0].fields.find((f: { name: string }) => f.name === 'Execution').values).toEqual(['p1']);
  });

  it.each([
    [
      { refId: 'A', queryType: 'timeseries', metric: 'run_duration', groupBy: ['step'] },
      'targets[0].groupBy',
      'query A: groupBy step applies to step_duration only',
    ],
    [
      { refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'rate' },
      'targets[0].aggregation',
      'query A: aggregation rate applies to runs, successes and failures',
    ],
    [{ refId: 'A', queryType: 'resources', metric: 'runs' }, 'targets[0].metric', 'query A: metric runs is not a host resource metric'],
    [{ refId: 'A', queryType: 'pie' }, 'targets[0].queryType', 'invalid query: targets[0].queryType'],
  ])('when a query cannot be answered as asked, then 400 with a message Grafana can show', async (target, field, message) => {
    const { status, body } = await query([target]);
    expect(status).toBe(400);
    expect(body.error.message).toContain(message);
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    ['workflows', '', ['Claims', 'Payroll']],
    ['steps', '?workflow=Payroll', ['Login', 'Work']],
    ['hosts', '', ['vm-1', 'vm-2']],
    ['robots', '', ['bot-1', 'bot-2']],
    ['errorTypes', '', ['application']],
    ['versions', '?workflow=Claims', ['1.0.0', '1.1.0']],
  ])('lists %s for template variables', async (kind, query, values) => {
    const { status, body } = await getJson(`${ctx.base}/variables/${kind}${query}`);
    expect(status).toBe(200);
    expect(body).toEqual(values.map((v) => ({ text: v, value: v })));
  });

  it('when a variable kind is unknown, then 400', async () => {
    const { status, body } = await getJson(`${ctx.base}/variables/colours`);
    expect(status).toBe(400);
    expect(body.error.details[0].field).toBe('kind');
  });

  it('gives anomalies as regions per severity band, incidents as a table, and version changes as points', async () => {
    const anomaly = (id: string, severity: number, startedAt: number): Anomaly => ({
      id,
      seriesKey: `run_duration|Claims||${id}`,
      metric: 'run_duration',
      workflow: 'Claims',
      direction: 'high',
      status: 'closed',
      startedAt,
      lastSeenAt: startedAt + 10 * MIN,
      endedAt: startedAt + 20 * MIN,
      severity,
      firstSeverity: severity,
      peakScore: 9,
      points: 3,
      expected: 2000,
      observed: 9000,
      escalationLevel: 1,
      description: `slow runs ${id}`,
      recommendedAction: 'look',
    });
    ctx.collector.store.commitAnalysis({
      anomalies: [anomaly('low', 0.45, T0), anomaly('high', 0.9, T0 + HOUR)],
      incidents: [],
      detectorStates: new Map(),
      values: {},
    });
    const high = await getJson(`${ctx.base}/annotations?type=anomalies&from=${range.from}&to=${range.to}&minSeverity=0.7`);
    expect(high.body).toEqual([
      {
        time: T0 + HOUR,
        timeEnd: T0 + HOUR + 20 * MIN,
        title: 'run duration anomaly, severity 0.90',
        text: 'slow runs high\nlook',
        tags: ['anomaly', 'run_duration', 'severity:high', 'Claims'],
      },
    ]);
    const low = await getJson(`${ctx.base}/annotations?type=anomalies&from=${range.from}&to=${range.to}&minSeverity=0.4&maxSeverity=0.5`);
    expect(low.body.map((a: { title: string }) => a.title)).toEqual(['run duration anomaly, severity 0.45']);
    // And as a table of incidents, filtered by the workflows and hosts they hit.
    const incident = (id: string, workflows: string[], hosts: string[], severity: number, startedAt: number) => ({
      id,
      status: 'closed' as const,
      startedAt,
      endedAt: startedAt + 20 * MIN,
      lastSeenAt: startedAt + 10 * MIN,
      severity,
      anomalyIds: [id],
      workflows,
      hosts,
      title: `${id} title`,
    });
    ctx.collector.store.commitAnalysis({
      anomalies: [],
      incidents: [incident('in-claims', ['Claims'], [], 0.9, T0 + HOUR), incident('in-vm2', ['Payroll'], ['vm-2'], 0.5, T0)],
      detectorStates: new Map(),
      values: {},
    });
    const tables = await query([
      { refId: 'all', queryType: 'incidents' },
      { refId: 'vm2', queryType: 'incidents', host: ['vm-2'] },
      { refId: 'severe', queryType: 'incidents', workflow: ['Claims', 'Payroll'], minSeverity: 0.7 },
    ]);
    const column = (refId: string, name: string) => tables.body.results[refId].frames[0].fields.find((f: { name: string }) => f.name === name);
    expect(column('all', 'Title').values.sort()).toEqual(['in-claims title', 'in-vm2 title']);
    expect(column('all', 'Severity')).toMatchObject({ type: 'number', config: { unit: 'percentunit' } });
    expect(column('vm2', 'Title').values).toEqual(['in-vm2 title']);
    expect(column('vm2', 'Workflows').values).toEqual(['Payroll']);
    expect(column('severe', 'Title').values).toEqual(['in-claims title']);
    expect(column('severe', 'Time').values).toEqual([T0 + HOUR]);
    const versions = await getJson(`${ctx.base}/annotations?type=versions&from=${range.from}&to=${range.to}&workflow=Claims`);
    expect(versions.body).toEqual([
      { time: T0 + MIN, title: 'Claims 1.0.0', text: 'First run of Claims version 1.0.0', tags: ['version', 'Claims', '1.0.0'] },
      { time: T0 + HOUR + MIN, title: 'Claims 1.1.0', text: 'First run of Claims version 1.1.0', tags: ['version', 'Claims', '1.1.0'] },
    ]);
  });
});
