import { PgStore } from './postgres/pgStore';
import { SqliteStore } from './sqlite/sqliteStore';
import type { Store } from './store';

/** Where a store lives, as worker threads are told to open it: a SQLite file or a PostgreSQL URL. */
export type StoreLocation = { file: string } | { postgres: string };

/** The location other threads can open `store` at; undefined for a store only this thread can use (in memory, or a test's own). */
export function locationOf(store: Store): StoreLocation | undefined {
  if (store instanceof PgStore) return { postgres: store.url };
  if (store instanceof SqliteStore && store.file !== ':memory:') return { file: store.file };
  return undefined;
}

/**
 * Opens, in a worker thread, the store the collector opened at `location`: SQLite read-only when
 * asked (query workers); PostgreSQL without migrating again (the collector did at start).
 */
export function openStore(location: StoreLocation, options: { readonly?: boolean } = {}): Store {
  return 'postgres' in location ? new PgStore(location.postgres, { migrate: false }) : new SqliteStore({ file: location.file, readonly: options.readonly });
}
