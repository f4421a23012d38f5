import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { AppError } from '../domain/errors';
import { createLogger } from '../log';
import { errorMiddleware } from './errorMiddleware';

/** An app whose one route throws `error`, with its log lines kept. */
async function serving(error: Error): Promise<{ url: string; lines: Array<Record<string, unknown>>; close: () => Promise<void> }> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = express();
  app.get('/fails', () => {
    throw error;
  });
  app.use(errorMiddleware(createLogger('info', sink)));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fails`,
    lines,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('error middleware logs', () => {
  it('when a request is refused for now (503), then one warning without a stack says why', async () => {
    const app = await serving(new AppError('unavailable', 'the collector is busy writing (64 batches in progress): retry after 1 s'));
    try {
      const response = await fetch(app.url);
      expect(response.status).toBe(503);
      expect(app.lines).toHaveLength(1);
      expect(app.lines[0]).toMatchObject({
        level: 40,
        msg: 'request refused for now (503)',
        reason: 'the collector is busy writing (64 batches in progress): retry after 1 s',
      });
      expect(JSON.stringify(app.lines[0])).not.toContain('stack');
    } finally {
      await app.close();
    }
  });

  it('when a route fails unexpectedly, then the error is logged with its stack', async () => {
    const app = await serving(new Error('boom'));
    try {
      expect((await fetch(app.url)).status).toBe(500);
      expect(app.lines).toHaveLength(1);
      expect(app.lines[0]).toMatchObject({ level: 50, msg: 'unhandled error' });
      expect((app.lines[0].err as { stack: string }).stack).toMatch(/^Error: boom/);
    } finally {
      await app.close();
    }
  });
});
