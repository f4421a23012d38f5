import fs from 'node:fs';
import si from 'systeminformation';
import { type CumulativeCounters, physicalBlockDevices, readLinuxCounters } from './linuxCounters';

/** One host reading without host, time or execution context (the sampler adds those). */
export interface HostReading {
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  diskReadBytesPerSec: number;
  diskWriteBytesPerSec: number;
  netRxBytesPerSec: number;
  netTxBytesPerSec: number;
  gpuPercent?: number;
  gpuMemoryUsedBytes?: number;
}

/** Reads the host; the first call may return undefined while rate counters get a starting point. */
export interface ResourceSource {
  read(nowMs: number): Promise<HostReading | undefined>;
}

const rate = (delta: number, seconds: number) => (seconds > 0 ? Math.max(0, delta) / seconds : 0);

/** Linux: kernel counters, differenced between calls. */
export class LinuxResourceSource implements ResourceSource {
  private previous?: { at: number; counters: CumulativeCounters };
  private readonly devices = physicalBlockDevices();

  constructor(private readonly proc = '/proc') {}

  async read(nowMs: number): Promise<HostReading | undefined> {
    const counters = readLinuxCounters(this.devices, this.proc);
    const previous = this.previous;
    this.previous = { at: nowMs, counters };
    if (!previous) return undefined;
    const seconds = (nowMs - previous.at) / 1000;
    const cpuTotal = counters.cpuTotal - previous.counters.cpuTotal;
    return {
      cpuPercent: cpuTotal > 0 ? Math.min(100, (100 * (counters.cpuBusy - previous.counters.cpuBusy)) / cpuTotal) : 0,
      memoryUsedBytes: counters.memoryUsedBytes,
      memoryTotalBytes: counters.memoryTotalBytes,
      diskReadBytesPerSec: rate(counters.diskReadBytes - previous.counters.diskReadBytes, seconds),
      diskWriteBytesPerSec: rate(counters.diskWriteBytes - previous.counters.diskWriteBytes, seconds),
      netRxBytesPerSec: rate(counters.netRxBytes - previous.counters.netRxBytes, seconds),
      netTxBytesPerSec: rate(counters.netTxBytes - previous.counters.netTxBytes, seconds),
    };
  }
}

/** Windows and macOS robots: systeminformation, which knows those platforms. */
export class SystemInformationSource implements ResourceSource {
  async read(): Promise<HostReading | undefined> {
    const [load, memory, fsStats, network] = await Promise.all([
      si.currentLoad(),
      si.mem(),
      si.fsStats().catch(() => null),
      si.networkStats('*').catch(() => []),
    ]);
    return {
      cpuPercent: Math.min(100, Math.max(0, load.currentLoad)),
      memoryUsedBytes: memory.active,
      memoryTotalBytes: memory.total,
      diskReadBytesPerSec: Math.max(0, fsStats?.rx_sec ?? 0),
      diskWriteBytesPerSec: Math.max(0, fsStats?.wx_sec ?? 0),
      netRxBytesPerSec: network.reduce((sum, n) => sum + Math.max(0, n.rx_sec ?? 0), 0),
      netTxBytesPerSec: network.reduce((sum, n) => sum + Math.max(0, n.tx_sec ?? 0), 0),
    };
  }
}

export interface GpuReading {
  gpuPercent: number;
  gpuMemoryUsedBytes?: number;
}

/**
 * GPU utilisation through systeminformation (nvidia-smi underneath, a child process), so it is
 * refreshed on its own slower cadence and never on the sampling path. No GPU: always undefined.
 */
export class GpuProbe {
  private latest?: GpuReading;
  private timer?: NodeJS.Timeout;
  private refreshing = false;

  constructor(private readonly refreshMs = 10_000) {}

  /** Whether a GPU driver is visible at all; cheap, no process spawned. */
  static present(): boolean {
    if (process.platform === 'linux') return fs.existsSync('/proc/driver/nvidia/gpus');
    return process.platform === 'win32';
  }

  start(): void {
    if (this.timer || !GpuProbe.present()) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get reading(): GpuReading | undefined {
    return this.latest;
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const graphics = await si.graphics();
      const gpu = graphics.controllers.find((c) => typeof c.utilizationGpu === 'number');
      this.latest = gpu
        ? {
            gpuPercent: gpu.utilizationGpu!,
            ...(typeof gpu.memoryUsed === 'number' ? { gpuMemoryUsedBytes: gpu.memoryUsed * 1024 * 1024 } : {}),
          }
        : undefined;
    } catch {
      this.latest = undefined;
    } finally {
      this.refreshing = false;
    }
  }
}

/** The volume robots work on by default: the system drive on Windows, the root elsewhere. */
export function defaultDiskPath(): string {
  return process.platform === 'win32' ? `${process.env.SystemDrive ?? 'C:'}\\` : '/';
}

/**
 * Space used on the volume that holds `path`, and the space robots can use there: used plus
 * what is still available to them, as `df` counts it (the blocks reserved for the system left
 * out: the volume is full for a robot when that is used). One `statfs` call; undefined when it
 * cannot be read (a path that went away): the sample goes without it.
 */
export function diskSpace(path: string): { diskUsedBytes: number; diskTotalBytes: number } | undefined {
  try {
    const { blocks, bfree, bavail, bsize } = fs.statfsSync(path);
    const used = (blocks - bfree) * bsize;
    const usable = used + bavail * bsize;
    return usable > 0 ? { diskUsedBytes: used, diskTotalBytes: usable } : undefined;
  } catch {
    return undefined;
  }
}

export function defaultResourceSource(): ResourceSource {
  return process.platform === 'linux' && fs.existsSync('/proc/stat') ? new LinuxResourceSource() : new SystemInformationSource();
}
