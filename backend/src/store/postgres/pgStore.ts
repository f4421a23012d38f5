import path from 'node:path';
import type { ExecutionDetail, IngestBatch, IngestResult } from '../../domain/types';
import type { RollupFilter, RunRollupView, StepRollupView, Store, StoreStats } from '../store';
import { RollupReader, type RollupSource } from '../sqlite/rollupReader';
import { SyncBridge } from './syncBridge';

/** A dictionary of the database's, read through the bridge and cached (names and ids never change). */
class RemoteDictionary {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();

  constructor(
    private readonly bridge: SyncBridge,
    private readonly table: string,
  ) {}

  find(name: string): number | undefined {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.bridge.call<number | undefined>('dictionary', this.table, 'name', name);
      if (id !== undefined) this.ids.set(name, id);
    }
    return id;
  }

  nameOf(id: number): string {
    let name = this.names.get(id);
    if (name === undefined) {
      name = this.bridge.call<string | undefined>('dictionary', this.table, 'id', id);
      if (name === undefined) throw new Error(`no name with id ${id} in ${this.table}`);
      this.names.set(id, name);
    }
    return name;
  }
}

/** The store methods PostgreSQL answers so far; the rest of `Store` follows (see docs/scaling.md). */
export type PgStoreMethods = Pick<Store, 'ingest' | 'getExecution' | 'stats' | 'visitRunRollups' | 'visitStepRollups' | 'close'>;

/**
 * The store on PostgreSQL, for several collectors sharing one database. node-postgres runs in a
 * worker thread and this synchronous facade waits for it (`SyncBridge`): one call per ingest
 * batch or read. Opening migrates the schema, safely when collectors start at once.
 *
 * Work in progress: it answers the methods of `PgStoreMethods`, and is not yet offered by the
 * collector's configuration.
 */
export class PgStore implements PgStoreMethods {
  private readonly bridge: SyncBridge;
  private readonly rollups: RollupReader;

  constructor(url: string, timeoutMs?: number) {
    this.bridge = new SyncBridge(path.join(__dirname, 'pgHandler.ts'), { url }, timeoutMs);
    this.bridge.call('migrate');
    const bridge = this.bridge;
    const source: RollupSource = {
      rows: (kind, resolution, groups, from, to) => bridge.call('rollupRows', kind, resolution, groups === 'workflows' ? 'workflows' : [...groups], from, to),
      workflows: new RemoteDictionary(bridge, 'workflows'),
      stepNames: new RemoteDictionary(bridge, 'step_names'),
    };
    this.rollups = new RollupReader(source);
  }

  ingest(batch: IngestBatch): IngestResult {
    return this.bridge.call('ingest', batch);
  }

  getExecution(id: string): ExecutionDetail | undefined {
    return this.bridge.call('getExecution', id);
  }

  stats(): StoreStats {
    return this.bridge.call('stats');
  }

  visitRunRollups(filter: RollupFilter, visit: (rollup: RunRollupView) => void): void {
    this.rollups.visitRuns(filter, visit);
  }

  visitStepRollups(filter: RollupFilter, visit: (rollup: StepRollupView) => void): void {
    this.rollups.visitSteps(filter, visit);
  }

  close(): void {
    void this.bridge.close();
  }
}
