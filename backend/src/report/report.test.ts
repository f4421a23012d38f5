import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import type { Anomaly, Incident, Insight } from '@rpa-analytics/contract';
import type { Execution, Step } from '@rpa-analytics/contract';
import type { SqliteStore } from '../store/sqlite/sqliteStore';
import { collectorForTests, getJson, postJson, tempDir } from '../testing/harness';
import { reportJsonSchema, type Report } from './report';
import { runReport } from './reportCommand';

const ROOT = path.resolve(__dirname, '../../..');
const T0 = Date.UTC(2026, 10, 16, 8, 0, 0);
const DAY = 86_400_000;
const FROM = new Date(T0 - DAY).toISOString();
const TO = new Date(T0 + 5 * DAY).toISOString();
const INVOICES = 'Invoice Processing, "EU"';

/**
 * Known figures: Invoice Processing ran 10 times over 5 days, 2 failed (one application error,
 * one timeout), the completed ones took 10, 20, ..., 80 s; its "Post to ERP" step is the slow one.
 * Claims ran 4 times, all completed in 5 s.
 */
function dataset(): { executions: Execution[]; steps: Step[] } {
  const executions: Execution[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < 10; i++) {
    const startedAt = T0 + Math.floor(i / 2) * DAY + i * 60_000;
    const failed = i === 3 || i === 7;
    const durationMs = failed ? 5000 : 10_000 * (executions.filter((e) => e.workflow === INVOICES && e.status === 'completed').length + 1);
    executions.push({
      id: `inv-${i}`,
      workflow: INVOICES,
      host: 'host-a',
      robot: 'bot-1',
      startedAt,
      endedAt: startedAt + durationMs,
      durationMs,
      status: failed ? 'failed' : 'completed',
      ...(failed
        ? { errorType: i === 3 ? 'application' : 'timeout', errorMessage: i === 3 ? 'Selector #submit not found' : 'ERP did not answer in 60 s' }
        : {}),
    } as Execution);
    steps.push({ executionId: `inv-${i}`, index: 0, name: 'Read mail', startedAt, durationMs: 1000, status: 'completed' });
    steps.push({
      executionId: `inv-${i}`,
      index: 1,
      name: 'Post to ERP',
      startedAt: startedAt + 1000,
      durationMs: durationMs - 1000,
      status: failed ? 'failed' : 'completed',
    });
  }
  for (let i = 0; i < 4; i++) {
    const startedAt = T0 + i * DAY + 3_600_000;
    executions.push({ id: `cl-${i}`, workflow: 'Claims', host: 'host-b', startedAt, endedAt: startedAt + 5000, durationMs: 5000, status: 'completed' });
  }
  // A Claims run that timed out (a failure, not status 'failed'), on the fifth day.
  executions.push({
    id: 'cl-timeout',
    workflow: 'Claims',
    host: 'host-b',
    startedAt: T0 + 4 * DAY + 7_200_000,
    endedAt: T0 + 4 * DAY + 7_260_000,
    durationMs: 60_000,
    status: 'timeout',
  });
  // The period before: Claims ran 3 times (10, 20 and 30 s, then one cancelled); 'Stopped' ran twice and not since.
  for (let i = 0; i < 4; i++) {
    const startedAt = T0 - 3 * DAY + i * 3_600_000;
    const durationMs = 10_000 * (i + 1);
    executions.push({
      id: `cl-before-${i}`,
      workflow: 'Claims',
      host: 'host-b',
      startedAt,
      endedAt: startedAt + durationMs,
      durationMs,
      status: i === 3 ? 'cancelled' : 'completed',
    });
  }
  for (let i = 0; i < 2; i++) {
    const startedAt = T0 - 4 * DAY + i * 3_600_000;
    executions.push({ id: `st-${i}`, workflow: 'Stopped', host: 'host-b', startedAt, endedAt: startedAt + 1000, durationMs: 1000, status: 'completed' });
  }
  return { executions, steps };
}

describe('reports over HTTP', () => {
  const ctx = collectorForTests();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/report.schema.json'), 'utf8'));
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const url = (query: Record<string, string>) => `${ctx.base}/reports?${new URLSearchParams({ from: FROM, to: TO, ...query })}`;

  beforeAll(async () => {
    expect((await postJson(`${ctx.base}/ingest`, { ...dataset(), samples: [] })).status).toBe(200);
    const anomaly = {
      id: 'an-1',
      seriesKey: `run_duration|${INVOICES}`,
      metric: 'run_duration',
      workflow: INVOICES,
      direction: 'high',
      status: 'closed',
      startedAt: T0 + 2 * DAY,
      lastSeenAt: T0 + 2 * DAY + 600_000,
      severity: 0.8,
      firstSeverity: 0.8,
      peakScore: 7,
      points: 3,
      expected: 30_000,
      observed: 80_000,
      escalationLevel: 0,
      description: 'Runs took 2.7 x longer than usual',
      recommendedAction: 'look',
    } as Anomaly;
    // A robot's anomaly (no workflow of its own), and incidents: one on Invoice Processing, one on
    // Claims alone, one on both (a shared host), of known severities.
    const robotAnomaly = {
      ...anomaly,
      id: 'an-robot',
      seriesKey: 'failure_rate|robot|bot-9',
      metric: 'failure_rate',
      workflow: undefined,
      robot: 'bot-9',
      description: 'bot-9 fails',
    } as Anomaly;
    const incident = (id: string, severity: number, workflows: string[], day: number, anomalyIds: string[] = []): Incident => ({
      id,
      status: 'closed',
      startedAt: T0 + day * DAY,
      endedAt: T0 + day * DAY + 3_600_000,
      lastSeenAt: T0 + day * DAY + 3_600_000,
      severity,
      anomalyIds,
      workflows,
      hosts: [],
      title: `incident ${id}`,
    });
    const incidents = [
      incident('inc-shared', 0.5, [INVOICES, 'Claims'], 1),
      incident('inc-claims', 0.9, ['Claims'], 2),
      incident('inc-invoices', 0.7, [INVOICES], 3, ['an-1']),
    ];
    ctx.collector.store.commitAnalysis({ anomalies: [anomaly, robotAnomaly], incidents, detectorStates: new Map(), values: {} });
    ctx.collector.store.saveInsights([
      {
        id: 'in-1',
        key: 'k1',
        category: 'performance',
        workflow: INVOICES,
        title: 'Post to ERP takes most of the run',
        description: 'd',
        recommendation: 'Batch the ERP posts',
        expectedImpact: 'about 30% shorter runs',
        expectedImprovementPct: 30,
        impact: 0.5,
        ease: 0.5,
        priorityScore: 0.6,
        status: 'implemented',
        firstSeenAt: T0,
        lastSeenAt: T0,
        implementedAt: T0 + 2 * DAY,
        measuredImpact: {
          measuredAt: T0,
          metric: 'median_duration_ms',
          before: 40_000,
          after: 30_000,
          changePct: -25,
          runsBefore: 5,
          runsAfter: 5,
          pValue: 0.04,
          significant: true,
        },
        evidence: {},
      } as unknown as Insight,
      // First seen after the report's period: not in it.
      {
        id: 'in-later',
        key: 'k2',
        category: 'bottleneck',
        workflow: INVOICES,
        title: 'Later',
        description: 'd',
        recommendation: 'r',
        expectedImpact: 'e',
        expectedImprovementPct: 10,
        impact: 0.9,
        ease: 0.9,
        priorityScore: 0.9,
        status: 'open',
        firstSeenAt: T0 + 10 * DAY,
        lastSeenAt: T0 + 10 * DAY,
        evidence: {},
      } as unknown as Insight,
    ]);
  });

  it('the schema file is the one the code generates (npm run report:schema writes it)', () => {
    expect(schema).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });

  it('a workflow report in JSON validates against its schema and has the known figures', async () => {
    const { status, body } = await getJson(url({ workflow: INVOICES }));
    expect(status).toBe(200);
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    const report = body as Report;
    expect(report.title).toBe(`Workflow report: ${INVOICES}`);
    expect(report.summary).toMatchObject({
      workflows: 1,
      runs: 10,
      completed: 8,
      failures: 2,
      successRate: 0.8,
      avgDurationMs: 45_000,
      medianDurationMs: 45_000,
      anomalies: 1,
      incidents: 2,
    });
    // The period before (six days to T0 - 1 day) had no runs.
    expect(report.summary.previous).toEqual({
      from: new Date(T0 - 7 * DAY).toISOString(),
      to: FROM,
      runs: 0,
      failures: 0,
      successRate: null,
      medianDurationMs: null,
      p95DurationMs: null,
    });
    // Six days in 3-hour buckets from 06:00 UTC (the range starts at 08:00); runs in the buckets of their start.
    expect(report.performance.bucketMs).toBe(3 * 3_600_000);
    expect(report.performance.buckets).toHaveLength(49);
    expect(report.performance.buckets[0].time).toBe(new Date(T0 - DAY - 2 * 3_600_000).toISOString());
    expect(report.performance.buckets.reduce((n, b) => n + b.runs, 0)).toBe(10);
    expect(report.performance.buckets.find((b) => b.time === new Date(T0 + 2 * DAY - 2 * 3_600_000).toISOString())).toMatchObject({ runs: 2, failures: 0 });
    expect(report.statistics).toEqual([
      expect.objectContaining({ workflow: INVOICES, runs: 10, completed: 8, minDurationMs: 10_000, maxDurationMs: 80_000, avgDurationMs: 45_000 }),
    ]);
    expect(report.bottlenecks[0]).toMatchObject({ workflow: INVOICES, step: 'Post to ERP', runs: 10 });
    expect(report.failures.byErrorType).toEqual([
      { errorType: 'application', count: 1 },
      { errorType: 'timeout', count: 1 },
    ]);
    expect(report.daily.reduce((n, d) => n + d.runs, 0)).toBe(10);
    expect(report.anomalies.map((a) => a.id)).toEqual(['an-1']);
    // The incidents that hit it, the shared one among them, most severe first; what to do from their worst anomaly.
    expect(report.incidents.map((i) => [i.id, i.severity, i.severityLabel])).toEqual([
      ['inc-invoices', 0.7, 'high'],
      ['inc-shared', 0.5, 'medium'],
    ]);
    expect(report.incidents[0]).toMatchObject({ anomalies: 1, recommendation: 'look', endedAt: new Date(T0 + 3 * DAY + 3_600_000).toISOString() });
    expect(report.insights).toEqual([
      expect.objectContaining({
        id: 'in-1',
        status: 'implemented',
        implementedAt: new Date(T0 + 2 * DAY).toISOString(),
        measured: {
          quantity: 'median run duration',
          before: 40_000,
          after: 30_000,
          changePct: -25,
          pValue: 0.04,
          significant: true,
          direction: 'better',
          runsBefore: 5,
          runsAfter: 5,
        },
      }),
    ]);
  });

  it('a fleet report covers every workflow, against the period before', async () => {
    const { body } = await getJson(url({}));
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    const report = body as Report;
    expect(report.scope.workflow).toBeNull();
    expect(report.summary).toMatchObject({ workflows: 2, runs: 15, failures: 3, incidents: 3, anomalies: 2 });
    // Before: Claims' 10, 20, 30 s and a cancelled run; Stopped's two 1 s runs.
    expect(report.summary.previous).toMatchObject({ runs: 6, failures: 1, successRate: 5 / 6, medianDurationMs: 10_000 });
    // Stopped ran only before: it is listed with 0 runs against its 2.
    expect(report.statistics.map((s) => [s.workflow, s.runs, s.previous.runs])).toEqual([
      ['Claims', 5, 4],
      [INVOICES, 10, 0],
      ['Stopped', 0, 2],
    ]);
    expect(report.statistics[0].previous).toEqual({ runs: 4, successRate: 0.75, p95DurationMs: expect.closeTo(29_000, 0) });
    // Every failure is counted over time, the timed-out run too.
    expect(report.performance.buckets.reduce((n, b) => n + b.failures, 0)).toBe(report.summary.failures);
    expect(report.incidents.map((i) => i.id)).toEqual(['inc-claims', 'inc-invoices', 'inc-shared']);
    expect(report.anomalies.find((a) => a.id === 'an-robot')).toMatchObject({ workflow: null, robot: 'bot-9' });
  });

  it('the CSV parses with a CSV parser and its figures equal the JSON ones', async () => {
    const json = (await getJson(url({ workflow: INVOICES }))).body as Report;
    const response = await fetch(url({ workflow: INVOICES, format: 'csv' }));
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="?rpa-report-invoice-processing-eu-2026-11-21\.csv"?$/);
    const rows = parse(await response.text(), { columns: true }) as Array<{ section: string; workflow: string; item: string; measure: string; value: string }>;
    const value = (section: string, measure: string, item = '') => rows.find((r) => r.section === section && r.measure === measure && r.item === item)?.value;
    const { previous, ...summary } = json.summary;
    for (const [measure, expected] of Object.entries(summary)) expect(Number(value('summary', measure))).toBe(expected);
    const stats = json.statistics[0];
    for (const measure of [
      'runs',
      'completed',
      'successRate',
      'avgDurationMs',
      'medianDurationMs',
      'p95DurationMs',
      'p99DurationMs',
      'stdDevDurationMs',
    ] as const) {
      const row = rows.find((r) => r.section === 'statistics' && r.measure === measure)!;
      expect(row.workflow).toBe(INVOICES);
      expect(Number(row.value)).toBe(stats[measure]);
    }
    expect(Number(value('bottleneck', 'totalMs', 'Post to ERP'))).toBe(json.bottlenecks[0].totalMs);
    expect(Number(value('error_type', 'count', 'timeout'))).toBe(1);
    expect(value('insight', 'measured_change_pct', 'in-1')).toBe('-25');
    expect(value('insight', 'measured_direction', 'in-1')).toBe('better');
    expect(Number(value('previous_period', 'runs'))).toBe(previous.runs);
    expect(value('previous_period', 'from')).toBe(previous.from);
    expect(rows.filter((r) => r.section === 'performance' && r.measure === 'runs').reduce((n, r) => n + Number(r.value), 0)).toBe(10);
    expect(value('anomaly', 'description', 'an-1')).toBe('Runs took 2.7 x longer than usual');
  });

  it('the PDF is a PDF, sent as an attachment', async () => {
    const response = await fetch(url({ workflow: INVOICES, format: 'pdf' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString()).toMatch(/%%EOF/);
    expect((pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [{ format: 'xml' }, 400, 'format'],
    [{ colour: 'red' }, 400, 'colour'],
    [{ to: '2026-11-01T00:00:00Z' }, 400, 'to'],
    [{ workflow: 'Nobody' }, 404, undefined],
  ])('when the query is %o, then %i', async (query, status, field) => {
    const answer = await getJson(url(query));
    expect(answer.status).toBe(status);
    if (field) expect(answer.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    else expect(answer.body.error.message).toMatch(/no workflow 'Nobody'/);
  });

  it('the report command writes the same report from the API and from the database file', async () => {
    const tmp = tempDir();
    try {
      const viaApi = path.join(tmp.dir, 'api.json');
      const viaFile = path.join(tmp.dir, 'file.json');
      const write = process.stdout.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        await runReport(['--url', ctx.collector.url, '--workflow', INVOICES, '--from', FROM, '--to', TO, '--out', viaApi]);
        await runReport([
          '--data-dir',
          path.dirname((ctx.collector.store as SqliteStore).file),
          '--workflow',
          INVOICES,
          '--from',
          FROM,
          '--to',
          TO,
          '--out',
          viaFile,
        ]);
        await runReport(['--url', ctx.collector.url, '--format', 'csv', '--from', FROM, '--to', TO, '--out', path.join(tmp.dir, 'fleet.csv')]);
      } finally {
        process.stdout.write = write;
      }
      const api = JSON.parse(fs.readFileSync(viaApi, 'utf8')) as Report;
      const file = JSON.parse(fs.readFileSync(viaFile, 'utf8')) as Report;
      expect({ ...file, generatedAt: '' }).toEqual({ ...api, generatedAt: '' });
      expect(api.summary.runs).toBe(10);
      expect(fs.readFileSync(path.join(tmp.dir, 'fleet.csv'), 'utf8')).toMatch(/^section,workflow,item,measure,value\r\n/);
      await expect(runReport(['--workflow', INVOICES])).rejects.toThrow(/exactly one of --url and --data-dir/);
      await expect(runReport(['--url', ctx.collector.url, '--format', 'docx'])).rejects.toThrow(/--format must be one of json, csv, pdf/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('reports beside panels', () => {
  const ctx = collectorForTests();
  const START = Date.UTC(2026, 0, 1);

  beforeAll(() => {
    // 60,000 runs over 200 days: a fleet report over them takes about a second to build.
    for (let batch = 0; batch < 12; batch++) {
      const executions: Execution[] = Array.from({ length: 5000 }, (_, i) => {
        const n = batch * 5000 + i;
        const startedAt = START + n * 288_000;
        return {
          id: `r${n}`,
          workflow: `W${n % 30}`,
          host: `h${n % 7}`,
          robot: `bot${n % 11}`,
          startedAt,
          endedAt: startedAt + 60_000 + (n % 97) * 1000,
          status: 'completed',
        };
      });
      const steps: Step[] = executions.flatMap((e) =>
        [0, 1, 2].map((index) => ({
          executionId: e.id,
          index,
          name: `S${index}`,
          startedAt: e.startedAt + index * 1000,
          durationMs: 1000 + index * 500,
          status: 'completed' as const,
        })),
      );
      ctx.collector.store.ingest({ executions, steps, samples: [] });
    }
  });

  it('when a report is being built, then panel queries are answered meanwhile', async () => {
    let reportDone = false;
    const report = fetch(
      `${ctx.base}/reports?${new URLSearchParams({ from: new Date(START).toISOString(), to: new Date(START + 200 * DAY).toISOString(), format: 'pdf' })}`,
    ).then(async (response) => {
      await response.arrayBuffer();
      reportDone = true;
      return response.status;
    });
    // One query after another: with reports and panels on one thread, each would wait for the report.
    let answeredMeanwhile = 0;
    const panel = { range: { from: START, to: START + 7 * DAY }, targets: [{ refId: 'A', queryType: 'timeseries', metric: 'runs', aggregation: 'count' }] };
    while (!reportDone) {
      const response = await postJson(`${ctx.base}/query`, panel);
      expect(response.status).toBe(200);
      if (!reportDone) answeredMeanwhile++;
    }
    expect(await report).toBe(200);
    expect(answeredMeanwhile).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('when two reports are in progress, then a third gets 503 with Retry-After', async () => {
    const url = `${ctx.base}/reports?${new URLSearchParams({ from: new Date(START).toISOString(), to: new Date(START + 200 * DAY).toISOString() })}`;
    const responses = await Promise.all([0, 1, 2].map(() => fetch(url)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503]);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('2 reports are being built: retry when they are done');
  }, 60_000);

  it('when a report would cover more than a year, then 400 says how much it may cover', async () => {
    const response = await getJson(`${ctx.base}/reports?from=2000-01-01T00:00:00Z&to=2099-12-31T00:00:00Z&format=pdf`);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe('a report covers at most 366 days; this range is 36524 days: ask for a shorter one');
  });
});
