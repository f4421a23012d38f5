import { createLogger, prettyLine } from './log';

describe('log lines for people', () => {
  const at = Date.UTC(2026, 11, 6, 12, 4, 5, 123);

  it('writes the time, the level and the message, then the fields as key=value, and leaves pino bookkeeping out', () => {
    const json = JSON.stringify({
      level: 30,
      time: at,
      pid: 7,
      hostname: 'h',
      name: 'rpa-analytics',
      msg: 'analysis pass done',
      runs: 120,
      window: { from: 1, to: 2 },
      path: '/api/v1 /query',
    });
    expect(prettyLine(json)).toBe('12:04:05.123 INFO  analysis pass done  runs=120 window={"from":1,"to":2} path="/api/v1 /query"\n');
    expect(prettyLine(JSON.stringify({ level: 40, time: at, msg: 'request refused for now (503)' }))).toBe(
      '12:04:05.123 WARN  request refused for now (503)\n',
    );
  });

  it("puts an error's stack on the lines after, indented", () => {
    const line = prettyLine(
      JSON.stringify({ level: 50, time: at, msg: 'analysis pass failed', err: { message: 'boom', stack: 'Error: boom\n    at pass (a.ts:1:1)' } }),
    );
    expect(line).toBe('12:04:05.123 ERROR analysis pass failed\n    Error: boom\n        at pass (a.ts:1:1)\n');
  });

  it('passes a line that is not JSON through as it is', () => {
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it('when the format is pretty, then the logger writes such lines, credentials redacted as in JSON', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) }, 'pretty');
    log.info({ token: 'abcdefghijklmnop', workflows: 3 }, 'collector listening');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}collector listening {2}token=\[redacted\] workflows=3\n$/);
  });
});
