import path from 'node:path';
import { AppError } from '../domain/errors';
import { SyncBridge } from './syncBridge';

const HANDLER = path.join(__dirname, '../testing/bridgeHandler.ts');

describe('SyncBridge', () => {
  it('when async methods are called through it, then their answers come back synchronously, in order', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hello' });
    try {
      expect(bridge.call<string>('greet', 'robot-7')).toBe('Hello, robot-7');
      expect(Array.from({ length: 50 }, (_, i) => bridge.call<number>('sum', [i, i, 1]))).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
      const bytes = bridge.call<Uint8Array>('bytes', 100_000);
      expect(bytes.length).toBe(100_000);
      expect(bytes[99_999]).toBe(7);
    } finally {
      await bridge.close();
    }
  });

  it('when the handler refuses a call, then the caller gets the same AppError, code and details kept; other errors keep their code', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi' });
    try {
      let refused: unknown;
      try {
        bridge.call('refuse', 'workflow');
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(AppError);
      expect(refused).toMatchObject({ code: 'validation_failed', message: 'bad workflow', details: [{ field: 'workflow', message: 'is bad' }] });
      expect(() => bridge.call('sqlError')).toThrow(expect.objectContaining({ message: 'duplicate key value violates unique constraint', code: '23505' }));
      expect(() => bridge.call('nothing')).toThrow('the store worker has no method nothing');
      // The bridge still answers after errors.
      expect(bridge.call('greet', 'again')).toBe('Hi, again');
    } finally {
      await bridge.close();
    }
  });

  it('when an answer takes longer than the timeout, then the call fails and the next call gets its own answer', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi' }, 200);
    try {
      expect(() => bridge.call('slow', 600)).toThrow('store worker did not answer slow within 200 ms');
      // The late answer to the first call arrives meanwhile and is set aside (the next calls wait
      // as long as a loaded machine may need).
      expect(bridge.finish(bridge.begin('slow', [50]), 30_000)).toBe(50);
      // After it has surely arrived too.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(bridge.finish(bridge.begin('sum', [[1, 2]]), 30_000)).toBe(3);
    } finally {
      await bridge.close();
    }
  });

  it('when calls are begun and finished later, then each gets its own answer, whichever comes first', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi' });
    try {
      const slow = bridge.begin('slow', [150]);
      const quick = bridge.begin('sum', [[1, 2, 3]]);
      // Waiting for the slow one first: the quick answer comes in meanwhile and is kept for its own wait.
      expect(bridge.finish(slow)).toBe(150);
      expect(bridge.finish(quick)).toBe(6);
      expect(() => bridge.finish(quick)).toThrow(`store bridge has no call ${quick} waiting`);
      const late = bridge.begin('slow', [400]);
      expect(() => bridge.finish(late, 50)).toThrow('store worker did not answer slow within 50 ms');
      expect(bridge.call('greet', 'after')).toBe('Hi, after');
    } finally {
      await bridge.close();
    }
  });

  it('when the worker dies with a call waiting, then that call fails at once with 503, and so do the calls after it', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi' });
    try {
      const started = Date.now();
      const error = (() => {
        try {
          bridge.finish(bridge.begin('hangThenCrash', [100]), 60_000);
        } catch (e) {
          return e as AppError;
        }
      })();
      expect(error).toBeInstanceOf(AppError);
      expect([error!.code, error!.message]).toEqual(['unavailable', 'the store worker stopped: lost the connection']);
      // Answered by the dying worker, not by the minute's timeout.
      expect(Date.now() - started).toBeLessThan(50_000);
      // Once this thread has heard the worker end (polled), the next calls fail with it, without waiting.
      for (let i = 0; i < 200 && !bridge.stopped; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const before = Date.now();
      expect(() => bridge.call('greet', 'x')).toThrow(/^the store worker stopped/);
      expect(Date.now() - before).toBeLessThan(5_000);
    } finally {
      await bridge.terminate();
    }
  });

  it('when terminated while a call is still at work, then it ends at once and later calls fail clearly', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi' });
    bridge.begin('slow', [120_000]);
    const started = Date.now();
    await bridge.terminate();
    // Without waiting for the call's two minutes.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(() => bridge.call('greet', 'x')).toThrow('store bridge is closed (called greet)');
  });

  it('when the handler cannot start, then every call fails with its reason', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi', failToStart: true });
    expect(() => bridge.call('greet', 'x')).toThrow('could not connect: connection refused');
    expect(() => bridge.call('greet', 'y')).toThrow('could not connect: connection refused');
    await bridge.close().catch(() => undefined);
  });

  it('when closed, then the handler is closed first and later calls fail clearly', async () => {
    const bridge = new SyncBridge(HANDLER, { greeting: 'Hi' });
    expect(bridge.call('isClosed')).toBe(false);
    await bridge.close();
    expect(() => bridge.call('greet', 'x')).toThrow('store bridge is closed (called greet)');
  });
});
