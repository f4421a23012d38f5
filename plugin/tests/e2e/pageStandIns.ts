import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { from, type Observable } from 'rxjs';

/**
 * In the page, Grafana's backend service is a plain fetch to the same origin, where the test's
 * server plays Grafana's data source proxy (route and token) in front of the real collector.
 */
export class FetchBackendSrv {
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return from(
      (async () => {
        const response = await fetch(options.url, {
          method: options.method ?? 'GET',
          headers: options.data !== undefined ? { 'content-type': 'application/json' } : {},
          body: options.data !== undefined ? JSON.stringify(options.data) : undefined,
        });
        const text = await response.text();
        const data = text ? JSON.parse(text) : undefined;
        if (!response.ok) throw { status: response.status, statusText: response.statusText, data };
        return {
          data,
          status: response.status,
          statusText: response.statusText,
          ok: true,
          headers: response.headers,
          redirected: false,
          type: 'basic',
          url: options.url,
          config: options,
        } as FetchResponse<T>;
      })(),
    );
  }
}

type Variable = { name: string; value: string | string[] };

/** Grafana's template service is not published: a small one with the same syntax. */
export class PageTemplateSrv {
  constructor(private readonly variables: Variable[]) {}

  getVariables() {
    return this.variables.map((v) => ({ name: v.name, type: 'custom', current: { value: v.value, text: v.value } }));
  }

  replace(target?: string, _scoped?: unknown, format?: string | ((value: unknown) => string)): string {
    if (!target) return '';
    return target.replace(/\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
      const value = this.variables.find((v) => v.name === (a ?? b ?? c))?.value;
      if (value === undefined) return whole;
      if (typeof format === 'function') return format(value);
      return Array.isArray(value) ? value.join(',') : value;
    });
  }

  containsTemplate(target?: string): boolean {
    return !!target && /\$\w+/.test(target);
  }

  updateTimeRange(): void {}
}
