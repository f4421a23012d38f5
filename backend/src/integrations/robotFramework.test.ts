import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SaxesParser } from 'saxes';
import { readRobotOutput, RobotOutputError, RobotOutputReader } from './robotFramework';

// The fixtures are written here to Robot Framework's output.xml schemas (version 4, Robot Framework 6;
// version 5, Robot Framework 7): nested suites, a suite setup and teardown, a test's setup and
// teardown, a FOR loop, an IF, a VAR, a keyword inside a keyword, a failed test whose last keyword
// did not run, a skipped test, a test that never ran and, in 7, one stopped by its timeout.
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const at = (iso: string) => Date.parse(iso);
// The files' clocks were at +01:00: 09:15 there is 08:15 UTC.
const options = { robot: 'unattended-07', host: 'RPA-VM-07', utcOffsetMinutes: 60 };

describe.each([
  ['Robot Framework 6', 'robot6-output.xml', 4],
  ['Robot Framework 7', 'robot7-output.xml', 5],
])('%s output.xml', (_, file, schemaVersion) => {
  const output = readRobotOutput(fixture(file), options);
  const run = (name: string) => output.runs.find((r) => r.execution.workflow === `Finance.${name}`)!;

  it('when it is read, then each test that ran is a run named by its suites and its own name', () => {
    expect(output.schemaVersion).toBe(schemaVersion);
    expect(output.generator).toMatch(new RegExp(`^Robot ${schemaVersion === 4 ? 6 : 7}\\.`));
    expect(output.runs.map((r) => [r.execution.workflow, r.execution.status])).toEqual([
      ['Finance.Invoices.Process Invoice Batch', 'completed'],
      ['Finance.Invoices.Reconcile Totals', 'failed'],
      ...(schemaVersion === 5 ? [['Finance.Invoices.Export Ledger', 'timeout']] : []),
      ['Finance.Payments.Send Payment Run', 'cancelled'],
    ]);
    expect(output.notRun).toBe(schemaVersion === 4 ? 1 : 0);
  });

  it('when a test passed, then its times are the test status times at the given offset, and its body items are its steps in order', () => {
    const { execution, steps } = run('Invoices.Process Invoice Batch');
    expect(execution).toMatchObject({
      robot: 'unattended-07',
      host: 'RPA-VM-07',
      startedAt: at('2024-03-01T08:15:02.050Z'),
      endedAt: at('2024-03-01T08:15:10.000Z'),
      durationMs: 7950,
      tags: { source: 'robotframework', suite: 'Finance.Invoices' },
    });
    // The suite's setup and teardown belong to no test; the keyword inside "Read Invoices" is part of it.
    const expected =
      schemaVersion === 4
        ? [
            ['[Setup] ERP.Log In', 1250],
            ['Invoices.Read Invoices', 640],
            ['FOR IN', 5490],
            ['[Teardown] ERP.Log Out', 300],
          ]
        : [
            ['[Setup] ERP.Log In', 1250],
            ['VAR ${batch}', 4],
            ['Invoices.Read Invoices', 640],
            ['IF', 5490],
            ['[Teardown] ERP.Log Out', 300],
          ];
    expect(steps.map((s) => [s.name, s.durationMs])).toEqual(expected);
    expect(steps.map((s) => s.index)).toEqual(expected.map((_, i) => i));
    expect(steps[0]).toMatchObject({ executionId: execution.id, startedAt: at('2024-03-01T08:15:02.100Z'), status: 'completed' });
    expect(execution).toMatchObject({ stepsTotal: expected.length, stepsCompleted: expected.length });
  });

  it('when a test failed, then the run and its failing step carry the message, and a keyword that did not run is no step', () => {
    const { execution, steps } = run('Invoices.Reconcile Totals');
    expect(execution).toMatchObject({ status: 'failed', errorType: 'application', errorMessage: '1200.5 != 1250.0', stepsTotal: 3, stepsCompleted: 1 });
    expect(steps.map((s) => [s.name, s.status, s.error])).toEqual([
      ['Excel.Sum Column', 'completed', undefined],
      ['BuiltIn.Should Be Equal As Numbers', 'failed', '1200.5 != 1250.0'],
    ]);
  });

  it('when a test was skipped, then it is a cancelled run whose step is skipped', () => {
    const { execution, steps } = run('Payments.Send Payment Run');
    expect(execution).toMatchObject({ status: 'cancelled', durationMs: 30 });
    expect(execution.errorType).toBeUndefined();
    expect(steps.map((s) => [s.name, s.status])).toEqual([['BuiltIn.Skip If', 'skipped']]);
  });

  it('when it is read in chunks that split tags and text, then the runs are the same', () => {
    const reader = new RobotOutputReader(options);
    const xml = fixture(file);
    for (let i = 0; i < xml.length; i += 97) reader.write(xml.slice(i, i + 97));
    expect(reader.end()).toEqual(output);
  });
});

describe('Robot Framework output.xml, read on', () => {
  it('when a test ends by its timeout, then the run is a timeout', () => {
    const run = readRobotOutput(fixture('robot7-output.xml'), options).runs.find((r) => r.execution.workflow.endsWith('Export Ledger'))!;
    expect(run.execution).toMatchObject({ status: 'timeout', errorType: 'timeout', errorMessage: 'Test timeout 1 minute exceeded.', durationMs: 60_010 });
  });

  it('when the same file is read twice, then the ids are the same; another robot gives other ids', () => {
    const ids = (o: typeof options) => readRobotOutput(fixture('robot6-output.xml'), o).runs.map((r) => r.execution.id);
    expect(ids(options)).toEqual(ids({ ...options }));
    expect(new Set(ids(options)).size).toBe(3);
    expect(ids({ ...options, robot: 'unattended-08' })).not.toEqual(ids(options));
  });

  it('when no offset is given, then the times are read in this machine time zone', () => {
    // In a process of its own in a zone other than UTC (a zone is fixed when a process starts), so
    // that reading the times as UTC would fail: 09:15 in New York in March is 14:15 UTC.
    const script = `const { readRobotOutput } = require('./robotFramework'); const fs = require('node:fs');
      process.stdout.write(String(readRobotOutput(fs.readFileSync('fixtures/robot7-output.xml', 'utf8')).runs[0].execution.startedAt));`;
    const tsx = path.resolve(__dirname, '../../../node_modules/.bin/tsx');
    const out = execFileSync(tsx, ['-e', script], { cwd: __dirname, env: { ...process.env, TZ: 'America/New_York' }, encoding: 'utf8' });
    expect(Number(out)).toBe(Date.parse('2024-03-01T14:15:02.050Z'));
  }, 30_000);

  it('when tests did not run (stopped by --exitonfailure, a dry run) or have no start time, then they are no runs and are counted', () => {
    const status = (s: string, start = '2024-03-01T09:00:00.000000', elapsed = '1.0', text = '') =>
      `<status status="${s}" start="${start}" elapsed="${elapsed}">${text}</status>`;
    const test = (name: string, body: string) => `<test id="s1-t${name.length}" name="${name}">${body}</test>`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<robot generator="Robot 7.1 (Python 3.12.2 on linux)" generated="2024-03-01T09:00:00.000000" rpa="true" schemaversion="5">
<suite id="s1" name="Ops">
${test('Stopped', `<tag>robot:exit</tag>${status('FAIL', undefined, '0.0', 'Failure occurred and exit-on-failure mode is in use.')}`)}
${test('Dry', `<kw name="Log In" owner="ERP">${status('NOT RUN', undefined, '0.0')}</kw>${status('PASS')}`)}
${test('Hand edited', `<kw name="Log In" owner="ERP">${status('PASS')}</kw><status status="PASS"/>`)}
${test('Browser wait', `<kw name="Click" owner="Browser">${status('FAIL', undefined, '10.0', 'TimeoutError: Timeout 10000ms exceeded.')}</kw><kw name="&#x202E; ">${status('PASS')}</kw>${status('FAIL', undefined, '10.5', 'TimeoutError: Timeout 10000ms exceeded.')}`)}
<status status="FAIL" start="2024-03-01T09:00:00.000000" elapsed="12.0"/>
</suite>
</robot>`;
    const output = readRobotOutput(xml, options);
    expect([output.notRun, output.untimed]).toEqual([2, 1]);
    // A library's timeout fails the run; only the test's own timeout makes it a timeout. A keyword named by nothing readable is still a step.
    expect(output.runs.map((r) => [r.execution.workflow, r.execution.status, r.execution.errorType, r.steps.map((s) => s.name)])).toEqual([
      ['Ops.Browser wait', 'failed', 'application', ['Browser.Click', 'Keyword']],
    ]);
  });

  it.each([
    ['text that is not XML', 'robot ran fine', /not well-formed XML|not a whole XML document/],
    ['another XML document', '<?xml version="1.0"?><testsuites><testsuite name="x"/></testsuites>', /root element is <testsuites>/],
    ['a file cut off while Robot Framework 7 was still writing it', fixture('robot7-output.xml').slice(0, 2000), /not a whole XML document/],
    [
      'entities declared to expand a billion times',
      '<?xml version="1.0"?><!DOCTYPE robot [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><robot><suite name="&b;"/></robot>',
      /no DOCTYPE/,
    ],
  ])('when given %s, then it is refused with a reason', (_, xml, reason) => {
    expect(() => readRobotOutput(xml)).toThrow(RobotOutputError);
    expect(() => readRobotOutput(xml)).toThrow(reason);
  });
});

/**
 * The fixtures against the element and attribute declarations of Robot Framework's schemas:
 * `robot.xsd` version 4 (Robot Framework 6) and `result.xsd` version 5 (Robot Framework 7), in
 * the robotframework repository's doc/schema. Which children each element may have and which
 * attributes it may carry, as declared there (the values' types are not checked).
 */
describe('the fixtures, against the output.xml schemas', () => {
  const body = ['kw', 'for', 'if', 'try', 'while', 'error', 'msg', 'status'];
  const common: Record<string, string[]> = {
    robot: ['suite', 'statistics', 'errors'],
    suite: ['kw', 'suite', 'test', 'doc', 'meta', 'status'],
    test: [...body, 'doc', 'tag', 'timeout'],
    kw: [...body, 'return', 'var', 'arg', 'doc', 'tag', 'timeout'],
    for: ['var', 'value', 'iter', 'kw', 'msg', 'status'],
    iter: ['var', 'kw', 'for', 'if', 'try', 'while', 'return', 'break', 'continue', 'error', 'msg', 'status'],
    if: ['branch', 'msg', 'status'],
    branch: ['kw', 'for', 'if', 'try', 'while', 'return', 'break', 'continue', 'error', 'msg', 'status', 'pattern'],
    statistics: ['total', 'tag', 'suite'],
    // Within <statistics>, <total>, <tag> and <suite> hold <stat>s.
    'statistics/total': ['stat'],
    'statistics/tag': ['stat'],
    'statistics/suite': ['stat'],
    errors: ['msg'],
  };
  const children: Record<number, Record<string, string[]>> = {
    4: { ...common, for: [...common.for, 'doc'], iter: [...common.iter, 'doc'], if: [...common.if, 'doc'], branch: [...common.branch, 'doc'] },
    5: {
      ...common,
      test: [...common.test, 'group', 'variable', 'meta'],
      kw: [...common.kw, 'group', 'variable'],
      iter: [...common.iter, 'group', 'variable'],
      branch: [...common.branch, 'group', 'variable'],
      variable: ['var', 'kw', 'msg', 'status'],
    },
  };
  const attributes: Record<number, Record<string, string[]>> = {
    4: {
      robot: ['generator', 'generated', 'rpa', 'schemaversion'],
      suite: ['name', 'source', 'id'],
      test: ['name', 'id', 'line'],
      kw: ['name', 'library', 'sourcename', 'type'],
      for: ['flavor', 'start', 'mode', 'fill'],
      branch: ['type', 'condition'],
      status: ['status', 'starttime', 'endtime'],
      msg: ['timestamp', 'level', 'html'],
      var: ['name'],
      stat: ['pass', 'fail', 'skip', 'id', 'name', 'doc', 'links', 'info', 'combined'],
      timeout: ['value'],
    },
    5: {
      robot: ['generator', 'generated', 'rpa', 'schemaversion'],
      suite: ['name', 'source', 'id'],
      test: ['name', 'id', 'line'],
      kw: ['name', 'owner', 'source_name', 'type'],
      for: ['flavor', 'start', 'mode', 'fill'],
      branch: ['type', 'condition', 'pattern_type', 'assign'],
      variable: ['name', 'scope', 'separator'],
      status: ['status', 'start', 'elapsed'],
      msg: ['time', 'level', 'html'],
      var: ['name'],
      stat: ['pass', 'fail', 'skip', 'id', 'name', 'doc', 'links', 'info', 'combined'],
      timeout: ['value'],
    },
  };

  // The attributes each schema requires, and the values it allows (its enumerations, and the
  // formats of its xs:dateTime, xs:float, xs:integer and xs:boolean attributes).
  const required: Record<number, Record<string, string[]>> = {
    4: { status: ['status'], msg: ['timestamp', 'level'], branch: ['type'], timeout: ['value'], meta: ['name'] },
    5: { status: ['status'], msg: ['time', 'level'], branch: ['type'], timeout: ['value'], meta: ['name'] },
  };
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
  const allowed: Record<number, Record<string, RegExp>> = {
    4: {
      'status@status': /^(PASS|FAIL|SKIP|NOT RUN)$/,
      'kw@type': /^(SETUP|TEARDOWN)$/,
      'msg@level': /^(TRACE|DEBUG|INFO|WARN|ERROR|FAIL|SKIP)$/,
      'for@flavor': /^(IN|IN RANGE|IN ENUMERATE|IN ZIP)$/,
      'robot@rpa': /^(true|false|1|0)$/,
      'robot@schemaversion': /^4$/,
      'test@line': /^\d+$/,
    },
    5: {
      'status@status': /^(PASS|FAIL|SKIP|NOT RUN)$/,
      'status@start': dateTime,
      'status@elapsed': /^\d+(\.\d+)?$/,
      'msg@time': dateTime,
      'robot@generated': dateTime,
      'kw@type': /^(KEYWORD|SETUP|TEARDOWN)$/,
      'msg@level': /^(TRACE|DEBUG|INFO|WARN|ERROR|FAIL|SKIP)$/,
      'for@flavor': /^(IN|IN RANGE|IN ENUMERATE|IN ZIP)$/,
      'robot@rpa': /^(true|false|1|0)$/,
      'robot@schemaversion': /^5$/,
      'test@line': /^\d+$/,
    },
  };
  const branchTypes = /^(IF|ELSE IF|ELSE|TRY|EXCEPT|FINALLY)$/;

  it.each([
    ['robot6-output.xml', 4],
    ['robot7-output.xml', 5],
  ])('when %s is walked, then every element sits where its schema allows it, with the attributes and values it declares', (file, version) => {
    const problems: string[] = [];
    const stack: string[] = [];
    const parser = new SaxesParser();
    parser.on('opentag', (tag) => {
      const parent = stack.at(-2) === 'statistics' ? `statistics/${stack.at(-1)}` : stack.at(-1);
      if (parent === undefined && tag.name !== 'robot') problems.push(`root <${tag.name}>`);
      if (parent !== undefined && !(children[version][parent] ?? []).includes(tag.name)) problems.push(`<${tag.name}> in <${parent}>`);
      for (const [name, value] of Object.entries(tag.attributes)) {
        if (!(attributes[version][tag.name] ?? []).includes(name)) problems.push(`${name}= on <${tag.name}>`);
        const pattern = allowed[version][`${tag.name}@${name}`] ?? (tag.name === 'branch' && name === 'type' ? branchTypes : undefined);
        if (pattern && !pattern.test(value)) problems.push(`${tag.name}@${name}="${value}"`);
      }
      for (const name of required[version][tag.name] ?? []) if (!(name in tag.attributes)) problems.push(`<${tag.name}> without ${name}=`);
      stack.push(tag.name);
    });
    parser.on('closetag', () => stack.pop());
    parser.write(fixture(file)).close();
    expect(problems).toEqual([]);
  });

  it('when the Robot Framework 7 file is walked with the version 4 declarations, then it does not pass: the check tells the versions apart', () => {
    const stack: string[] = [];
    const problems: string[] = [];
    const parser = new SaxesParser();
    parser.on('opentag', (tag) => {
      for (const name of Object.keys(tag.attributes)) if (!(attributes[4][tag.name] ?? []).includes(name)) problems.push(`${name}= on <${tag.name}>`);
      stack.push(tag.name);
    });
    parser.write(fixture('robot7-output.xml')).close();
    expect(new Set(problems)).toEqual(new Set(['owner= on <kw>', 'start= on <status>', 'elapsed= on <status>', 'time= on <msg>', 'name= on <variable>']));
  });
});
