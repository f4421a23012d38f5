import type express from 'express';
import { collectorForTests } from '../testing/harness';

const INGEST = 'ingest-token-0123456789';
const READ = 'read-token-0123456789ab';
const ADMIN = 'admin-token-0123456789a';
const T0 = Date.UTC(2026, 10, 2);

/** `signed`: a platform's webhook, whose body's signature is its credential; no token is one. */
type Access = 'open' | 'ingest' | 'read' | 'admin' | 'signed';

/** Every route the collector serves and who may call it, written here independently of the code. */
const EXPECTED: Record<string, Access> = {
  'GET /api/v1/health': 'open',
  'POST /api/v1/ingest': 'ingest',
  'POST /api/v1/executions/:id/start': 'ingest',
  'POST /api/v1/executions/:id/steps': 'ingest',
  'POST /api/v1/executions/:id/complete': 'ingest',
  'POST /api/v1/integrations/uipath': 'signed',
  'POST /v1/traces': 'ingest',
  'GET /api/v1/executions': 'read',
  'GET /api/v1/executions/:id': 'read',
  'GET /api/v1/analysis/performance': 'read',
  'GET /api/v1/analysis/bottlenecks': 'read',
  'GET /api/v1/analysis/comparison': 'read',
  'GET /api/v1/analysis/trend': 'read',
  'GET /api/v1/analysis/degradation': 'read',
  'GET /api/v1/analysis/success': 'read',
  'POST /api/v1/analysis/run': 'admin',
  'GET /api/v1/anomalies': 'read',
  'GET /api/v1/anomalies/:id': 'read',
  'GET /api/v1/incidents': 'read',
  'GET /api/v1/insights': 'read',
  'GET /api/v1/insights/:id': 'read',
  'POST /api/v1/insights/:id/implemented': 'admin',
  'POST /api/v1/query': 'read',
  'GET /api/v1/variables/:kind': 'read',
  'GET /api/v1/annotations': 'read',
  'GET /api/v1/changes': 'read',
  'GET /api/v1/changes/stream': 'read',
  'POST /api/v1/query/changes': 'read',
  'GET /api/v1/reports/schema': 'read',
  'GET /api/v1/reports': 'read',
  'GET /api/v1/reports/scheduled': 'read',
  'GET /api/v1/reports/scheduled/:name': 'read',
  'GET /metrics': 'read',
};

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouteLayer[] };
  slash: boolean;
  matchers: Array<(path: string) => unknown>;
}

/** The routes express has registered, walked from the application's own router. */
function registeredRoutes(app: express.Express): string[] {
  const routes: string[] = [];
  const walk = (stack: RouteLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      // A router mounted on a path (the API) is mounted on /api/v1; the others on the root.
      else if (layer.handle.stack) walk(layer.handle.stack, layer.slash ? prefix : (expect(layer.matchers[0]('/api/v1')).toBeTruthy(), `${prefix}/api/v1`));
    }
  };
  walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack, '');
  return routes;
}

const concrete = (path: string) => path.replace(':id', 'run-1').replace(':kind', 'workflows');

/**
 * The same route spelled as express would not match it: case, trailing slash, double slash, a
 * letter of its last fixed segment percent-encoded (an encoded parameter is still the route).
 */
function variants(pattern: string): string[] {
  const segments = pattern.split('/');
  const fixed = segments.map((segment, i) => (segment && !segment.startsWith(':') ? i : -1)).reduce((a, b) => Math.max(a, b));
  const encoded = segments.map((segment, i) => (i === fixed ? `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}` : segment)).join('/');
  const spellings = [
    `${pattern}/`,
    pattern.toUpperCase(),
    pattern.replace('/api/v1', '/API/v1'),
    pattern.replace(/\/([^/]+)$/, '//$1'),
    encoded,
    `${pattern}//`,
  ];
  return [...new Set(spellings.filter((p) => p !== pattern).map(concrete))];
}

function bodyFor(method: string, path: string, id: string): string | undefined {
  if (method !== 'POST') return undefined;
  if (path.endsWith('/ingest'))
    return JSON.stringify({ executions: [{ id, workflow: 'Scope Probe', startedAt: T0, endedAt: T0 + 1000, status: 'completed' }] });
  if (path.endsWith('/start')) return JSON.stringify({ workflow: 'Scope Probe', startedAt: T0 });
  return '{}';
}

describe('every route, however spelled, with every token', () => {
  const ctx = collectorForTests({
    RPA_INGEST_TOKEN: INGEST,
    RPA_READ_TOKEN: READ,
    RPA_ADMIN_TOKEN: ADMIN,
    RPA_UIPATH_WEBHOOK_SECRET: 'webhook-secret-0123456789',
  });
  const origin = () => ctx.collector.url;
  const tokens: Array<[string, string | undefined]> = [
    ['none', undefined],
    ['ingest', INGEST],
    ['read', READ],
    ['admin', ADMIN],
  ];

  async function send(method: string, path: string, token: string | undefined, body?: string): Promise<number> {
    const response = await fetch(`${origin()}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body,
    });
    // Event streams and reports are not read to their end: the status is what is checked.
    await response.body?.cancel();
    return response.status;
  }

  it('registers exactly the routes this test knows the scope of', () => {
    expect(registeredRoutes(ctx.collector.app).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s answers each token as its scope says', async (route, access) => {
    const [method, pattern] = route.split(' ');
    for (const [name, token] of tokens) {
      const status = await send(method, concrete(pattern), token, bodyFor(method, pattern, `exact-${name}`));
      const allowed = access === 'open' || name === 'admin' || name === access;
      // Unsigned, whatever the token: refused (before its body is read).
      if (access === 'signed') expect([route, name, status]).toEqual([route, name, 401]);
      else if (token === undefined && access !== 'open') expect([route, name, status]).toEqual([route, name, 401]);
      else if (!allowed) expect([route, name, status]).toEqual([route, name, 403]);
      // The route ran: what it answered depends on its parameters, but never a refusal of the token.
      else expect([route, name, [401, 403, 404].includes(status) && !(status === 404 && pattern.includes(':'))]).toEqual([route, name, false]);
    }
  });

  it.each(Object.keys(EXPECTED))('%s spelled otherwise is no route: 401 without a token, 404 with any', async (route) => {
    const [method, pattern] = route.split(' ');
    const runsBefore = ctx.collector.store.stats().executions;
    for (const path of variants(pattern)) {
      for (const [name, token] of tokens) {
        const status = await send(method, path, token, bodyFor(method, pattern, `variant-${name}`));
        expect([path, name, status]).toEqual([path, name, token ? 404 : 401]);
      }
    }
    expect(ctx.collector.store.stats().executions).toBe(runsBefore);
    expect(ctx.collector.store.getExecution('variant-read')).toBeUndefined();
  });

  it('answers HEAD /health without a token, as GET', async () => {
    expect(await send('HEAD', '/api/v1/health', undefined)).toBe(200);
  });
});
