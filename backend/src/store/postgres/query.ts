import { INGEST_LOCK } from './batchWriter';
import type { ClientBase } from 'pg';
import type { SqlConditions } from '../conditions';

/**
 * A query's conditions and their values, in order. The PostgreSQL store's reads are the SQLite
 * store's SQL where the dialects agree, written with `?` and numbered by `numbered`; names in
 * filters match through the dictionaries.
 */
export class Sql {
  readonly where: string[] = [];
  readonly params: unknown[] = [];

  /** Conditions built for both stores (`store/conditions.ts`), to add to. */
  static from(conditions: SqlConditions): Sql {
    const sql = new Sql();
    sql.where.push(...conditions.where);
    sql.params.push(...conditions.params);
    return sql;
  }

  add(condition: string, ...values: unknown[]): this {
    this.where.push(condition);
    this.params.push(...values);
    return this;
  }

  clause(): string {
    return this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
  }
}

/** `?` placeholders numbered as PostgreSQL's `$n` (none of our SQL has a `?` in a literal). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export async function all<T extends object>(client: ClientBase, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query<T>(numbered(sql), params)).rows;
}

/** A writing transaction: under the lock every collector's writes take, so the change log's order is commit order. */
export async function writing(client: ClientBase, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [INGEST_LOCK.toString()]);
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
