import { parse } from 'csv-parse/sync';
import { type Execution, executionSchema, type ExecutionStatus } from '@rpa-analytics/contract';
import { asName, fractionMs, wallClockTime } from './fields';

/**
 * Power Automate desktop flow runs as Dataverse keeps them, one `flowsession` record a run:
 * exported as the Web API's JSON (`{"value": [...]}`, with the formatted values Dataverse adds
 * when asked: the flow's and the machine's names) or as CSV (columns by logical name, or by the
 * display names the maker portal's export writes). The flow is the workflow, the machine the host,
 * the session's user the robot, the session id the run id.
 */

/**
 * A status reason (`statuscode`) of a flow session, by its English label (spaces and case aside:
 * "Timed out", "TimedOut"), and by its value, read first: an organisation in another language has
 * other labels, the values are the same.
 */
const STATUS_LABELS: Record<string, ExecutionStatus | 'skip'> = {
  succeeded: 'completed',
  failed: 'failed',
  faulted: 'failed',
  timedout: 'timeout',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  aborted: 'cancelled',
  terminated: 'cancelled',
  running: 'running',
  waiting: 'running',
  paused: 'running',
  suspended: 'running',
  notspecified: 'running',
  skipped: 'skip',
  ignored: 'skip',
  deleted: 'skip',
};
const STATUS_VALUES = [
  'notspecified',
  'paused',
  'running',
  'waiting',
  'succeeded',
  'skipped',
  'suspended',
  'cancelled',
  'failed',
  'faulted',
  'timedout',
  'aborted',
  'ignored',
  'deleted',
  'terminated',
];

const FORMATTED = '@OData.Community.Display.V1.FormattedValue';

/**
 * The columns read, by logical name (as the Web API and a CSV of logical names write them), and
 * the display names a CSV from the maker portal has for them instead.
 */
const COLUMNS = {
  id: ['flowsessionid', 'flow session'],
  flow: ['_regardingobjectid_value', 'regardingobjectid', 'regarding', 'desktop flow', 'flow name'],
  machine: ['_machineid_value', 'machineid', 'machine'],
  user: ['sessionusername', 'session user name', 'run as'],
  version: ['processversion', 'process version'],
  status: ['statuscode', 'status reason'],
  started: ['startedon', 'started on'],
  completed: ['completedon', 'completed on'],
  errorCode: ['errorcode', 'error code'],
  errorMessage: ['errormessage', 'error message'],
} as const;
type Column = keyof typeof COLUMNS;

export interface FlowSessions {
  runs: Execution[];
  /** Records that are no run (skipped or deleted sessions), and records that cannot be one, each with why. */
  skipped: Array<{ record: number; reason: string }>;
}

/** Thrown when the file is neither a flowsession export in JSON nor one in CSV. */
export class FlowSessionError extends Error {}

/**
 * The runs in a flowsession export. `utcOffsetMinutes` places times written without an offset
 * (an export edited in a spreadsheet); the Web API writes UTC with `Z`.
 */
export function readFlowSessions(text: string, options: { utcOffsetMinutes?: number } = {}): FlowSessions {
  const records = text.trimStart().startsWith('{') || text.trimStart().startsWith('[') ? jsonRecords(text) : csvRecords(text);
  const result: FlowSessions = { runs: [], skipped: [] };
  records.forEach((record, index) => {
    const read = (column: Column) => value(record, column);
    try {
      const run = session(read, options.utcOffsetMinutes);
      if (typeof run === 'string') return void result.skipped.push({ record: index, reason: run });
      // What the collector would refuse is said here, by record, and the file's other runs sent.
      const checked = executionSchema.safeParse(run);
      if (checked.success) return void result.runs.push(run);
      const issue = checked.error.issues[0];
      result.skipped.push({ record: index, reason: `session ${run.id.slice(4)}: ${issue.path.join('.') || 'run'} ${issue.message}` });
    } catch (error) {
      result.skipped.push({ record: index, reason: (error as Error).message });
    }
  });
  return result;
}

function jsonRecords(text: string): Array<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new FlowSessionError(`not JSON: ${(error as Error).message}`);
  }
  const rows = Array.isArray(body) ? body : (body as { value?: unknown })?.value;
  if (!Array.isArray(rows)) throw new FlowSessionError('not a Dataverse export: expected {"value": [flowsession records]} or a list of them');
  const records = rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r));
  if (records.length && !records.some((r) => value(r, 'id') !== undefined)) {
    throw new FlowSessionError(`not a flowsession export: no record has a flowsessionid (the first has ${Object.keys(records[0]).slice(0, 8).join(', ')})`);
  }
  return records;
}

function csvRecords(text: string): Array<Record<string, unknown>> {
  let rows: Array<Record<string, string>>;
  try {
    const body = text.replace(/^\uFEFF/, '');
    // Spreadsheets in locales whose decimal mark is a comma write semicolons between fields.
    const first = body.split('\n', 1)[0];
    const delimiter = (first.match(/;/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? ';' : ',';
    rows = parse(body, {
      delimiter,
      columns: (names: string[]) => names.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      relax_column_count: true,
    });
  } catch (error) {
    throw new FlowSessionError(`not CSV: ${(error as Error).message}`);
  }
  const header = rows.length ? Object.keys(rows[0]) : [];
  if (rows.length && !COLUMNS.id.some((c) => header.includes(c))) {
    throw new FlowSessionError(
      `not a flowsession export: no column ${COLUMNS.id.map((c) => `'${c}'`).join(' or ')} (columns: ${header.slice(0, 12).join(', ')})`,
    );
  }
  return rows;
}

/** Columns whose formatted value is the one wanted: a lookup's name (a date's and a choice's are in the exporter's language). */
const NAMED: ReadonlySet<Column> = new Set(['flow', 'machine']);

/** A column's value; for lookups and choices the formatted one where Dataverse gave it. */
function value(record: Record<string, unknown>, column: Column): string | undefined {
  for (const name of COLUMNS[column]) {
    for (const key of NAMED.has(column) ? [`${name}${FORMATTED}`, name] : [name]) {
      const found = Object.keys(record).find((k) => k.toLowerCase() === key.toLowerCase());
      const v = found === undefined ? undefined : record[found];
      if (v !== undefined && v !== null && String(v).trim() !== '') return String(v).trim();
    }
  }
  return undefined;
}

function session(read: (column: Column) => string | undefined, offset: number | undefined): Execution | string {
  const id = read('id');
  if (!id) throw new Error('no flowsessionid');
  const statusText = read('status');
  if (!statusText) throw new Error(`session ${id}: no statuscode`);
  const label = /^\d+$/.test(statusText) ? STATUS_VALUES[Number(statusText)] : statusText.toLowerCase().replace(/[\s_-]+/g, '');
  const status = label === undefined ? undefined : STATUS_LABELS[label];
  if (!status) throw new Error(`session ${id}: unknown status '${statusText}'`);
  if (status === 'skip') return `session ${id}: ${label}, no run`;
  const flow = asName(read('flow'));
  if (!flow) throw new Error(`session ${id}: no flow name (export _regardingobjectid_value with its formatted value)`);
  const started = time(read('started'), offset, id, 'startedon');
  if (started === undefined) return `session ${id}: not started, no run`;
  const completed = status === 'running' ? undefined : time(read('completed'), offset, id, 'completedon');
  const endedAt = completed === undefined ? undefined : Math.max(started, completed);
  const code = read('errorCode');
  const message = read('errorMessage');
  const failed = status === 'failed' || status === 'timeout';
  const machine = asName(read('machine'));
  const user = asName(read('user'));
  const version = asName(read('version'));
  return {
    id: `pad-${id.toLowerCase()}`,
    workflow: flow,
    ...(user ? { robot: user } : {}),
    ...(machine ? { host: machine } : {}),
    ...(version ? { packageVersion: version } : {}),
    startedAt: started,
    ...(endedAt === undefined ? {} : { endedAt, durationMs: endedAt - started }),
    status,
    ...(failed && (code || message) ? { errorMessage: [code, message].filter(Boolean).join(': ').slice(0, 4096) } : {}),
    ...(status === 'timeout' ? { errorType: 'timeout' as const } : {}),
    tags: { source: 'powerautomate', ...(code && failed ? { errorCode: asName(code)! } : {}) },
  };
}

function clockParts(m: RegExpExecArray) {
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
  return { year, month, day, hour, minute, second: Number(m[6] ?? 0), ms: fractionMs(m[7]) };
}

function time(text: string | undefined, offset: number | undefined, id: string, column: string): number | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  const notIso = new Error(`session ${id}: ${column} '${text}' is not an ISO 8601 date-time`);
  if (!m) throw notIso;
  // Its own offset when it has one; else the --utc-offset given, else this machine's zone.
  const own = m[8] === undefined ? undefined : /^z$/i.test(m[8]) ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(-2)));
  const time = wallClockTime(clockParts(m), own ?? offset);
  if (time === undefined) throw notIso;
  return time;
}
