import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from './ports';
import os from 'node:os';
import path from 'node:path';

/** The newest PostgreSQL server binaries of Debian's `postgresql` package, or undefined. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

export interface PostgresCluster {
  /** `postgres://rpa@127.0.0.1:<port>/postgres`: trust authentication, loopback only. */
  url: string;
  /** Stops the server as an administrator's fast shutdown does (sessions ended), keeping its data. */
  shutDown(): void;
  /** Starts it again on the same port and data. */
  startAgain(): void;
  stop(): void;
}

/**
 * A throwaway PostgreSQL cluster owned by the test run: initdb in a temporary folder, the server
 * on a free port of 127.0.0.1 (fsync off: nothing here outlives the run), removed by `stop`.
 * initdb refuses to run as root, so as root the cluster runs as Debian's `postgres` user.
 * @throws Error when the server binaries are missing (install Debian's `postgresql`).
 */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y --no-install-recommends postgresql');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { encoding: 'utf8' })
      : spawnSync(path.join(bin, command), args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    fs.chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'rpa', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  return {
    url: `postgres://rpa@127.0.0.1:${port}/postgres`,
    shutDown: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']),
    startAgain: start,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
