import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COLLECTOR_MAIN, collectorNodeFlags, requireBuild } from './collector';
import { type Figure, figure, median } from './measure';

const ROOT = path.resolve(__dirname, '../..');

/** How the collector is started: the build's JavaScript (`npm start`), or the TypeScript sources through tsx (before). */
const MODES = {
  compiled: [...collectorNodeFlags(), COLLECTOR_MAIN, 'serve'],
  tsx: [...collectorNodeFlags(), '--import', 'tsx', path.join(ROOT, 'backend/src/main.ts'), 'serve'],
} as const;

/** Starts a collector on an empty data folder: milliseconds to its "listening" line, and its resident memory a second later. */
async function startOnce(mode: keyof typeof MODES): Promise<{ startMs: number; rssMb: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-start-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...MODES[mode]], {
    cwd: ROOT,
    env: { ...process.env, RPA_DATA_DIR: dir, RPA_PORT: '0', RPA_SAMPLER: 'off', RPA_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const startMs = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('listening on')) resolve(performance.now() - started);
      });
      child.once('exit', (code) => reject(new Error(`collector (${mode}) exited with ${code}: ${out}`)));
    });
    await new Promise((r) => setTimeout(r, 1000));
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { startMs, rssMb: rssKb / 1024 };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The collector's start-up, compiled (`npm start`) beside the sources through tsx, alternating. */
export async function benchStartup(quick: boolean): Promise<Figure[]> {
  if (process.platform !== 'linux') return [];
  requireBuild();
  const runs = quick ? 3 : 7;
  const results = { compiled: [] as Array<{ startMs: number; rssMb: number }>, tsx: [] as Array<{ startMs: number; rssMb: number }> };
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 ? (['tsx', 'compiled'] as const) : (['compiled', 'tsx'] as const)) results[mode].push(await startOnce(mode));
  }
  const of = (mode: keyof typeof results, key: 'startMs' | 'rssMb') => median(results[mode].map((r) => r[key]));
  return [
    figure({
      scenario: 'collector start-up (empty database)',
      metric: 'time to listening, median',
      unit: 'ms',
      value: of('compiled', 'startMs'),
      baselineName: 'sources through tsx',
      baseline: of('tsx', 'startMs'),
    }),
    figure({
      scenario: 'collector start-up (empty database)',
      metric: 'resident memory 1 s after, median',
      unit: 'MB',
      value: of('compiled', 'rssMb'),
      baselineName: 'sources through tsx',
      baseline: of('tsx', 'rssMb'),
    }),
  ];
}
