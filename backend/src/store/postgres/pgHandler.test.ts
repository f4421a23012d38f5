import { isConnectionLoss } from './pgHandler';

describe('isConnectionLoss', () => {
  it.each([
    ['a terminated backend (57P01)', { code: '57P01', message: 'terminating connection due to administrator command' }, true],
    ['a server shutting down (57P02)', { code: '57P02' }, true],
    ['a connection failure (class 08)', { code: '08006' }, true],
    ['a refused connection', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, true],
    ['a reset socket', { code: 'ECONNRESET' }, true],
    ["node-postgres' end of a session", new Error('Connection terminated unexpectedly'), true],
    ['a client already ended', new Error('Client was closed and is not queryable'), true],
    ['a unique violation (23505)', { code: '23505', message: 'duplicate key value violates unique constraint' }, false],
    ['a missing table (42P01)', { code: '42P01', message: 'relation "x" does not exist' }, false],
    ['a plain error', new Error('not a dictionary: users'), false],
    ['nothing', undefined, false],
  ])('%s: %s', (_, error, lost) => {
    expect(isConnectionLoss(error)).toBe(lost);
  });
});
