import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { IngestBatch } from '@rpa-analytics/contract';
import type { RetentionStore } from '../store/store';

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

/** Runs (and ten times as many samples) deleted in one transaction: a writer waits at most that long for ingest. */
const DELETE_CHUNK = 500;

/** Thrown when an archive file could not be written whole; nothing of its rows was deleted. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/**
 * Retention with an archive: expired raw rows are written, compressed, to a file that is checked
 * (every write whole, then read back and counted), synced and renamed into place before those
 * exact rows are deleted. When the archive cannot be written, nothing is deleted and no partial
 * file stays behind.
 */
export class Archiver {
  constructor(
    private readonly store: RetentionStore,
    private readonly settings: RetentionSettings,
  ) {}

  runOnce(now = Date.now(), progress?: (report: RetentionReport) => void): RetentionReport {
    const report: RetentionReport = { archivedRuns: 0, archivedSamples: 0, files: [], deletedRollups: 0 };
    if (this.settings.rawDays > 0) {
      const cutoff = now - this.settings.rawDays * DAY;
      fs.mkdirSync(this.settings.archiveDir, { recursive: true });
      removePartials(this.settings.archiveDir);
      for (let part = 0; ; part++) {
        const batch = this.store.expiredRaw(cutoff, this.settings.chunk ?? 5000);
        if (batch.executions.length === 0 && batch.samples.length === 0) break;
        const file = this.write(batch, now, part);
        for (const piece of pieces(batch)) this.store.deleteRaw(piece);
        report.archivedRuns += batch.executions.length;
        report.archivedSamples += batch.samples.length;
        report.files.push(file);
        progress?.(report);
      }
    }
    if (this.settings.rollupDays > 0) report.deletedRollups = this.store.deleteRollupsBefore(now - this.settings.rollupDays * DAY);
    return report;
  }

  private write(batch: IngestBatch, now: number, part: number): string {
    const name = `rpa-archive-${new Date(now).toISOString().replace(/[:.]/g, '-')}-${String(part).padStart(4, '0')}.jsonl.gz`;
    const final = path.join(this.settings.archiveDir, name);
    const temporary = `${final}${PARTIAL}`;
    const body = zlib.gzipSync(`${JSON.stringify(batch)}\n`);
    try {
      const fd = fs.openSync(temporary, 'w');
      try {
        writeWhole(fd, body);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      verifyArchive(temporary, batch);
      fs.renameSync(temporary, final);
    } catch (error) {
      fs.rmSync(temporary, { force: true });
      throw new ArchiveError(`archive ${final} not written (${(error as Error).message}); nothing was deleted`);
    }
    return final;
  }
}

const PARTIAL = '.partial';

/** A file cut short by a crash while it was written: its rows were never deleted, so it holds nothing needed. */
function removePartials(dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name.startsWith('rpa-archive-') && name.endsWith(PARTIAL)) fs.rmSync(path.join(dir, name), { force: true });
}

/** Writes all of `body`: a write may take fewer bytes than asked (a full disk), and the rest is written again or fails. */
function writeWhole(fd: number, body: Uint8Array): void {
  for (let at = 0; at < body.length;) {
    const written = fs.writeSync(fd, body, at, body.length - at);
    if (written <= 0) throw new Error(`wrote ${at} of ${body.length} bytes`);
    at += written;
  }
}

/** Reads the file back and checks it holds exactly the batch's records. */
function verifyArchive(file: string, batch: IngestBatch): void {
  const lines = readArchive(file);
  const count = (key: 'executions' | 'steps' | 'samples') => lines.reduce((n, b) => n + b[key].length, 0);
  for (const key of ['executions', 'steps', 'samples'] as const) {
    if (count(key) !== batch[key].length) throw new Error(`read back ${count(key)} ${key} of ${batch[key].length}`);
  }
}

/** The batch in pieces of `DELETE_CHUNK` runs (with their steps) and ten times as many samples. */
function* pieces(batch: IngestBatch): Generator<IngestBatch> {
  const samplesEach = DELETE_CHUNK * 10;
  const count = Math.max(Math.ceil(batch.executions.length / DELETE_CHUNK), Math.ceil(batch.samples.length / samplesEach));
  for (let i = 0; i < count; i++) {
    yield {
      executions: batch.executions.slice(i * DELETE_CHUNK, (i + 1) * DELETE_CHUNK),
      steps: [],
      samples: batch.samples.slice(i * samplesEach, (i + 1) * samplesEach),
    };
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
