import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * `serve` in a process of its own: Node itself with tsx's loader (not the tsx wrapper), so a
 * signal sent to it (SIGKILL included) reaches the process that writes. Resolves with the URL it
 * says it listens on. With the young generation `npm start` gives it (see the README's Performance).
 */
export function spawnCollector(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; said: string }> {
  const child = spawn(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', path.join(ROOT, 'backend/src/main.ts'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, RPA_PORT: '0', RPA_SAMPLER: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    // The line is logged at info level: with a quieter RPA_LOG_LEVEL it never comes.
    const timer = setTimeout(() => reject(new Error(`collector did not say where it listens within 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], said: out });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
  });
}

/** Stops a collector started by `spawnCollector` (SIGTERM, as a service manager would) and waits for it. */
export async function stopCollector(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
