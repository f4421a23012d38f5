import net from 'node:net';
import { createHandler, isConnectionLoss } from './pgHandler';

describe('isConnectionLoss', () => {
  it.each([
    ['a terminated backend (57P01)', { code: '57P01', message: 'terminating connection due to administrator command' }, true],
    ['a server shutting down (57P02)', { code: '57P02' }, true],
    ['a connection failure (class 08)', { code: '08006' }, true],
    ['a refused connection', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, true],
    ['a reset socket', { code: 'ECONNRESET' }, true],
    ["node-postgres' end of a session", new Error('Connection terminated unexpectedly'), true],
    ['a client already ended', new Error('Client was closed and is not queryable'), true],
    ['a query the server never answered (query_timeout)', new Error('Query read timeout'), true],
    ['a connect the server never answered (connectionTimeoutMillis)', new Error('timeout expired'), true],
    ['a unique violation (23505)', { code: '23505', message: 'duplicate key value violates unique constraint' }, false],
    ['a missing table (42P01)', { code: '42P01', message: 'relation "x" does not exist' }, false],
    ['a plain error', new Error('not a dictionary: users'), false],
    ['nothing', undefined, false],
  ])('%s: %s', (_, error, lost) => {
    expect(isConnectionLoss(error)).toBe(lost);
  });
});

describe('a PostgreSQL that does not answer', () => {
  it('when the server accepts the connection and says nothing, then opening gives up within its connect timeout', async () => {
    // A partition or a hung host: the TCP connection opens, no byte ever comes back.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      await expect(createHandler({ url: `postgres://rpa@127.0.0.1:${port}/rpa` })).rejects.toThrow(/timeout/i);
      // Before the collector's thread would have stopped waiting for the call (30 s).
      expect(Date.now() - started).toBeLessThan(29_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 60_000);
});
