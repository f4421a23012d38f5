import { AppError } from '../domain/errors';
import { answerCalls, tell } from '../threads/workerCalls';

/** What the protocol's tests ask of a worker; each request says how to answer. */
export type TestCall =
  | { echo: unknown }
  | { appError: string }
  | { plainError: string; code: string }
  | { slowMs: number; echo: unknown }
  | { progress: number }
  | { tellFirst: unknown };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

answerCalls<TestCall, unknown, number>(
  async (call, progress) => {
    if ('appError' in call) throw new AppError('validation_failed', call.appError, [{ field: 'executions[3].workflow', message: 'must not be empty' }]);
    if ('plainError' in call) throw Object.assign(new Error(call.plainError), { code: call.code });
    if ('slowMs' in call) await sleep(call.slowMs);
    if ('progress' in call) for (let i = 1; i <= call.progress; i++) progress(i);
    if ('tellFirst' in call) tell({ value: call.tellFirst });
    return 'echo' in call ? call.echo : 'done';
  },
  (message) => {
    // Not a call: `{ exitCode }` ends the thread at once, whatever calls it has.
    const exitCode = (message as { exitCode?: number }).exitCode;
    if (exitCode !== undefined) process.exit(exitCode);
  },
);
