import fs from 'node:fs';
import path from 'node:path';
import type { Collector } from '../server';
import { createLogger } from '../log';
import { getJson, postJson, startCollector, tempDir } from '../testing/harness';
import type { Report } from './report';
import { lastPeriod, ReportScheduler } from './reportSchedule';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the period a scheduled report covers', () => {
  it('is yesterday for a daily report, and last week from Monday to Monday for a weekly one (UTC)', () => {
    const sunday = Date.parse('2026-12-06T08:30:00Z');
    expect(lastPeriod('daily', sunday)).toEqual({ from: Date.parse('2026-12-05T00:00:00Z'), to: Date.parse('2026-12-06T00:00:00Z') });
    expect(lastPeriod('weekly', sunday)).toEqual({ from: Date.parse('2026-11-23T00:00:00Z'), to: Date.parse('2026-11-30T00:00:00Z') });
    // On Monday at midnight the week just ended is the last whole one.
    expect(lastPeriod('weekly', Date.parse('2026-11-30T00:00:00Z'))).toEqual({
      from: Date.parse('2026-11-23T00:00:00Z'),
      to: Date.parse('2026-11-30T00:00:00Z'),
    });
  });
});

describe('scheduled reports (RPA_REPORT_SCHEDULE)', () => {
  const tmp = tempDir();
  const dir = path.join(tmp.dir, 'reports');
  let collector: Collector;
  // Yesterday (UTC): six runs of Payroll, two of them failed.
  const yesterday = Math.floor(Date.now() / DAY) * DAY - DAY;
  const day = new Date(yesterday).toISOString().slice(0, 10);
  const executions = Array.from({ length: 6 }, (_, i) => ({
    id: `payroll-${i}`,
    workflow: 'Payroll',
    startedAt: yesterday + (9 + i) * 3_600_000,
    endedAt: yesterday + (9 + i) * 3_600_000 + 60_000,
    status: i % 3 === 0 ? 'failed' : 'completed',
    ...(i % 3 === 0 ? { errorType: 'system', errorMessage: 'Licence expired' } : {}),
  }));

  beforeAll(async () => {
    // The runs are stored by a collector without the schedule; the one started next writes the report at once.
    const first = await startCollector(tmp.dir);
    expect((await postJson(`${first.url}/api/v1/ingest`, { executions, steps: [], samples: [] })).status).toBe(200);
    await first.stop();
    collector = await startCollector(tmp.dir, { RPA_REPORT_SCHEDULE: 'daily', RPA_REPORT_DIR: dir });
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it("when a collector starts with a daily schedule, then yesterday's fleet report is written as PDF, JSON and CSV, and listed", async () => {
    let listed: { schedule: string; reports: Array<{ name: string; format: string; from: number; to: number; bytes: number }> } = { schedule: '', reports: [] };
    for (let i = 0; i < 120 && listed.reports.length < 3; i++) {
      await sleep(250);
      listed = (await getJson(`${collector.url}/api/v1/reports/scheduled`)).body;
    }
    expect(listed.schedule).toBe('daily');
    expect(listed.reports.map((r) => r.name).sort()).toEqual([`fleet-daily-${day}.csv`, `fleet-daily-${day}.json`, `fleet-daily-${day}.pdf`]);
    for (const r of listed.reports) expect([r.from, r.to, r.bytes > 0]).toEqual([yesterday, yesterday + DAY, true]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const json = await fetch(`${collector.url}/api/v1/reports/scheduled/fleet-daily-${day}.json`);
    expect(json.headers.get('content-disposition')).toContain(`fleet-daily-${day}.json`);
    const report = (await json.json()) as Report;
    expect(report.scope).toEqual({ workflow: null, from: new Date(yesterday).toISOString(), to: new Date(yesterday + DAY).toISOString() });
    expect(report.summary).toMatchObject({ runs: 6, failures: 2 });
    const pdf = Buffer.from(await (await fetch(`${collector.url}/api/v1/reports/scheduled/fleet-daily-${day}.pdf`)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('when a report is asked by a name it does not list, then 404 and no file outside the folder', async () => {
    for (const name of ['fleet-daily-1999-01-01.pdf', '..%2F..%2Fcollector.db', 'fleet-daily-2026-12-05.exe']) {
      const { status, body } = await getJson(`${collector.url}/api/v1/reports/scheduled/${name}`);
      expect([name, status]).toEqual([name, 404]);
      expect(body.error.message).toContain('GET /reports/scheduled lists them');
    }
  });
});

describe('ReportScheduler', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('writes a period only where its files are missing, and deletes reports past their keeping', async () => {
    const dir = path.join(tmp.dir, 'weekly');
    fs.mkdirSync(dir, { recursive: true });
    // Last week's report is there already; two of earlier weeks, and a file that is not a report.
    const files = [
      'fleet-weekly-2026-11-23.pdf',
      'fleet-weekly-2026-11-23.json',
      'fleet-weekly-2026-11-23.csv',
      'fleet-weekly-2026-11-16.json',
      'fleet-weekly-2026-10-05.pdf',
      'notes.txt',
    ];
    for (const name of files) fs.writeFileSync(path.join(dir, name), 'x');
    let built = 0;
    const build = async (): Promise<Report> => {
      built++;
      throw new Error('nothing should be built');
    };
    const scheduler = new ReportScheduler({
      schedule: 'weekly',
      dir,
      keepDays: 30,
      build,
      log: createLogger('silent'),
      now: () => Date.parse('2026-12-06T08:00:00Z'),
    });
    expect(await scheduler.runOnce()).toEqual([]);
    expect(built).toBe(0);
    // The week of 5 October ended more than 30 days ago: deleted; 16 November's is kept.
    expect(fs.readdirSync(dir).sort()).toEqual(files.filter((f) => f !== 'fleet-weekly-2026-10-05.pdf').sort());
    expect(scheduler.list().map((r) => r.name)).toEqual([
      'fleet-weekly-2026-11-23.csv',
      'fleet-weekly-2026-11-23.json',
      'fleet-weekly-2026-11-23.pdf',
      'fleet-weekly-2026-11-16.json',
    ]);
  });
});
