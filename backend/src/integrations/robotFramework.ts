import { createHash } from 'node:crypto';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Execution, ExecutionStatus, Step, StepStatus } from '@rpa-analytics/contract';
import { asName, fractionMs, MAX_NAME, wallClockTime } from './fields';

/**
 * Robot Framework's output.xml as runs: each test (a task, with `--rpa`) that ran is a run of the
 * workflow named by its full name (its suites' names and its own, joined by dots, as Robot
 * Framework writes it); the keywords and control structures directly in its body, its setup and
 * teardown among them, are its steps. Read as a stream, for output.xml of Robot Framework 6
 * (schema version 4: `starttime` and `endtime` on `status`) and 7 (schema version 5: `start` and
 * `elapsed`). Suite setups and teardowns belong to no test and are left out.
 */
export interface RobotRun {
  execution: Execution;
  steps: Step[];
}

export interface RobotReadOptions {
  /** The robot that ran the tests: output.xml does not name one. */
  robot?: string;
  /** The machine they ran on. */
  host?: string;
  /**
   * Minutes east of UTC of the clock that wrote the file: its times carry no offset. Undefined
   * reads them in this machine's time zone (the usual case: imported where the robot ran).
   */
  utcOffsetMinutes?: number;
}

export interface RobotOutput {
  runs: RobotRun[];
  /** The file's `generator` attribute ("Robot 7.0.1 (Python 3.12.1 on linux)"). */
  generator: string;
  schemaVersion: number | undefined;
  /**
   * Tests that did not run: marked NOT RUN, stopped before they began by --exitonfailure (FAIL,
   * tagged `robot:exit`), or a dry run's (PASS with every keyword NOT RUN).
   */
  notRun: number;
  /** Tests without a start time (hand-edited or truncated files): nothing to place them in time. */
  untimed: number;
}

/** The body items of a test that become its steps: a keyword or a control structure. */
const BODY = new Set(['kw', 'for', 'if', 'try', 'while', 'group', 'variable', 'return', 'error']);
const RUN_STATUS: Record<string, ExecutionStatus> = { PASS: 'completed', FAIL: 'failed', SKIP: 'cancelled' };
const STEP_STATUS: Record<string, StepStatus> = { PASS: 'completed', FAIL: 'failed', SKIP: 'skipped' };
const MAX_MESSAGE = 4096;

interface Timing {
  status: string;
  start?: number;
  end?: number;
  message: string;
}

interface OpenStep {
  name: string;
  timing?: Timing;
}

interface OpenTest {
  name: string;
  id: string;
  suites: string[];
  steps: OpenStep[];
  timing?: Timing;
  tags: string[];
}

/** Thrown when the file is not a Robot Framework output.xml, or not a whole one. */
export class RobotOutputError extends Error {}

/**
 * Reads output.xml given in chunks (a file read as a stream): `write` each, then `end` for the
 * runs. An incomplete file (Robot Framework 7 writes it while the tests run) fails at `end`.
 */
export class RobotOutputReader {
  private readonly parser = new SaxesParser({ position: true });
  private readonly result: RobotOutput = { runs: [], generator: '', schemaVersion: undefined, notRun: 0, untimed: 0 };
  private readonly stack: string[] = [];
  private readonly suites: string[] = [];
  private test: OpenTest | undefined;
  /** The depth (in `stack`) of the test element, and of the step open in it. */
  private testDepth = -1;
  private stepDepth = -1;
  /** The status element being read: whose it is, and its text so far. */
  private status: { owner: 'test' | 'step'; timing: Timing } | undefined;
  /** A test's own tag being read, and its text so far. */
  private tag: string | undefined;
  private sawRobot = false;
  private closing = false;
  private failure: Error | undefined;

  constructor(private readonly options: RobotReadOptions = {}) {
    this.parser.on('opentag', (tag) => this.open(tag as SaxesTagPlain));
    this.parser.on('closetag', (tag) => this.close(tag.name));
    this.parser.on('text', (text) => {
      if (this.status && this.status.timing.message.length < MAX_MESSAGE) this.status.timing.message += text;
      if (this.tag !== undefined && this.tag.length < MAX_NAME) this.tag += text;
    });
    this.parser.on('error', (error) => {
      this.failure ??= new RobotOutputError(`${this.closing ? 'not a whole XML document' : 'not well-formed XML'}: ${error.message}`);
    });
    // A DOCTYPE could declare entities; output.xml never has one, and none is expanded here.
    this.parser.on('doctype', () => {
      this.failure ??= new RobotOutputError('a Robot Framework output.xml has no DOCTYPE');
    });
  }

  write(chunk: string): void {
    if (this.failure) return;
    try {
      this.parser.write(chunk);
    } catch (error) {
      this.failure ??= new RobotOutputError(`not well-formed XML: ${(error as Error).message}`);
    }
  }

  end(): RobotOutput {
    if (!this.failure) {
      this.closing = true;
      try {
        this.parser.close();
      } catch (error) {
        this.failure ??= new RobotOutputError(`not a whole XML document: ${(error as Error).message}`);
      }
    }
    if (this.failure) throw this.failure;
    if (!this.sawRobot) throw new RobotOutputError('not a Robot Framework output.xml: its root element is not <robot>');
    return this.result;
  }

  private open(tag: SaxesTagPlain): void {
    const name = tag.name;
    const attr = (key: string) => tag.attributes[key] ?? '';
    const depth = this.stack.length;
    const parent = this.stack[depth - 1];
    this.stack.push(name);
    if (depth === 0) {
      if (name !== 'robot') return void (this.failure ??= new RobotOutputError(`not a Robot Framework output.xml: its root element is <${name}>, not <robot>`));
      this.sawRobot = true;
      this.result.generator = attr('generator');
      const version = Number(attr('schemaversion'));
      this.result.schemaVersion = Number.isInteger(version) && version > 0 ? version : undefined;
      return;
    }
    if (name === 'suite' && (parent === 'robot' || parent === 'suite')) return void this.suites.push(attr('name'));
    if (name === 'test' && parent === 'suite') {
      this.test = { name: attr('name'), id: attr('id'), suites: [...this.suites], steps: [], tags: [] };
      this.testDepth = depth;
      return;
    }
    if (!this.test) return;
    if (depth === this.testDepth + 1 && BODY.has(name)) {
      this.test.steps.push({ name: stepName(name, tag.attributes) });
      this.stepDepth = depth;
      return;
    }
    if (name === 'tag' && depth === this.testDepth + 1) this.tag = '';
    else if (name === 'status' && depth === this.testDepth + 1) this.status = { owner: 'test', timing: this.timing(tag) };
    else if (name === 'status' && this.stepDepth >= 0 && depth === this.stepDepth + 1) this.status = { owner: 'step', timing: this.timing(tag) };
  }

  private close(name: string): void {
    const depth = this.stack.length - 1;
    this.stack.pop();
    if (name === 'tag' && this.tag !== undefined) {
      this.test?.tags.push(this.tag.trim());
      this.tag = undefined;
      return;
    }
    if (name === 'status' && this.status) {
      const { owner, timing } = this.status;
      timing.message = timing.message.trim();
      if (owner === 'test' && this.test) this.test.timing = timing;
      else if (owner === 'step' && this.test) {
        const step = this.test.steps[this.test.steps.length - 1];
        step.timing ??= timing;
      }
      this.status = undefined;
      return;
    }
    if (depth === this.stepDepth && this.test) this.stepDepth = -1;
    if (name === 'test' && depth === this.testDepth && this.test) {
      this.finishTest(this.test);
      this.test = undefined;
      this.testDepth = -1;
    }
    if (name === 'suite') this.suites.pop();
  }

  /** A `status` element's verdict and times: RF 7's `start` and `elapsed`, or RF 6's `starttime` and `endtime`. */
  private timing(tag: SaxesTagPlain): Timing {
    const a = tag.attributes;
    const status = a.status ?? '';
    if (a.start !== undefined) {
      const start = this.time(a.start);
      const elapsed = Number(a.elapsed);
      return { status, start, end: start === undefined || !Number.isFinite(elapsed) ? undefined : start + Math.round(elapsed * 1000), message: '' };
    }
    return { status, start: this.time(a.starttime), end: this.time(a.endtime), message: '' };
  }

  /** A time as Robot Framework writes it ("2024-03-01T09:15:02.125000", or RF 6's "20240301 09:15:02.125"), in epoch ms. */
  private time(value: string | undefined): number | undefined {
    if (!value) return undefined;
    const m = /^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(value.trim());
    if (!m) return undefined;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
    return wallClockTime({ year, month, day, hour, minute, second, ms: fractionMs(m[7]) }, this.options.utcOffsetMinutes);
  }

  private finishTest(test: OpenTest): void {
    const timing = test.timing;
    const status = timing ? RUN_STATUS[timing.status] : undefined;
    const stoppedBeforeStart = timing?.status === 'FAIL' && test.tags.includes('robot:exit');
    const dryRun = status === 'completed' && test.steps.length > 0 && test.steps.every((s) => s.timing?.status === 'NOT RUN');
    if (timing?.status === 'NOT RUN' || stoppedBeforeStart || dryRun) {
      this.result.notRun++;
      return;
    }
    if (!timing || !status) return;
    if (timing.start === undefined) {
      this.result.untimed++;
      return;
    }
    const workflow = asName([...test.suites, test.name].join('.')) ?? 'Robot Framework test';
    // The same test started at the same moment by the same robot is the same run, from whichever copy of the file.
    const identity = [workflow, test.id, timing.start, this.options.robot ?? '', this.options.host ?? ''].join('\n');
    const id = `rf-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
    const startedAt = timing.start;
    const endedAt = Math.max(startedAt, timing.end ?? startedAt);
    // The test's own timeout ("Test timeout 1 minute exceeded.", "Task timeout ..."), not a keyword's or a library's.
    const timedOut = status === 'failed' && /^(Test|Task) timeout .+ exceeded\.?$/.test(timing.message);
    const ran = test.steps.filter((s) => s.timing && STEP_STATUS[s.timing.status] && s.timing.start !== undefined);
    const steps: Step[] = ran.map((s, index) => {
      const t = s.timing!;
      const stepStatus = STEP_STATUS[t.status];
      return {
        executionId: id,
        index,
        name: asName(s.name) ?? 'Keyword',
        startedAt: t.start!,
        durationMs: Math.max(0, (t.end ?? t.start!) - t.start!),
        status: stepStatus,
        ...(stepStatus === 'failed' && t.message ? { error: t.message.slice(0, MAX_MESSAGE) } : {}),
      };
    });
    const execution: Execution = {
      id,
      workflow,
      ...(this.options.robot ? { robot: this.options.robot } : {}),
      ...(this.options.host ? { host: this.options.host } : {}),
      startedAt,
      endedAt,
      durationMs: endedAt - startedAt,
      status: timedOut ? 'timeout' : status,
      ...(status === 'failed'
        ? { errorType: timedOut ? 'timeout' : 'application', ...(timing.message ? { errorMessage: timing.message.slice(0, MAX_MESSAGE) } : {}) }
        : {}),
      stepsTotal: test.steps.length,
      stepsCompleted: steps.filter((s) => s.status === 'completed').length,
      tags: { source: 'robotframework', ...(test.suites.length ? { suite: asName(test.suites.join('.')) ?? 'Suite' } : {}) },
    };
    this.result.runs.push({ execution, steps });
  }
}

/** Reads a whole output.xml held in a string. */
export function readRobotOutput(xml: string, options: RobotReadOptions = {}): RobotOutput {
  const reader = new RobotOutputReader(options);
  reader.write(xml);
  return reader.end();
}

/**
 * A body item's name as a step: a keyword's name (its library's in front, as Robot Framework's
 * log shows it: "SeleniumLibrary.Click Element"), setups and teardowns marked; a control
 * structure by its kind ("FOR IN RANGE", "IF", "TRY", "WHILE", "VAR ${name}", a group by its name).
 */
function stepName(element: string, attributes: Record<string, string>): string {
  switch (element) {
    case 'kw': {
      const owner = attributes.owner ?? attributes.library;
      const name = `${owner ? `${owner}.` : ''}${attributes.name ?? ''}` || 'Keyword';
      if (attributes.type === 'SETUP') return `[Setup] ${name}`;
      if (attributes.type === 'TEARDOWN') return `[Teardown] ${name}`;
      return name;
    }
    case 'for':
      return `FOR ${attributes.flavor ?? 'IN'}`;
    case 'variable':
      return `VAR ${attributes.name ?? ''}`.trim();
    case 'group':
      return attributes.name ? `GROUP ${attributes.name}` : 'GROUP';
    default:
      return element.toUpperCase();
  }
}
