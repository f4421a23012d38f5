import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { IngestBatch } from '../domain/types';
import type { Store } from '../store/store';

const DAY = 86_400_000;

export interface RetentionSettings {
  /** Raw runs, steps and samples older than this are archived, then deleted (0: kept forever). */
  rawDays: number;
  /** Rollups older than this are deleted (0: kept forever). */
  rollupDays: number;
  archiveDir: string;
  /** Runs per archive file. */
  chunk?: number;
}

export interface RetentionReport {
  archivedRuns: number;
  archivedSamples: number;
  files: string[];
  deletedRollups: number;
}

/**
 * Retention with an archive: expired raw rows are written, compressed, to a file that is synced
 * and renamed into place before those exact rows are deleted. When the archive cannot be written,
 * nothing is deleted.
 */
export class Archiver {
  constructor(
    private readonly store: Store,
    private readonly settings: RetentionSettings,
  ) {}

  runOnce(now = Date.now()): RetentionReport {
    const report: RetentionReport = { archivedRuns: 0, archivedSamples: 0, files: [], deletedRollups: 0 };
    if (this.settings.rawDays > 0) {
      const cutoff = now - this.settings.rawDays * DAY;
      fs.mkdirSync(this.settings.archiveDir, { recursive: true });
      for (let part = 0; ; part++) {
        const batch = this.store.expiredRaw(cutoff, this.settings.chunk ?? 5000);
        if (batch.executions.length === 0 && batch.samples.length === 0) break;
        const file = this.write(batch, now, part);
        this.store.deleteRaw(batch);
        report.archivedRuns += batch.executions.length;
        report.archivedSamples += batch.samples.length;
        report.files.push(file);
      }
    }
    if (this.settings.rollupDays > 0) report.deletedRollups = this.store.deleteRollupsBefore(now - this.settings.rollupDays * DAY);
    return report;
  }

  private write(batch: IngestBatch, now: number, part: number): string {
    const name = `rpa-archive-${new Date(now).toISOString().replace(/[:.]/g, '-')}-${String(part).padStart(4, '0')}.jsonl.gz`;
    const final = path.join(this.settings.archiveDir, name);
    const temporary = `${final}.partial`;
    const body = zlib.gzipSync(`${JSON.stringify(batch)}\n`);
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, final);
    return final;
  }
}

/** The batches an archive file holds, one per line. */
export function readArchive(file: string): IngestBatch[] {
  return zlib
    .gunzipSync(fs.readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as IngestBatch);
}
