import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

import type { ExecutionDetail, IngestBatch, IngestResult, ResourceSample } from '../../domain/types';
import type { ExecutionPage, ExecutionPageRequest, SampleFilter, Store, StoreStats } from '../store';
import { migrate } from './schema';
import { Dictionaries, openDictionaries } from './dictionaries';
import { BatchWriter } from './batchWriter';
import { ExecutionReader } from './executionReader';

export interface SqliteStoreOptions {
  /** Path of the database file; `:memory:` for a throwaway store. */
  file: string;
  readonly?: boolean;
}

/** The embedded default store: one SQLite file in WAL mode. */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly dictionaries: Dictionaries;
  private readonly writer: BatchWriter;
  private readonly reader: ExecutionReader;

  constructor(options: SqliteStoreOptions) {
    this.file = options.file;
    if (this.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    this.db = new Database(this.file);
    // WAL lets readers run beside the writer; NORMAL sync keeps every committed batch across a
    // process crash (only a power loss can drop the last transactions).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.dictionaries = openDictionaries(this.db);
    this.writer = new BatchWriter(this.db, this.dictionaries);
    this.reader = new ExecutionReader(this.db, this.dictionaries);
  }

  /** Opens (creating and migrating when needed) `<dataDir>/rpa-analytics.db`. */
  static inDirectory(dataDir: string): SqliteStore {
    return new SqliteStore({ file: path.join(dataDir, 'rpa-analytics.db') });
  }

  ingest(batch: IngestBatch): IngestResult {
    return this.writer.write(batch);
  }

  listExecutions(request: ExecutionPageRequest): ExecutionPage {
    return this.reader.list(request);
  }

  getExecution(id: string): ExecutionDetail | undefined {
    return this.reader.get(id);
  }

  listSamples(filter: SampleFilter): ResourceSample[] {
    return this.reader.samples(filter);
  }

  stats(): StoreStats {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const last = (sql: string) => (this.db.prepare(sql).get() as { t: number | null }).t ?? undefined;
    return {
      executions: count('executions'),
      steps: count('steps'),
      samples: count('resource_samples'),
      lastExecutionAt: last('SELECT max(started_at) AS t FROM executions'),
      lastSampleAt: last('SELECT max(ts) AS t FROM resource_samples'),
      sizeBytes: this.sizeBytes(),
    };
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  close(): void {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  private sizeBytes(): number {
    if (this.file === ':memory:') {
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      return pages * (this.db.pragma('page_size', { simple: true }) as number);
    }
    return ['', '-wal'].reduce((total, suffix) => {
      try {
        return total + fs.statSync(this.file + suffix).size;
      } catch {
        return total;
      }
    }, 0);
  }
}

