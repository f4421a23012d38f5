import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Execution, ExecutionDetail } from '@rpa-analytics/contract';
import { closedPort, collectorForTests, tempDir } from '../testing/harness';
import { runImport, utcOffset } from './importCommand';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(__dirname, 'fixtures');
const INGEST = 'ingest-token-0123456789';
const READ = { authorization: 'Bearer read-token-0123456789ab' };

describe('npm run import -- robot, against a real collector over its HTTP API and a real SQLite file', () => {
  const ctx = collectorForTests({ RPA_INGEST_TOKEN: INGEST, RPA_READ_TOKEN: 'read-token-0123456789ab' });
  const lines: string[] = [];
  const out = (line: string) => lines.push(line);
  // Each test imports as its own robot (a run's id includes it) and reads back that robot's runs.
  const common = (robot: string) => ['--url', ctx.collector.url, '--token', INGEST, '--robot', robot, '--host', 'RPA-VM-07', '--utc-offset', '+01:00'];

  async function executions(robot: string): Promise<Execution[]> {
    const response = await fetch(`${ctx.base}/executions?limit=100&robot=${robot}`, { headers: READ });
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: Execution[] }).items;
  }
  async function detail(id: string): Promise<ExecutionDetail> {
    const response = await fetch(`${ctx.base}/executions/${id}`, { headers: READ });
    expect(response.status).toBe(200);
    return (await response.json()) as ExecutionDetail;
  }

  beforeEach(() => {
    lines.length = 0;
  });

  it('when the output.xml of Robot Framework 6 and 7 are imported, then their runs and steps read back through /executions', async () => {
    // Two robots ran the same suites at the same times: each file as its robot's.
    await runImport(['robot', path.join(FIXTURES, 'robot6-output.xml'), ...common('rf6-robot')], { out });
    expect(lines).toEqual([expect.stringMatching(/robot6-output\.xml: 3 runs, 1 not run \(Robot 6\.1\.1 .*schema 4\)$/), 'imported 3 runs from 1 file(s)']);
    // The token from the environment, as the collector's own setting names it.
    process.env.RPA_INGEST_TOKEN = INGEST;
    try {
      await runImport(['robot', path.join(FIXTURES, 'robot7-output.xml'), ...common('rf7-robot').filter((a) => a !== '--token' && a !== INGEST)], { out });
    } finally {
      delete process.env.RPA_INGEST_TOKEN;
    }
    expect(lines.at(-1)).toBe('imported 4 runs from 1 file(s)');
    const status = (runs: Execution[]) => runs.map((r) => `${r.workflow}: ${r.status}`).sort();
    expect(status(await executions('rf6-robot'))).toEqual([
      'Finance.Invoices.Process Invoice Batch: completed',
      'Finance.Invoices.Reconcile Totals: failed',
      'Finance.Payments.Send Payment Run: cancelled',
    ]);
    const runs = await executions('rf7-robot');
    expect(status(runs)).toEqual([
      'Finance.Invoices.Export Ledger: timeout',
      'Finance.Invoices.Process Invoice Batch: completed',
      'Finance.Invoices.Reconcile Totals: failed',
      'Finance.Payments.Send Payment Run: cancelled',
    ]);
    const batch = runs.find((r) => r.workflow === 'Finance.Invoices.Process Invoice Batch')!;
    expect(batch).toMatchObject({ robot: 'rf7-robot', host: 'RPA-VM-07', startedAt: Date.parse('2024-03-01T08:15:02.050Z'), durationMs: 7950 });
    expect((await detail(batch.id)).steps.map((s) => s.name)).toEqual([
      '[Setup] ERP.Log In',
      'VAR ${batch}',
      'Invoices.Read Invoices',
      'IF',
      '[Teardown] ERP.Log Out',
    ]);
    const failed = runs.find((r) => r.status === 'failed')!;
    expect((await detail(failed.id)).steps.map((s) => [s.name, s.status, s.error ?? null])).toEqual([
      ['Excel.Sum Column', 'completed', null],
      ['BuiltIn.Should Be Equal As Numbers', 'failed', '1200.5 != 1250.0'],
    ]);
  }, 30_000);

  it('when a file is imported twice, then nothing changes', async () => {
    const file = path.join(FIXTURES, 'robot7-output.xml');
    await runImport(['robot', file, ...common('twice')], { out });
    const first = await executions('twice');
    const stats = ctx.collector.store.stats();
    await runImport(['robot', file, ...common('twice')], { out });
    expect(await executions('twice')).toEqual(first);
    expect(first).toHaveLength(4);
    expect(ctx.collector.store.stats()).toMatchObject({ executions: stats.executions, steps: stats.steps });
  }, 30_000);

  it('when the file is not an output.xml, then the command says so and stores nothing', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'output.xml');
      fs.writeFileSync(file, '<?xml version="1.0"?><testsuites><testsuite name="junit"/></testsuites>');
      const stats = ctx.collector.store.stats();
      await expect(runImport(['robot', file, ...common('junit')], { out })).rejects.toThrow(
        `${file}: not a Robot Framework output.xml: its root element is <testsuites>`,
      );
      expect(ctx.collector.store.stats()).toMatchObject({ executions: stats.executions, steps: stats.steps });
    } finally {
      tmp.cleanup();
    }
  });

  it('when --watch is given, then each output.xml is imported once it is whole, again when it is rewritten, and a bad one is said once', async () => {
    const tmp = tempDir();
    const stop = new AbortController();
    try {
      const run1 = path.join(tmp.dir, 'results', 'run-1');
      fs.mkdirSync(run1, { recursive: true });
      const whole = fs.readFileSync(path.join(FIXTURES, 'robot7-output.xml'), 'utf8');
      // Robot Framework 7 writes output.xml while the tests run: half a file first.
      fs.writeFileSync(path.join(run1, 'output.xml'), whole.slice(0, 3000));
      const watching = runImport(['robot', '--watch', tmp.dir, '--interval-ms', '100', ...common('watcher')], { out, signal: stop.signal });
      await until(() => lines.some((l) => l.includes('not a whole XML document')));
      expect(await executions('watcher')).toHaveLength(0);
      fs.writeFileSync(path.join(run1, 'output.xml'), whole);
      await until(() => lines.some((l) => /run-1\/output\.xml: 4 runs/.test(l)));
      expect(await executions('watcher')).toHaveLength(4);
      // A second run's file, beside the first; the first is not imported again.
      const run2 = path.join(tmp.dir, 'results', 'run-2');
      fs.mkdirSync(run2);
      fs.writeFileSync(path.join(run2, 'output-20240302.xml'), fs.readFileSync(path.join(FIXTURES, 'robot6-output.xml')));
      await until(() => lines.some((l) => /run-2\/output-20240302\.xml: 3 runs/.test(l)));
      // A JUnit file among them is said to be none, once; the first file rewritten by a later run is imported again.
      fs.writeFileSync(path.join(run2, 'output-xunit.xml'), '<?xml version="1.0"?><testsuite name="x"/>');
      await until(() => lines.some((l) => l.includes('output-xunit.xml: not a Robot Framework output.xml')));
      fs.writeFileSync(path.join(run1, 'output.xml'), fs.readFileSync(path.join(FIXTURES, 'robot6-output.xml')));
      await until(() => lines.some((l) => /run-1\/output\.xml: 3 runs/.test(l)));
      // Some more looks: nothing is imported or said again.
      const said = lines.length;
      await new Promise((resolve) => setTimeout(resolve, 600));
      stop.abort();
      await watching;
      expect(lines.slice(said)).toEqual([]);
      expect(lines.filter((l) => /run-1\/output\.xml: 4 runs/.test(l))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('output-xunit.xml'))).toHaveLength(1);
      // Robot Framework 7's four runs, and of the Robot Framework 6 file's three (imported twice) the
      // payment run that started a minute earlier: the other two are the same runs as 7's.
      expect(await executions('watcher')).toHaveLength(5);
    } finally {
      stop.abort();
      tmp.cleanup();
    }
  }, 60_000);

  it('when Power Automate flowsession exports are imported, JSON and CSV, then their runs read back, and a later export finishes a running one', async () => {
    const json = path.join(FIXTURES, 'flowsessions.json');
    await runImport(['powerautomate', json, path.join(FIXTURES, 'flowsessions.csv'), '--url', ctx.collector.url, '--token', INGEST], { out });
    expect(lines).toEqual([
      `${json}: 4 runs, 1 record left out (record 5: session bf7d9e62-5081-4c23-9e4f-6a7b8c9daebf: skipped, no run)`,
      expect.stringMatching(/flowsessions\.csv: 3 runs, 1 record left out \(record 4: .*not an ISO 8601 date-time\)$/),
      'imported 7 runs from 2 file(s)',
    ]);
    const page = (await (await fetch(`${ctx.base}/executions?limit=100&host=PAD-VM-01&host=PAD-VM-02&host=PAD-VM-03`, { headers: READ })).json()) as {
      items: Execution[];
    };
    expect(page.items.map((r) => `${r.workflow} on ${r.host}: ${r.status}`).sort()).toEqual([
      'Claims Intake, EU on PAD-VM-03: failed',
      'Invoice Intake on PAD-VM-01: cancelled',
      'Invoice Intake on PAD-VM-01: completed',
      'Invoice Intake on PAD-VM-01: completed',
      'Invoice Intake on PAD-VM-01: failed',
      'Vendor Master Sync on PAD-VM-02: running',
      'Vendor Master Sync on PAD-VM-02: timeout',
    ]);
    // The next export has the running session finished.
    const tmp = tempDir();
    try {
      const later = JSON.parse(fs.readFileSync(json, 'utf8')) as { value: Array<Record<string, unknown>> };
      Object.assign(later.value[3], {
        statuscode: 4,
        'statuscode@OData.Community.Display.V1.FormattedValue': 'Succeeded',
        completedon: '2024-03-01T12:20:00Z',
      });
      fs.writeFileSync(path.join(tmp.dir, 'later.json'), JSON.stringify(later));
      // Imported again, with a robot and a host for the records that name none: nothing doubles.
      const before = ctx.collector.store.stats().executions;
      await runImport(
        ['powerautomate', path.join(tmp.dir, 'later.json'), '--url', ctx.collector.url, '--token', INGEST, '--robot', 'pad-runner', '--host', 'PAD-VM-09'],
        {
          out,
        },
      );
      expect(ctx.collector.store.stats().executions).toBe(before);
      expect(await detail('pad-ae6c8d51-4f70-4b12-8d3e-5f6a7b8c9dae')).toMatchObject({
        status: 'completed',
        durationMs: 15 * 60_000,
        robot: 'pad-runner',
        host: 'PAD-VM-02',
      });
      expect(await detail('pad-7b3f5a2e-1c4d-4e8f-9a0b-2c3d4e5f6a7b')).toMatchObject({ robot: 'CONTOSO\\svc-rpa-01', host: 'PAD-VM-01' });
    } finally {
      tmp.cleanup();
    }
  }, 30_000);

  it('when the command line is wrong, then it says how to run it, with exit code 2', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'backend/src/main.ts'), 'import', ...args], { cwd: ROOT }, (error, _o, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
        ),
      );
    expect(await cli(['junit', 'results.xml', '--url', ctx.collector.url])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown format 'junit'"),
    });
    expect(await cli(['robot', '--url', ctx.collector.url])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('name at least one output.xml, or --watch DIR'),
    });
    expect(await cli(['robot', 'output.xml'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--url is required') });
  }, 60_000);

  it('when no collector answers at --url, then the command says so in one line before it reads anything', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(runImport(['robot', path.join(FIXTURES, 'robot7-output.xml'), '--url', url], { out })).rejects.toThrow(`no collector answers at ${url}`);
  });

  it('when an offset is given, then it reads as minutes east of UTC', () => {
    expect([utcOffset('+01:00'), utcOffset('-0530'), utcOffset('Z'), utcOffset('+14:00')]).toEqual([60, -330, 0, 840]);
    expect(() => utcOffset('CET')).toThrow('--utc-offset must look like +02:00');
  });
});

/** Polls `check` every 50 ms for up to 20 s. */
async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !check();) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
