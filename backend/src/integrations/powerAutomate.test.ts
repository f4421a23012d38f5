import fs from 'node:fs';
import path from 'node:path';
import { FlowSessionError, readFlowSessions } from './powerAutomate';

// Written here from the flowsession table's columns: the Web API's JSON (with the formatted values
// Dataverse adds for lookups and choices, and its annotations) and a CSV with display names.
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const at = Date.parse;

describe('Power Automate desktop flow runs (Dataverse flowsession records)', () => {
  it('when the Web API JSON is read, then each session is a run of its flow, by status reason, and skipped sessions are no runs', () => {
    const { runs, skipped } = readFlowSessions(fixture('flowsessions.json'));
    expect(runs).toEqual([
      {
        id: 'pad-7b3f5a2e-1c4d-4e8f-9a0b-2c3d4e5f6a7b',
        workflow: 'Invoice Intake',
        robot: 'CONTOSO\\svc-rpa-01',
        host: 'PAD-VM-01',
        startedAt: at('2024-03-01T09:15:02Z'),
        endedAt: at('2024-03-01T09:17:32Z'),
        durationMs: 150_000,
        status: 'completed',
        tags: { source: 'powerautomate' },
      },
      expect.objectContaining({
        id: 'pad-8c4a6b3f-2d5e-4f90-ab1c-3d4e5f6a7b8c',
        status: 'failed',
        durationMs: 41_000,
        errorMessage: 'NoUnlockedActiveSessionForAttended: There is no active session on the machine to run the attended desktop flow.',
        tags: { source: 'powerautomate', errorCode: 'NoUnlockedActiveSessionForAttended' },
      }),
      expect.objectContaining({ workflow: 'Vendor Master Sync', host: 'PAD-VM-02', status: 'timeout', errorType: 'timeout', durationMs: 7_200_000 }),
      // Still running when exported: a run without an end, finished by a later export.
      expect.objectContaining({ status: 'running', startedAt: at('2024-03-01T12:05:00Z') }),
    ]);
    expect(runs[3].endedAt).toBeUndefined();
    expect(runs[2].robot).toBeUndefined();
    expect(skipped).toEqual([{ record: 4, reason: 'session bf7d9e62-5081-4c23-9e4f-6a7b8c9daebf: skipped, no run' }]);
  });

  it('when a CSV with display names is read, then quoted fields hold commas and quotes, and a date not in ISO 8601 is a record left out, with why', () => {
    const { runs, skipped } = readFlowSessions(fixture('flowsessions.csv'));
    expect(runs.map((r) => [r.workflow, r.host, r.robot, r.status, r.durationMs, r.errorMessage ?? null])).toEqual([
      ['Invoice Intake', 'PAD-VM-01', 'CONTOSO\\svc-rpa-01', 'completed', 130_000, null],
      ['Invoice Intake', 'PAD-VM-01', 'CONTOSO\\svc-rpa-01', 'cancelled', 30_000, null],
      ['Claims Intake, EU', 'PAD-VM-03', 'CONTOSO\\svc-rpa-02', 'failed', 60_000, 'UIAutomationError: Element "Submit" not found, window "Claims"'],
    ]);
    expect(skipped).toEqual([{ record: 3, reason: "session f3b1d2a6-94c5-4067-d382-aebfc0d1e2f3: startedon '1/3/2024 13:30' is not an ISO 8601 date-time" }]);
  });

  it('when status reasons come as numbers and times without an offset, then they read by the table and the offset given', () => {
    const csv =
      'flowsessionid,regardingobjectid,statuscode,startedon,completedon\nabc,Payroll,4,2024-03-01 09:00:00,2024-03-01 09:01:00\nabd,Payroll,9,2024-03-01T09:05:00,2024-03-01T09:05:30\nabe,Payroll,13,,\n';
    const { runs, skipped } = readFlowSessions(csv, { utcOffsetMinutes: 60 });
    expect(runs.map((r) => [r.id, r.status, r.startedAt])).toEqual([
      ['pad-abc', 'completed', at('2024-03-01T08:00:00Z')],
      ['pad-abd', 'failed', at('2024-03-01T08:05:00Z')],
    ]);
    expect(skipped).toEqual([{ record: 2, reason: 'session abe: deleted, no run' }]);
  });

  it('when an organisation writes its labels in another language, then the status reason is read by its value', () => {
    const record = (id: string, code: number, label: string) => ({
      flowsessionid: id,
      statuscode: code,
      'statuscode@OData.Community.Display.V1.FormattedValue': label,
      startedon: '2024-03-01T09:00:00Z',
      completedon: '2024-03-01T09:01:00Z',
      '_regardingobjectid_value@OData.Community.Display.V1.FormattedValue': 'Rechnungseingang',
    });
    const { runs } = readFlowSessions(
      JSON.stringify({ value: [record('a1', 4, 'Erfolgreich'), record('a2', 8, 'Fehlgeschlagen'), record('a3', 10, 'Zeitüberschreitung')] }),
    );
    expect(runs.map((r) => r.status)).toEqual(['completed', 'failed', 'timeout']);
    // Labels without spaces, as some exports write them, read too.
    expect(
      readFlowSessions('flowsessionid,regarding,statuscode,startedon,completedon\nb1,Payroll,TimedOut,2024-03-01T09:00:00Z,2024-03-01T10:00:00Z\n').runs[0]
        .status,
    ).toBe('timeout');
  });

  it('when a record has no start, a date that does not exist, one before 2000 or a run longer than 31 days, then it is left out with why, and the others are runs', () => {
    const csv = [
      'flowsessionid;regarding;statuscode;startedon;completedon',
      'c1;Payroll;Succeeded;;',
      'c2;Payroll;Succeeded;2024-02-30T09:00:00Z;2024-02-30T09:01:00Z',
      'c3;Payroll;Succeeded;1999-12-31T09:00:00Z;1999-12-31T09:01:00Z',
      'c4;Payroll;Succeeded;2024-01-01T09:00:00Z;2024-03-01T09:00:00Z',
      'c5;Payroll;Succeeded;2024-03-01T09:00:00Z;2024-03-01T09:00:45Z',
    ].join('\n');
    // Semicolons between the fields, as spreadsheets write them where the decimal mark is a comma.
    const { runs, skipped } = readFlowSessions(csv);
    expect(runs.map((r) => [r.id, r.durationMs])).toEqual([['pad-c5', 45_000]]);
    expect(skipped).toEqual([
      { record: 0, reason: 'session c1: not started, no run' },
      { record: 1, reason: "session c2: startedon '2024-02-30T09:00:00Z' is not an ISO 8601 date-time" },
      { record: 2, reason: 'session c3: startedAt expected a time after 2000-01-01 (epoch milliseconds, not seconds)' },
      { record: 3, reason: 'session c4: durationMs must be at most 31 days' },
    ]);
  });

  it.each([
    ['JSON that is no export', '{"flows": []}', /expected \{"value": \[flowsession records\]\}/],
    ['a CSV of something else', 'name,owner\nInvoice Intake,ops\n', /no column 'flowsessionid' or 'flow session'/],
    ['broken JSON', '{"value": [', /not JSON/],
    ['the records of another table', '{"value": [{"accountid": "a-1", "name": "Contoso"}]}', /no record has a flowsessionid \(the first has accountid, name\)/],
  ])('when given %s, then it is refused with a reason', (_, text, reason) => {
    expect(() => readFlowSessions(text)).toThrow(FlowSessionError);
    expect(() => readFlowSessions(text)).toThrow(reason);
  });
});
