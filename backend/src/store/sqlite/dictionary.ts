import type Database from 'better-sqlite3';

/**
 * Interns names (workflows, hosts, step names, ...) as integer ids, with an in-memory cache.
 * Ids handed out inside a transaction that later rolls back are forgotten with `reset()`.
 */
export class Dictionary {
  private readonly cache = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private readonly insert: Database.Statement<[string]>;
  private readonly select: Database.Statement<[string], { id: number }>;
  private readonly selectName: Database.Statement<[number], { name: string }>;

  constructor(db: Database.Database, table: string) {
    this.insert = db.prepare(`INSERT OR IGNORE INTO ${table}(name) VALUES (?)`);
    this.select = db.prepare(`SELECT id FROM ${table} WHERE name = ?`);
    this.selectName = db.prepare(`SELECT name FROM ${table} WHERE id = ?`);
  }

  /**
   * The name of an id read from a stored row (so it exists), cached: readers of many rows map ids
   * here instead of joining the dictionary table on every row.
   */
  nameOf(id: number): string {
    let name = this.names.get(id);
    if (name === undefined) {
      name = this.selectName.get(id)?.name;
      if (name === undefined) throw new Error(`no name with id ${id}`);
      this.names.set(id, name);
    }
    return name;
  }

  /** The id of `name`, creating it when new. */
  intern(name: string): number {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    this.insert.run(name);
    const id = this.select.get(name)!.id;
    this.cache.set(name, id);
    return id;
  }

  internOptional(name: string | undefined): number | null {
    return name === undefined ? null : this.intern(name);
  }

  /** The id of `name` if it exists, without creating it. */
  find(name: string): number | undefined {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const row = this.select.get(name);
    if (row) this.cache.set(name, row.id);
    return row?.id;
  }

  reset(): void {
    this.cache.clear();
    this.names.clear();
  }
}
