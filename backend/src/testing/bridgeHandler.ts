import { AppError } from '../domain/errors';

/** A handler for the sync bridge's tests: async methods with known answers, no database. */
export async function createHandler(options: { greeting: string; failToStart?: boolean }) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (options.failToStart) throw new Error('could not connect: connection refused');
  let closed = false;
  return {
    async greet(name: string) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return `${options.greeting}, ${name}`;
    },
    async sum(values: number[]) {
      return values.reduce((a, b) => a + b, 0);
    },
    async bytes(size: number) {
      return Buffer.alloc(size, 7);
    },
    async refuse(field: string) {
      throw new AppError('validation_failed', `bad ${field}`, [{ field, message: 'is bad' }]);
    },
    async sqlError() {
      throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    },
    async slow(ms: number) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    },
    /** Never answers, and `ms` later throws outside any call (as an 'error' event no one listens to would). */
    async hangThenCrash(ms: number) {
      setTimeout(() => {
        throw new Error('lost the connection');
      }, ms);
      return new Promise(() => undefined);
    },
    async isClosed() {
      return closed;
    },
    async close() {
      closed = true;
    },
  };
}
