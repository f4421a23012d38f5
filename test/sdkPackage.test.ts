import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getJson, tempDir, withCollector } from '../backend/src/testing/harness';

const ROOT = path.resolve(__dirname, '..');
/** What a runner must not have to install to record a step. */
const SERVER_PACKAGES = ['express', 'better-sqlite3', 'pg', 'pdfkit', 'prom-client', 'pino'];

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the runner SDK as a package of its own (npm pack, installed alone)', () => {
  it("declares none of the collector's server packages", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'sdk/package.json'), 'utf8'));
    const dependencies = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    expect(dependencies.sort()).toEqual(['@rpa-analytics/contract', 'systeminformation']);
    for (const name of SERVER_PACKAGES) expect(dependencies).not.toContain(name);
  });

  it('when packed and installed into an empty project, then it records a run that the collector stores, and brought no server package with it', async () => {
    const tmp = tempDir('rpa-sdk-pack-');
    try {
      // As the README: build, pack the contract and the SDK, install both into the runner's project.
      for (const workspace of ['contract', 'sdk']) npm(['run', '-s', 'build', '--workspace', workspace], ROOT);
      const packed = JSON.parse(npm(['pack', '--json', '--workspace', 'contract', '--workspace', 'sdk', '--pack-destination', tmp.dir], ROOT)) as Array<{
        filename: string;
        files: Array<{ path: string }>;
      }>;
      expect(packed.map((p) => p.filename).sort()).toEqual(['rpa-analytics-contract-0.1.0.tgz', 'rpa-analytics-sdk-0.1.0.tgz']);
      // Only the compiled package: no sources, no tests.
      for (const p of packed) expect(p.files.map((f) => f.path).filter((f) => !/^(dist\/.*\.(js|d\.ts)|package\.json)$/.test(f))).toEqual([]);

      const runner = path.join(tmp.dir, 'runner');
      fs.mkdirSync(runner);
      fs.writeFileSync(path.join(runner, 'package.json'), JSON.stringify({ name: 'a-runner', private: true, version: '1.0.0' }));
      npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...packed.map((p) => path.join(tmp.dir, p.filename))], runner);
      const installed = fs.readdirSync(path.join(runner, 'node_modules'));
      expect(installed).toContain('systeminformation');
      for (const name of SERVER_PACKAGES) expect(installed).not.toContain(name);

      await withCollector({}, async (collector) => {
        const script = `
          const { MetricsCollector, HttpTransport } = require('@rpa-analytics/sdk');
          const analytics = new MetricsCollector({ transport: new HttpTransport({ url: process.argv[1] }) }).start();
          analytics.recordExecutionStart('packed-1', 'Invoice Processing', { robot: 'bot-1', host: 'vm-7' });
          analytics.recordStep('packed-1', 'Login to SAP', 1840);
          analytics.recordExecutionComplete('packed-1', { status: 'completed', stepsTotal: 1, stepsCompleted: 1 });
          analytics.shutdown().then(() => console.log('sent'));`;
        expect(execFileSync(process.execPath, ['-e', script, collector.url], { cwd: runner, encoding: 'utf8' }).trim()).toBe('sent');
        const { status, body } = await getJson(`${collector.url}/api/v1/executions/packed-1`);
        expect(status).toBe(200);
        expect(body).toMatchObject({ id: 'packed-1', workflow: 'Invoice Processing', robot: 'bot-1', host: 'vm-7', status: 'completed' });
        expect(body.steps.map((s: { name: string; durationMs: number }) => [s.name, s.durationMs])).toEqual([['Login to SAP', 1840]]);
      });
    } finally {
      tmp.cleanup();
    }
  }, 180_000);
});
