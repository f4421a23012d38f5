import fs from 'node:fs';
import path from 'node:path';
const { checkDist, checkPluginJson, requiredRange, satisfies } = require('../scripts/checkPlugin.js') as {
  checkDist: (dist: string) => string[];
  checkPluginJson: (json: object, built: boolean) => string[];
  requiredRange: (imports: string[]) => string;
  satisfies: (version: string, range: string) => boolean;
};

const ROOT = path.resolve(__dirname, '..');
const source = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/plugin.json'), 'utf8'));

describe('the plugin check (what Grafana validates, offline)', () => {
  it('passes on src/plugin.json and on the built dist/ (npm test builds it first)', () => {
    expect(checkPluginJson(source, false)).toEqual([]);
    expect(checkDist(path.join(ROOT, 'dist'))).toEqual([]);
  });

  it.each([
    ['a bad id', { id: 'RPA_Analytics' }, 'id "RPA_Analytics" must match'],
    ['no logs capability', { logs: false }, 'logs must be true'],
    [
      'a token read from jsonData',
      { routes: [{ ...source.routes[0], headers: [{ name: 'Authorization', content: 'Bearer {{ .JsonData.apiToken }}' }] }] },
      'the token must never come from jsonData',
    ],
    ['a route without the token', { routes: [{ path: 'collector', url: '{{ .JsonData.collectorUrl }}/api/v1' }] }, 'the route must add "Authorization: Bearer'],
    ['no Grafana dependency', { dependencies: {} }, 'dependencies.grafanaDependency must be a semver range'],
  ])('flags %s', (_what, change, message) => {
    const problems = checkPluginJson({ ...source, ...change }, false);
    expect(problems.some((p) => p.includes(message))).toBe(true);
  });

  it('flags a dist without its module or with React bundled in', () => {
    const dist = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'rpa-dist-'));
    try {
      fs.writeFileSync(path.join(dist, 'plugin.json'), JSON.stringify({ ...source, info: { ...source.info, version: '0.1.0', updated: '2026-11-27' } }));
      fs.mkdirSync(path.join(dist, 'img'));
      fs.writeFileSync(path.join(dist, 'img/logo.svg'), '<svg/>');
      expect(checkDist(dist)).toEqual(expect.arrayContaining(['dist/module.js is missing', 'dist/README.md is missing']));
      fs.writeFileSync(path.join(dist, 'module.js'), 'define(["@grafana/data","@grafana/runtime","@grafana/ui"],function(){})');
      expect(checkDist(dist)).toContain('dist/module.js must load react from Grafana, not bundle it');
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });

  it('derives the Grafana range from what the bundle imports from the host: react/jsx-runtime narrows it to the versions that provide it', () => {
    expect(requiredRange(['react', '@grafana/data', '@grafana/ui', '@grafana/runtime', 'rxjs'])).toBe('>=12.0.0');
    expect(requiredRange(['react', 'react/jsx-runtime', '@grafana/data'])).toBe('>=12.3.0 || ~12.2.5 || ~12.1.7 || ~12.0.10');
    expect(() => requiredRange(['react', 'moment'])).toThrow('dist/module.js imports moment from Grafana, which does not provide it to plugins: bundle it');
    // The versions that provide react/jsx-runtime, and those that do not.
    const jsx = requiredRange(['react/jsx-runtime']);
    for (const version of ['12.0.10', '12.1.7', '12.1.9', '12.2.5', '12.3.0', '13.1.0']) expect([version, satisfies(version, jsx)]).toEqual([version, true]);
    for (const version of ['12.0.0', '12.0.9', '12.1.0', '12.1.6', '12.2.0', '12.2.4', '11.6.11'])
      expect([version, satisfies(version, jsx)]).toEqual([version, false]);
  });

  it('flags a dist whose declared Grafana range includes versions without a module the bundle imports from the host', () => {
    const dist = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'rpa-dist-'));
    try {
      for (const file of ['README.md', 'CHANGELOG.md', 'LICENSE']) fs.writeFileSync(path.join(dist, file), '');
      fs.mkdirSync(path.join(dist, 'img'));
      for (const logo of new Set([source.info.logos.small, source.info.logos.large])) fs.writeFileSync(path.join(dist, logo), '<svg/>');
      const built = (grafanaDependency: string) =>
        fs.writeFileSync(
          path.join(dist, 'plugin.json'),
          JSON.stringify({
            ...source,
            info: { ...source.info, version: '0.1.0', updated: '2026-11-27' },
            dependencies: { ...source.dependencies, grafanaDependency },
          }),
        );
      fs.writeFileSync(path.join(dist, 'module.js'), 'define(["react","react/jsx-runtime","@grafana/data","@grafana/runtime","@grafana/ui"],function(){})');
      // What the plugin declared before: Grafana 12.0.0 to 12.2.4 would fail to load it.
      built('>=12.0.0');
      expect(checkDist(dist)).toEqual([
        'dependencies.grafanaDependency must be ">=12.3.0 || ~12.2.5 || ~12.1.7 || ~12.0.10" for what dist/module.js imports from Grafana (react, react/jsx-runtime, @grafana/data, @grafana/runtime, @grafana/ui), got ">=12.0.0"',
      ]);
      built('>=12.3.0 || ~12.2.5 || ~12.1.7 || ~12.0.10');
      expect(checkDist(dist)).toEqual([]);
      // Without react/jsx-runtime from the host, the whole 12 line.
      fs.writeFileSync(path.join(dist, 'module.js'), 'define(["react","@grafana/data","@grafana/runtime","@grafana/ui"],function(){})');
      built('>=12.0.0');
      expect(checkDist(dist)).toEqual([]);
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });
});
