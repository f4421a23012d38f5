import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as rxjs from 'rxjs';
import type { DataSourcePlugin } from '@grafana/data';

/**
 * What Grafana provides to a plugin's module.js, as this page has them bundled: the modules the
 * build keeps external. (CommonJS ones by `require`, as their own export objects.)
 */
const HOST_MODULES: Record<string, unknown> = {
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  rxjs,
  react: require('react'),
  'react/jsx-runtime': require('react/jsx-runtime'),
  'react-dom': require('react-dom'),
  i18next: require('i18next'),
};

/**
 * Loads the built plugin (`plugin/dist/module.js`, served at `/plugin/module.js`) as Grafana's
 * loader does: an AMD module whose dependencies are the host's modules. A dependency the page
 * does not provide fails the load, as Grafana's "Could not load plugin" does.
 */
export async function loadPlugin(url = '/plugin/module.js'): Promise<DataSourcePlugin<never, never, never, never>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} (run npm run build first: the pages load the built plugin)`);
  const source = await response.text();
  let exports: { plugin?: DataSourcePlugin<never, never, never, never> } | undefined;
  const define = (dependencies: string[], factory: (...modules: unknown[]) => typeof exports) => {
    const missing = dependencies.filter((d) => !(d in HOST_MODULES));
    if (missing.length) throw new Error(`${url} imports ${missing.join(', ')}, which the host does not provide`);
    exports = factory(...dependencies.map((d) => HOST_MODULES[d]));
  };
  define.amd = true;
  new Function('define', `${source}\n//# sourceURL=${url}`)(define);
  if (!exports?.plugin) throw new Error(`${url} exports no plugin`);
  return exports.plugin;
}
