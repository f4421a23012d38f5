#!/usr/bin/env node
// Checks plugin.json and the built archive (dist/) the way Grafana's plugin validator would,
// as far as it can be checked offline. Prints every problem; exits 1 when there is one.
const fs = require('node:fs');
const path = require('node:path');

const ID_PATTERN = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$/;
const GRAFANA_PROVIDED = ['react', 'react-dom', '@grafana/data', '@grafana/ui', '@grafana/runtime'];

/** The Grafana versions the plugin is written for (its @grafana/* APIs). */
const BASE_RANGE = '>=12.0.0';
/**
 * The modules Grafana gives plugins at runtime, and the versions that do where that is not every
 * version in `BASE_RANGE` (checked against Grafana's source: react/jsx-runtime only from 12.3.0
 * and in the backports 12.0.10, 12.1.7 and 12.2.5 of the 12 line).
 */
const HOST_MODULES = {
  react: BASE_RANGE,
  'react-dom': BASE_RANGE,
  'react/jsx-runtime': '>=12.3.0 || ~12.2.5 || ~12.1.7 || ~12.0.10',
  '@grafana/data': BASE_RANGE,
  '@grafana/ui': BASE_RANGE,
  '@grafana/runtime': BASE_RANGE,
  rxjs: BASE_RANGE,
  'rxjs/operators': BASE_RANGE,
  i18next: BASE_RANGE,
  lodash: BASE_RANGE,
  '@emotion/css': BASE_RANGE,
  '@emotion/react': BASE_RANGE,
};

/**
 * The `grafanaDependency` a bundle importing `imports` from the host needs: the narrowest of the
 * ranges that provide each of them (they are nested here: `BASE_RANGE` or one narrower range).
 * Throws on a module Grafana does not provide.
 */
function requiredRange(imports) {
  const unknown = imports.filter((name) => !(name in HOST_MODULES));
  if (unknown.length)
    throw new Error(
      `dist/module.js imports ${unknown.join(', ')} from Grafana, which does not provide ${unknown.length === 1 ? 'it' : 'them'} to plugins: bundle ${unknown.length === 1 ? 'it' : 'them'}`,
    );
  const narrower = [...new Set(imports.map((name) => HOST_MODULES[name]).filter((range) => range !== BASE_RANGE))];
  if (narrower.length > 1) throw new Error(`no one range provides ${imports.join(', ')}`);
  return narrower[0] ?? BASE_RANGE;
}

/** Whether `version` (x.y.z) is in `range`, written as `>=x.y.z` and `~x.y.z` clauses joined by `||`. */
function satisfies(version, range) {
  const parse = (v) => v.split('.').map(Number);
  const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const v = parse(version);
  return range.split('||').some((clause) => {
    const [, op, bound] = /^\s*(>=|~)(\d+\.\d+\.\d+)\s*$/.exec(clause) ?? [];
    if (!bound) throw new Error(`range clause ${JSON.stringify(clause.trim())}: only >=x.y.z and ~x.y.z are understood`);
    const b = parse(bound);
    return op === '>=' ? compare(v, b) >= 0 : compare(v, b) >= 0 && v[0] === b[0] && v[1] === b[1];
  });
}

/** Problems with a plugin.json object; `built` when it is the copy in dist (placeholders replaced). */
function checkPluginJson(json, built) {
  const problems = [];
  const need = (cond, message) => cond || problems.push(message);
  need(json.type === 'datasource', `type must be "datasource", got ${JSON.stringify(json.type)}`);
  need(typeof json.id === 'string' && ID_PATTERN.test(json.id), `id ${JSON.stringify(json.id)} must match ${ID_PATTERN} (org-name-type)`);
  need(json.id === 'rpa-analytics-datasource', `id must be rpa-analytics-datasource, got ${JSON.stringify(json.id)}`);
  need(typeof json.name === 'string' && json.name.length > 0, 'name is required');
  for (const capability of ['metrics', 'annotations', 'logs']) need(json[capability] === true, `${capability} must be true`);
  const info = json.info ?? {};
  need(typeof info.description === 'string' && info.description.length > 0, 'info.description is required');
  need(typeof info.author?.name === 'string', 'info.author.name is required');
  need(typeof info.logos?.small === 'string' && typeof info.logos?.large === 'string', 'info.logos.small and info.logos.large are required');
  if (built) {
    need(/^\d+\.\d+\.\d+/.test(info.version ?? ''), `info.version must be a version in dist, got ${JSON.stringify(info.version)}`);
    need(/^\d{4}-\d{2}-\d{2}$/.test(info.updated ?? ''), `info.updated must be a date in dist, got ${JSON.stringify(info.updated)}`);
  } else {
    need(info.version === '%VERSION%', 'info.version must be the %VERSION% placeholder in src (the build fills it in)');
  }
  const range = json.dependencies?.grafanaDependency;
  need(
    typeof range === 'string' && /^(>=|\^|~)?\d+\.\d+\.\d+/.test(range),
    `dependencies.grafanaDependency must be a semver range like ">=12.0.0", got ${JSON.stringify(range)}`,
  );
  if (typeof range === 'string' && range !== BASE_RANGE) {
    need(
      range.split('||').every((clause) => /^\s*(>=|~)\d+\.\d+\.\d+\s*$/.test(clause)),
      `dependencies.grafanaDependency ${JSON.stringify(range)}: clauses must be >=x.y.z or ~x.y.z`,
    );
  }
  const routes = json.routes ?? [];
  need(Array.isArray(routes) && routes.length === 1, `exactly one proxy route expected, got ${routes.length}`);
  const route = routes[0] ?? {};
  need(route.path === 'collector', `the route path must be "collector" (the DataSource calls <url>/collector), got ${JSON.stringify(route.path)}`);
  need(
    /^\{\{ *\.JsonData\.collectorUrl *\}\}\/api\/v1$/.test(route.url ?? ''),
    `the route url must be "{{ .JsonData.collectorUrl }}/api/v1", got ${JSON.stringify(route.url)}`,
  );
  const auth = (route.headers ?? []).find((h) => h.name === 'Authorization');
  need(
    auth && /^Bearer \{\{ *\.SecureJsonData\.apiToken *\}\}$/.test(auth.content),
    'the route must add "Authorization: Bearer {{ .SecureJsonData.apiToken }}" (the token stays on the server)',
  );
  need(!JSON.stringify(json).includes('.JsonData.apiToken'), 'the token must never come from jsonData (readable by viewers)');
  return problems;
}

/** Problems with the built archive in `dist`. */
function checkDist(dist) {
  const problems = [];
  const need = (cond, message) => cond || problems.push(message);
  for (const file of ['module.js', 'plugin.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    need(fs.existsSync(path.join(dist, file)), `dist/${file} is missing`);
  }
  if (!fs.existsSync(path.join(dist, 'plugin.json'))) return problems;
  const json = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8'));
  problems.push(...checkPluginJson(json, true));
  for (const logo of [json.info?.logos?.small, json.info?.logos?.large]) {
    if (logo) need(fs.existsSync(path.join(dist, logo)), `dist/${logo} (a logo in plugin.json) is missing`);
  }
  if (fs.existsSync(path.join(dist, 'module.js'))) {
    const module = fs.readFileSync(path.join(dist, 'module.js'), 'utf8');
    const define = /^define\((\[[^\]]*\])/.exec(module);
    need(define, 'dist/module.js must be an AMD module (define([...], ...))');
    if (define) {
      const externals = JSON.parse(define[1]);
      for (const name of ['@grafana/data', '@grafana/runtime', '@grafana/ui', 'react']) {
        need(externals.includes(name), `dist/module.js must load ${name} from Grafana, not bundle it`);
      }
      need(!externals.includes('@grafana/i18n'), '@grafana/i18n must be bundled: Grafana does not provide it to plugins');
      // The declared Grafana range must be one where Grafana provides every module the bundle imports.
      try {
        const required = requiredRange(externals);
        const declared = json.dependencies?.grafanaDependency;
        need(
          declared === required,
          `dependencies.grafanaDependency must be "${required}" for what dist/module.js imports from Grafana (${externals.join(', ')}), got ${JSON.stringify(declared)}`,
        );
      } catch (error) {
        problems.push(error.message);
      }
    }
    need(!/\bfunction __reactRuntime|react\.production\.min/.test(module), 'dist/module.js bundles React');
    need(module.length < 2_000_000, `dist/module.js is ${module.length} bytes: something large got bundled`);
  }
  return problems;
}

module.exports = { checkPluginJson, checkDist, GRAFANA_PROVIDED, HOST_MODULES, requiredRange, satisfies };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const source = JSON.parse(fs.readFileSync(path.join(root, 'src/plugin.json'), 'utf8'));
  const problems = [...checkPluginJson(source, false).map((p) => `src/plugin.json: ${p}`), ...checkDist(path.join(root, 'dist'))];
  if (problems.length) {
    process.stderr.write(`plugin check failed:\n- ${problems.join('\n- ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`plugin check passed: ${source.id}, dist/ in Grafana's archive shape\n`);
}
