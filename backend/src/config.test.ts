import path from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('configuration from the environment', () => {
  it('when nothing is set, then the collector listens on 127.0.0.1:5001 with data under ./data and the sampler on', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 5001, dataDir: path.resolve('data'), sampler: { enabled: true, intervalMs: 1000 } });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when RPA_LOG_FORMAT is auto (the default), then logs are for people on a terminal and JSON elsewhere', () => {
    const tty = process.stdout.isTTY;
    try {
      for (const [isTTY, format] of [
        [true, 'pretty'],
        [false, 'json'],
      ] as const) {
        Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true });
        expect(loadConfig({}).logFormat).toBe(format);
        expect(loadConfig({ RPA_LOG_FORMAT: 'json' }).logFormat).toBe('json');
        expect(loadConfig({ RPA_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
      }
    } finally {
      Object.defineProperty(process.stdout, 'isTTY', { value: tty, configurable: true });
    }
    expect(() => loadConfig({ RPA_LOG_FORMAT: 'xml' })).toThrow('RPA_LOG_FORMAT');
  });

  it("when RPA_TIME_ZONE names a zone, then the analysis keeps that zone's hours and weekends; by default UTC's", () => {
    expect(loadConfig({ RPA_TIME_ZONE: 'America/Los_Angeles' }).analysis.timeZone).toBe('America/Los_Angeles');
    expect(loadConfig({ RPA_TIME_ZONE: 'america/los_angeles' }).analysis.timeZone).toBe('America/Los_Angeles');
    expect(loadConfig({}).analysis.timeZone).toBe('UTC');
  });

  it('when RPA_REPORT_FONT names a file, then reports use it', () => {
    expect(loadConfig({ RPA_REPORT_FONT: __filename }).reportFont).toBe(path.resolve(__filename));
    expect(loadConfig({}).reportFont).toBeUndefined();
  });

  it('when RPA_STORE is a PostgreSQL URL, then the store is that database; anything else is refused without repeating it', () => {
    expect(loadConfig({ RPA_STORE: 'postgres://rpa:secret@db.internal:5432/rpa' }).postgresUrl).toBe('postgres://rpa:secret@db.internal:5432/rpa');
    expect(loadConfig({ RPA_STORE: 'postgresql://db/rpa' }).postgresUrl).toBe('postgresql://db/rpa');
    expect(loadConfig({}).postgresUrl).toBeUndefined();
    expect(() => loadConfig({ RPA_STORE: 'mysql://rpa:secret@db/rpa' })).toThrow(
      'RPA_STORE: expected a PostgreSQL URL (postgres://user:password@host:5432/database)',
    );
    expect(() => loadConfig({ RPA_STORE: 'mysql://rpa:secret@db/rpa' })).not.toThrow('secret');
  });

  it('when RPA_UIPATH_WEBHOOK_SECRET is set, then the UiPath route takes events signed with it; a short one is refused without repeating it', () => {
    expect(loadConfig({ RPA_UIPATH_WEBHOOK_SECRET: 'orchestrator-webhook-secret-42' }).uipathWebhookSecret).toBe('orchestrator-webhook-secret-42');
    expect(loadConfig({}).uipathWebhookSecret).toBeUndefined();
    expect(() => loadConfig({ RPA_UIPATH_WEBHOOK_SECRET: 'short-secret' })).toThrow('RPA_UIPATH_WEBHOOK_SECRET: must be at least 16 characters');
    expect(() => loadConfig({ RPA_UIPATH_WEBHOOK_SECRET: 'short-secret' })).not.toThrow('short-secret');
  });

  it.each([
    ['RPA_PORT', 'abc', 'RPA_PORT: expected an integer from 0 to 65535'],
    ['RPA_PORT', '70000', 'RPA_PORT: expected an integer from 0 to 65535'],
    ['RPA_SAMPLER', 'maybe', "RPA_SAMPLER: expected 'on' or 'off'"],
    ['RPA_SAMPLE_INTERVAL_MS', '5', 'RPA_SAMPLE_INTERVAL_MS: expected an integer from 100 to 3600000'],
    ['RPA_LOG_LEVEL', 'loud', 'RPA_LOG_LEVEL'],
    ['RPA_REPORT_FONT', '/nonexistent/font.ttf', 'RPA_REPORT_FONT: no such font file'],
    ['RPA_TIME_ZONE', 'CEST', 'RPA_TIME_ZONE: expected an IANA time zone such as Europe/Berlin or America/New_York, or UTC'],
  ])('when %s is %s, then start-up fails naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
    expect(() => loadConfig({ [name]: value })).toThrow(`(got '${value}')`);
  });
});
