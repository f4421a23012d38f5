import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCollector, tempDir } from '../backend/src/testing/harness';

const ROOT = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the standalone agent (npm run agent)', () => {
  it('when the collector goes away and comes back, then the samples taken meanwhile still arrive', async () => {
    const tmp = tempDir();
    let collector = await startCollector(tmp.dir);
    const port = collector.port;
    const agent = spawn('npm', ['run', 'agent', '--', '--url', collector.url, '--interval-ms', '100', '--flush-ms', '200', '--host', 'robot-host-1'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    agent.stdout.on('data', (c: Buffer) => (output += c.toString()));
    agent.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      await until(() => collector.store.stats().samples >= 3, 30_000, `first samples (agent said: ${output})`);
      await collector.stop();
      const outageStart = Date.now();
      await sleep(1500);
      const outageEnd = Date.now();
      collector = await startCollector(tmp.dir, {}, { port });
      await until(() => (collector.store.stats().lastSampleAt ?? 0) > outageEnd + 300, 15_000, 'samples after the outage');

      const samples = collector.store.listSamples({ hosts: ['robot-host-1'] });
      const during = samples.filter((s) => s.time > outageStart && s.time < outageEnd);
      expect(during.length).toBeGreaterThanOrEqual(5);
      // No hole: an agent that dropped what it could not send would leave one as long as the
      // outage (1.5 s); a 100 ms interval held through it leaves none near that, however loaded.
      const gaps = samples.slice(1).map((s, i) => s.time - samples[i].time);
      expect(Math.max(...gaps)).toBeLessThan(outageEnd - outageStart);
      expect(samples[0]).toMatchObject({ host: 'robot-host-1', memoryTotalBytes: os.totalmem() });
      // The space used on the system volume (/ here), out of what robots can use there.
      const { blocks, bfree, bavail, bsize } = fs.statfsSync('/');
      expect(Math.abs(samples[0].diskTotalBytes! - (blocks - bfree + bavail) * bsize)).toBeLessThanOrEqual(1e9);
      expect(samples[0].diskUsedBytes!).toBeLessThanOrEqual(samples[0].diskTotalBytes!);
    } finally {
      const closed = new Promise((resolve) => agent.once('close', resolve));
      process.kill(-agent.pid!, 'SIGTERM');
      await closed;
      await collector.stop();
      tmp.cleanup();
    }
  });
});
