import { LinuxResourceSource, SystemInformationSource, type ResourceSource } from '@rpa-analytics/sdk';
import { type Figure, figure } from './measure';

interface SamplingCost {
  cpuMsPerSample: number;
  p99BlockMs: number;
  maxBlockMs: number;
}

/** CPU time per reading and the longest synchronous stretch, over `samples` back-to-back readings. */
async function cost(source: ResourceSource, samples: number): Promise<SamplingCost> {
  await source.read(Date.now());
  const blocks: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const pending = source.read(Date.now());
    blocks.push(performance.now() - started);
    await pending;
  }
  const cpu = process.cpuUsage(cpuBefore);
  blocks.sort((a, b) => a - b);
  return {
    cpuMsPerSample: (cpu.user + cpu.system) / 1000 / samples,
    p99BlockMs: blocks[Math.floor(0.99 * (blocks.length - 1))],
    maxBlockMs: blocks[blocks.length - 1],
  };
}

/** The sampler's cost at a 1 s interval, beside systeminformation's calls for the same figures. */
export async function benchSampler(quick: boolean): Promise<Figure[]> {
  if (process.platform !== 'linux') return [];
  const samples = quick ? 200 : 1000;
  const ours = await cost(new LinuxResourceSource(), samples);
  const theirs = await cost(new SystemInformationSource(), quick ? 10 : 30);
  const intervalMs = 1000;
  return [
    figure({
      scenario: 'sampler at 1 s',
      metric: 'share of one core',
      unit: '%',
      value: (100 * ours.cpuMsPerSample) / intervalMs,
      baselineName: 'systeminformation (currentLoad, mem, fsStats, networkStats)',
      baseline: (100 * theirs.cpuMsPerSample) / intervalMs,
      target: '< 1%',
      met: (100 * ours.cpuMsPerSample) / intervalMs < 1,
    }),
    figure({
      scenario: 'sampler at 1 s',
      metric: 'event-loop block per sample, p99',
      unit: 'ms',
      value: ours.p99BlockMs,
      baselineName: 'systeminformation',
      baseline: theirs.p99BlockMs,
      target: '< 2 ms',
      met: ours.p99BlockMs < 2,
    }),
    figure({
      scenario: 'sampler at 1 s',
      metric: 'event-loop block per sample, max',
      unit: 'ms',
      value: ours.maxBlockMs,
      baselineName: 'systeminformation',
      baseline: theirs.maxBlockMs,
    }),
  ];
}
