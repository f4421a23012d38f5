import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../domain/errors';
import type { TestCall } from '../testing/callsWorkerMain';
import { WorkerCalls } from './workerCalls';

/** A real worker thread answering as each request says (backend/src/testing/callsWorkerMain.ts). */
function testWorker(onOther?: (message: unknown) => void): WorkerCalls<TestCall, unknown, number> {
  return new WorkerCalls(new Worker(path.join(__dirname, '../testing/callsWorker.js')), 'test worker', onOther);
}

describe('the request/response protocol between the collector and its worker threads', () => {
  let calls: WorkerCalls<TestCall, unknown, number>;
  afterEach(async () => calls?.close());

  it('when many calls are in flight at once, then each gets its own answer', async () => {
    calls = testWorker();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => calls.call({ echo: { i, name: `run ${i}` } })));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => ({ i, name: `run ${i}` })));
    expect(calls.inFlight).toBe(0);
  });

  it('when the worker throws an AppError, then the caller gets an AppError with its code and details', async () => {
    calls = testWorker();
    const error = await calls.call({ appError: 'batch rejected' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'validation_failed',
      message: 'batch rejected',
      details: [{ field: 'executions[3].workflow', message: 'must not be empty' }],
    });
  });

  it("when the worker throws another error, then the caller gets its message and its code (a driver's SQLSTATE)", async () => {
    calls = testWorker();
    const error = await calls.call({ plainError: 'relation "runs" does not exist', code: '42P01' }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AppError);
    expect(error).toMatchObject({ message: 'relation "runs" does not exist', code: '42P01' });
  });

  it('when the worker reports progress, then the caller hears it, in order, before the answer', async () => {
    calls = testWorker();
    const heard: number[] = [];
    const answer = await calls.call({ progress: 4 }, { onProgress: (p) => heard.push(p) });
    expect(heard).toEqual([1, 2, 3, 4]);
    expect(answer).toBe('done');
  });

  it('when the worker says something of its own accord, then onOther has it and the call still gets its answer', async () => {
    const other: unknown[] = [];
    calls = testWorker((message) => other.push(message));
    expect(await calls.call({ tellFirst: { report: 7 } })).toBe('done');
    expect(other).toEqual([{ value: { report: 7 } }]);
  });

  it('when an answer does not come in time, then the call is rejected, and the late answer is no later call’s', async () => {
    calls = testWorker();
    await expect(calls.call({ slowMs: 400, echo: 'late' }, { timeoutMs: 50 })).rejects.toThrow('test worker did not answer within 50 ms');
    expect(calls.inFlight).toBe(0);
    expect(await calls.call({ echo: 'next' })).toBe('next');
  });

  it('when the worker exits, then every call it had is rejected saying so, and none is left waiting', async () => {
    calls = testWorker();
    const slow = calls.call({ slowMs: 10_000, echo: 'never' });
    const queued = calls.call({ echo: 'behind it' });
    const outcomes = Promise.allSettled([slow, queued]);
    calls.notify({ exitCode: 3 });
    expect((await outcomes).map((o) => (o.status === 'rejected' ? (o.reason as Error).message : o.status))).toEqual([
      'test worker stopped (exit code 3)',
      'test worker stopped (exit code 3)',
    ]);
    expect(calls.inFlight).toBe(0);
    // A call after the thread ended fails with why at once, not after its timeout (a minute here).
    await expect(calls.call({ echo: 'too late' }, { timeoutMs: 60_000 })).rejects.toThrow('test worker stopped (exit code 3)');
  });
});
