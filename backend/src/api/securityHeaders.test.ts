import { collectorForTests } from '../testing/harness';

describe('HTTP security headers', () => {
  const ctx = collectorForTests();

  it('sends hardening headers on every answer, errors included', async () => {
    for (const path of ['/health', '/nowhere']) {
      const response = await fetch(`${ctx.base}${path}`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('grants no cross-origin access: no CORS headers, even to a preflight', async () => {
    const preflight = await fetch(`${ctx.base}/query`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${ctx.base}/executions`, { headers: { origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});
