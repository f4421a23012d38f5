import fs from 'node:fs';

/**
 * Host counters read straight from the Linux kernel (`/proc`). Each read is a few small
 * synchronous file reads (tens of microseconds), where systeminformation would spawn processes
 * or parse far more than needed at a 1 s cadence.
 */
export interface CumulativeCounters {
  /** Jiffies spent busy and in total, over all CPUs. */
  cpuBusy: number;
  cpuTotal: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

const SECTOR_BYTES = 512;

export function parseProcStat(text: string): { busy: number; total: number } {
  const line = text.slice(0, text.indexOf('\n'));
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export function parseMeminfo(text: string): { total: number; used: number } {
  const value = (key: string): number | undefined => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const total = value('MemTotal') ?? 0;
  const available = value('MemAvailable') ?? value('MemFree') ?? 0;
  return { total, used: total - available };
}

/** Sums whole block devices only (partitions would count their disk twice). */
export function parseDiskstats(text: string, devices: ReadonlySet<string>): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !devices.has(f[2])) continue;
    read += Number(f[5]) * SECTOR_BYTES;
    write += Number(f[9]) * SECTOR_BYTES;
  }
  return { read, write };
}

/** Sums every interface but loopback. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    rx += Number(f[0]);
    tx += Number(f[8]);
  }
  return { rx, tx };
}

/** Physical block devices: `/sys/block` without loop, ram and device-mapper layers. */
export function physicalBlockDevices(sysBlock = '/sys/block'): Set<string> {
  try {
    return new Set(fs.readdirSync(sysBlock).filter((name) => !/^(loop|ram|dm-|zram|sr)/.test(name)));
  } catch {
    return new Set();
  }
}

export function readLinuxCounters(devices: ReadonlySet<string>, proc = '/proc'): CumulativeCounters {
  const cpu = parseProcStat(fs.readFileSync(`${proc}/stat`, 'latin1'));
  const memory = parseMeminfo(fs.readFileSync(`${proc}/meminfo`, 'latin1'));
  const disk = parseDiskstats(fs.readFileSync(`${proc}/diskstats`, 'latin1'), devices);
  const net = parseNetDev(fs.readFileSync(`${proc}/net/dev`, 'latin1'));
  return {
    cpuBusy: cpu.busy,
    cpuTotal: cpu.total,
    memoryTotalBytes: memory.total,
    memoryUsedBytes: memory.used,
    diskReadBytes: disk.read,
    diskWriteBytes: disk.write,
    netRxBytes: net.rx,
    netTxBytes: net.tx,
  };
}
