import fs from 'node:fs';
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkDist, checkPluginJson } = require('../scripts/checkPlugin.js') as {
  checkDist: (dist: string) => string[];
  checkPluginJson: (json: object, built: boolean) => string[];
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
    ['a token read from jsonData', { routes: [{ ...source.routes[0], headers: [{ name: 'Authorization', content: 'Bearer {{ .JsonData.apiToken }}' }] }] }, 'the token must never come from jsonData'],
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
});
