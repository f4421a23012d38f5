import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getJson, postJson, startCollector, tempDir, withCollector } from '../testing/harness';
import { parseDiskstats, parseMeminfo, parseNetDev, parseProcStat } from '@rpa-analytics/sdk/linuxCounters';
import { ResourceCollector } from '@rpa-analytics/sdk';
import { LinuxResourceSource, type HostReading, type ResourceSource } from '@rpa-analytics/sdk/resourceSource';
import type { ResourceSample } from '@rpa-analytics/contract';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function writeProc(dir: string, cpu: number[], diskSectors: [number, number], net: [number, number]): void {
  fs.mkdirSync(path.join(dir, 'net'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'stat'), `cpu  ${cpu.join(' ')} 0 0\ncpu0 1 2 3 4\n`);
  fs.writeFileSync(path.join(dir, 'meminfo'), 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    4000000 kB\n');
  fs.writeFileSync(
    path.join(dir, 'diskstats'),
    `   8       0 sda 100 0 ${diskSectors[0]} 0 50 0 ${diskSectors[1]} 0 0 0 0\n   8       1 sda1 100 0 999999 0 50 0 999999 0 0 0 0\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'net', 'dev'),
    'Inter-|   Receive\n face |bytes packets\n    lo: 5000 1 0 0 0 0 0 0 5000 1 0 0 0 0 0 0\n' + `  eth0: ${net[0]} 10 0 0 0 0 0 0 ${net[1]} 10 0 0 0 0 0 0\n`,
  );
}

describe('Linux kernel counters', () => {
  it('computes CPU busy share from /proc/stat (idle and iowait are not busy)', () => {
    expect(parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\n')).toEqual({ busy: 150, total: 1000 });
  });
  it('computes used memory as total minus available', () => {
    expect(parseMeminfo('MemTotal: 1000 kB\nMemAvailable: 250 kB\n')).toEqual({ total: 1024000, used: 768000 });
  });
  it('sums whole disks only, in bytes', () => {
    expect(parseDiskstats('8 0 sda 1 0 10 0 1 0 20 0\n8 1 sda1 1 0 10 0 1 0 20 0\n', new Set(['sda']))).toEqual({ read: 5120, write: 10240 });
  });
  it('sums every interface but loopback', () => {
    expect(parseNetDev('h\nh\n lo: 7 0 0 0 0 0 0 0 7 0\n eth0: 10 0 0 0 0 0 0 0 20 0\n eth1: 1 0 0 0 0 0 0 0 2 0\n')).toEqual({ rx: 11, tx: 22 });
  });

  it('turns two readings 2 s apart into percentages and rates', async () => {
    const tmp = tempDir();
    try {
      const source = new LinuxResourceSource(tmp.dir);
      (source as unknown as { devices: Set<string> }).devices = new Set(['sda']);
      writeProc(tmp.dir, [100, 0, 100, 700, 100, 0, 0, 0], [1000, 2000], [10_000, 20_000]);
      expect(await source.read(T0)).toBeUndefined();
      writeProc(tmp.dir, [200, 0, 200, 1100, 100, 0, 0, 0], [5000, 2000], [30_000, 20_400]);
      const reading = await source.read(T0 + 2000);
      expect(reading!.cpuPercent).toBeCloseTo(33.3333, 3);
      expect(reading).toEqual({
        cpuPercent: reading!.cpuPercent,
        memoryUsedBytes: 12_000_000 * 1024,
        memoryTotalBytes: 16_000_000 * 1024,
        diskReadBytesPerSec: (4000 * 512) / 2,
        diskWriteBytesPerSec: 0,
        netRxBytesPerSec: 10_000,
        netTxBytesPerSec: 200,
      });
    } finally {
      tmp.cleanup();
    }
  });
});

/** A host whose CPU is whatever the test says. */
class ScriptedSource implements ResourceSource {
  cpu = 10;
  async read(): Promise<HostReading> {
    return {
      cpuPercent: this.cpu,
      memoryUsedBytes: 4e9,
      memoryTotalBytes: 8e9,
      diskReadBytesPerSec: 0,
      diskWriteBytesPerSec: 0,
      netRxBytesPerSec: 0,
      netTxBytesPerSec: 0,
    };
  }
}

describe('ResourceCollector', () => {
  it('tags samples with the execution running at the time, and stops tagging when it ends', async () => {
    const samples: ResourceSample[] = [];
    let now = T0;
    const sampler = new ResourceCollector({ sink: (s) => samples.push(s), host: 'vm-9', source: new ScriptedSource(), gpu: false, now: () => now });
    await sampler.sampleOnce();
    sampler.setContext('Claims', 'run-1');
    now += 1000;
    await sampler.sampleOnce();
    sampler.clearContext('other-run');
    now += 1000;
    await sampler.sampleOnce();
    sampler.clearContext('run-1');
    now += 1000;
    await sampler.sampleOnce();
    expect(samples.map((s) => [s.time - T0, s.workflow, s.executionId])).toEqual([
      [0, undefined, undefined],
      [1000, 'Claims', 'run-1'],
      [2000, 'Claims', 'run-1'],
      [3000, undefined, undefined],
    ]);
    expect(samples[0]).toMatchObject({ host: 'vm-9', cpuPercent: 10, memoryUsedBytes: 4e9 });
    expect(samples[0].gpuPercent).toBeUndefined();
  });

  it('tells the space used on the volume it is given out of what robots can use there, as df counts them, and none when told not to or when the path is gone', async () => {
    const tmp = tempDir();
    try {
      const { blocks, bfree, bavail, bsize } = fs.statfsSync(tmp.dir);
      const sample = await new ResourceCollector({ sink: () => undefined, source: new ScriptedSource(), gpu: false, diskPath: tmp.dir }).sampleOnce();
      // Another process may write meanwhile: within a thousand blocks of what statfs said a moment before.
      const near = (value: number, expected: number) => expect(Math.abs(value - expected)).toBeLessThanOrEqual(1000 * bsize);
      near(sample!.diskUsedBytes!, (blocks - bfree) * bsize);
      // Used plus available: the blocks reserved for the system are not the robots' to fill.
      near(sample!.diskTotalBytes!, (blocks - bfree + bavail) * bsize);
      // What df prints as Use%, to the percent.
      const df = execFileSync('df', ['-P', tmp.dir], { encoding: 'utf8' }).trim().split('\n')[1].split(/\s+/)[4];
      expect(Math.abs((100 * sample!.diskUsedBytes!) / sample!.diskTotalBytes! - Number(df.replace('%', '')))).toBeLessThanOrEqual(1);
      const none = await new ResourceCollector({ sink: () => undefined, source: new ScriptedSource(), gpu: false, diskPath: false }).sampleOnce();
      expect('diskUsedBytes' in none!).toBe(false);
      const gone = await new ResourceCollector({
        sink: () => undefined,
        source: new ScriptedSource(),
        gpu: false,
        diskPath: path.join(tmp.dir, 'gone'),
      }).sampleOnce();
      expect(gone).toMatchObject({ cpuPercent: 10 });
      expect('diskTotalBytes' in gone!).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });

  it('when the source fails, then the error is counted and sampling goes on', async () => {
    const samples: ResourceSample[] = [];
    let fail = true;
    const source: ResourceSource = {
      read: async () => {
        if (fail) throw new Error('EACCES /proc/stat');
        return new ScriptedSource().read();
      },
    };
    const sampler = new ResourceCollector({ sink: (s) => samples.push(s), source, gpu: false });
    await sampler.sampleOnce();
    fail = false;
    await sampler.sampleOnce();
    expect(samples).toHaveLength(1);
    expect(sampler.status()).toMatchObject({ errors: 1, lastError: 'EACCES /proc/stat', samplesTaken: 1 });
  });

  it('when the collector runs its own sampler, then samples land in the store and /health reports it', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir, { RPA_SAMPLER: 'on', RPA_SAMPLE_INTERVAL_MS: '100' }, { resourceSource: new ScriptedSource() });
    try {
      // Polled, with a generous ceiling: on a loaded machine three samples at 100 ms take longer.
      let { body } = await getJson(`${collector.url}/api/v1/health`);
      for (
        const started = Date.now();
        body.sampler.samplesTaken < 3 && Date.now() - started < 10_000;
        { body } = await getJson(`${collector.url}/api/v1/health`)
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(body.sampler).toMatchObject({ enabled: true, intervalMs: 100, errors: 0 });
      expect(body.sampler.samplesTaken).toBeGreaterThanOrEqual(3);
    } finally {
      await collector.stop();
    }
    // stop() flushed the buffered samples into the database.
    const reopened = await startCollector(tmp.dir);
    try {
      expect(reopened.store.stats().samples).toBeGreaterThanOrEqual(3);
    } finally {
      await reopened.stop();
      tmp.cleanup();
    }
  });

  it('when samples carry only their host, then an execution on that host gets the usage of its time window', async () => {
    await withCollector({}, async (collector) => {
      const sample = (offset: number, cpu: number) => ({
        host: 'vm-2',
        time: T0 + offset,
        cpuPercent: cpu,
        memoryUsedBytes: 1000 + cpu,
        memoryTotalBytes: 4000,
        diskReadBytesPerSec: 0,
        diskWriteBytesPerSec: 0,
        netRxBytesPerSec: 0,
        netTxBytesPerSec: 0,
      });
      await postJson(`${collector.url}/api/v1/ingest`, {
        executions: [{ id: 'r', workflow: 'W', host: 'vm-2', startedAt: T0 + 1000, endedAt: T0 + 3000, status: 'completed' }],
        samples: [sample(0, 99), sample(1000, 20), sample(2000, 40), sample(3000, 60), sample(4000, 99)],
      });
      const { body } = await getJson(`${collector.url}/api/v1/executions/r`);
      expect(body.resources).toEqual({ samples: 3, cpuPercentAvg: 40, cpuPercentMax: 60, memoryUsedBytesAvg: 1040, memoryUsedBytesMax: 1060 });
    });
  });
});
