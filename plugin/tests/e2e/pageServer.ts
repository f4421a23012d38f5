import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const PAGES = path.join(ROOT, 'test-artifacts/e2e-pages');
const ICONS = path.join(ROOT, 'node_modules/@grafana/ui/dist/public/img/icons');
/** The built plugin, as Grafana serves it from its plugins folder. */
const DIST = path.join(ROOT, 'plugin/dist');
/** The provisioned dashboards, which the dashboards page draws. */
const DASHBOARDS = path.join(ROOT, 'provisioning/dashboards/rpa');
const PROXY_PREFIX = '/api/datasources/proxy/uid/rpa/collector/';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.svg': 'image/svg+xml',
  '.html': 'text/html',
  '.css': 'text/css',
  '.json': 'application/json',
};

export interface PageServer {
  url: string;
  /** The paths of the files it served, in order (not the proxied calls). */
  served: string[];
  close(): Promise<void>;
}

/**
 * Serves a bundled test page and plays Grafana's data source proxy for it: requests under
 * `/api/datasources/proxy/uid/rpa/collector/` go to the collector's `/api/v1/` with the token added,
 * as the plugin.json route makes Grafana do; `/plugin/...` is the built plugin (`plugin/dist`), which
 * the pages load as Grafana does; `/dashboards/...` the provisioned dashboards. Listens on 127.0.0.1 only.
 */
export async function startPageServer(page: string, collectorUrl: string, token?: string): Promise<PageServer> {
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname.startsWith(PROXY_PREFIX)) {
      const target = new URL(`/api/v1/${url.pathname.slice(PROXY_PREFIX.length)}${url.search}`, collectorUrl);
      const upstream = http.request(
        target,
        {
          method: req.method,
          headers: {
            ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    const file =
      url.pathname === '/'
        ? null
        : url.pathname.includes('/img/icons/')
          ? path.join(ICONS, url.pathname.slice(url.pathname.indexOf('/img/icons/') + '/img/icons/'.length))
          : url.pathname.startsWith('/plugin/')
            ? path.join(DIST, path.basename(url.pathname))
            : url.pathname.startsWith('/dashboards/')
              ? path.join(DASHBOARDS, path.basename(url.pathname))
              : path.join(PAGES, path.basename(url.pathname));
    if (file === null) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><title>${page}</title><script>window.__grafana_public_path__ = '/public/';</script></head><body><div id="root"></div><script src="/pages/${page}.js"></script></body></html>`,
      );
      return;
    }
    served.push(url.pathname);
    fs.readFile(file, (error, content) => {
      if (error) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(content);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    served,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
