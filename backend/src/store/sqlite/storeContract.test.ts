import { storeContract } from '../../testing/storeContract';
import { SqliteStore } from './sqliteStore';

describe('the store contract on SQLite', () => {
  storeContract(() => new SqliteStore({ file: ':memory:' }));
});
