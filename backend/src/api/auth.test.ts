import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import type { Collector } from '../server';
import { startCollector, tempDir } from '../testing/harness';

const INGEST = 'ingest-token-0123456789';
const READ = 'read-token-0123456789ab';
const READ_2 = 'second-read-token-xyz12';
const ADMIN = 'admin-token-0123456789a';

async function call(url: string, method: string, token?: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

describe('API tokens with scopes', () => {
  let collector: Collector;
  let base: string;
  const tmp = tempDir();
  const batch = { executions: [{ id: 'a1', workflow: 'Payroll', startedAt: Date.UTC(2026, 10, 2), status: 'running' }] };

  beforeAll(async () => {
    collector = await startCollector(tmp.dir, { RPA_INGEST_TOKEN: INGEST, RPA_READ_TOKEN: `${READ}, ${READ_2}`, RPA_ADMIN_TOKEN: ADMIN });
    base = `${collector.url}/api/v1`;
  });
  afterAll(async () => {
    await collector.stop();
    tmp.cleanup();
  });

  it.each([
    ['POST', '/ingest', undefined, 401],
    ['POST', '/ingest', 'not-a-known-token-at-all', 401],
    ['POST', '/ingest', READ, 403],
    ['POST', '/ingest', INGEST, 200],
    ['POST', '/ingest', ADMIN, 200],
    ['GET', '/executions', undefined, 401],
    ['GET', '/executions', INGEST, 403],
    ['GET', '/executions', READ, 200],
    ['GET', '/executions', READ_2, 200],
    ['GET', '/variables/workflows', READ, 200],
    ['POST', '/analysis/run', READ, 403],
    ['POST', '/analysis/run', ADMIN, 200],
    ['GET', '/health', undefined, 200],
  ])('%s %s with token %s answers %i', async (method, route, token, status) => {
    const response = await call(`${base}${route}`, method, token, method === 'POST' && route === '/ingest' ? batch : method === 'POST' ? {} : undefined);
    expect(response.status).toBe(status);
    if (status === 401) {
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="rpa-analytics"/);
      expect(response.body.error.code).toBe('unauthorized');
    }
    if (status === 403) expect(response.body.error.message).toMatch(/^this token has the (read|ingest) scope; .* needs (ingest|read|admin)$/);
  });

  it('when refused, then nothing of the request is stored', async () => {
    const before = collector.store.stats().executions;
    await call(`${base}/ingest`, 'POST', READ, { executions: [{ id: 'never', workflow: 'X', startedAt: Date.UTC(2026, 10, 2), status: 'running' }] });
    expect(collector.store.stats().executions).toBe(before);
    expect(collector.store.getExecution('never')).toBeUndefined();
  });
});

describe('token configuration', () => {
  it('when no token is configured and the collector would listen beyond loopback, then start-up is refused', () => {
    expect(() => loadConfig({ RPA_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ RPA_HOST: '0.0.0.0' })).toThrow('RPA_HOST: 0.0.0.0 is not a loopback address and no API tokens are configured');
    expect(loadConfig({ RPA_HOST: '0.0.0.0', RPA_READ_TOKEN: READ }).host).toBe('0.0.0.0');
    expect(loadConfig({ RPA_HOST: '127.0.0.2' }).tokens).toEqual([]);
  });

  it('when a token is too short to be secret, then start-up is refused naming the variable', () => {
    expect(() => loadConfig({ RPA_READ_TOKEN: 'short' })).toThrow('RPA_READ_TOKEN: every token must have at least 16 characters');
  });

  it('reads scopes and tokens from a token file', () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'tokens');
      fs.writeFileSync(file, `# robots\ningest ${INGEST}\nread:${READ}\n\nadmin ${ADMIN} # ops\n`);
      expect(loadConfig({ RPA_TOKEN_FILE: file }).tokens).toEqual([
        { token: INGEST, scope: 'ingest' },
        { token: READ, scope: 'read' },
        { token: ADMIN, scope: 'admin' },
      ]);
      // A token may hold '#': only a '#' that starts a line or follows a blank starts a comment.
      fs.writeFileSync(file, `ingest ${INGEST}#part-of-it\n  # a note\n`);
      expect(loadConfig({ RPA_TOKEN_FILE: file }).tokens).toEqual([{ token: `${INGEST}#part-of-it`, scope: 'ingest' }]);
      fs.writeFileSync(file, 'writer abcdefabcdefabcdef\n');
      expect(() => loadConfig({ RPA_TOKEN_FILE: file })).toThrow('RPA_TOKEN_FILE: line 1 must be "<ingest|read|admin> <token>"');
    } finally {
      tmp.cleanup();
    }
  });
});
