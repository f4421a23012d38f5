import type { ErrorType, Execution } from '@rpa-analytics/contract';
import { fingerprint } from '../success';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** How long the fleet's errors are remembered: a failure on an error not seen in this long is on a new error. */
export const NEW_ERROR_MEMORY_MS = 7 * DAY;

/** A failed run as the fleet's error memory reads it. */
export type FleetFailure = Pick<Execution, 'workflow' | 'startedAt' | 'endedAt' | 'errorType' | 'errorMessage'>;

/**
 * A failure on an error the fleet had not had for `NEW_ERROR_MEMORY_MS`, after it had been
 * watched that long: its pattern (`fingerprint`), and how often the fleet met new errors before it.
 */
export interface NewError {
  pattern: string;
  errorType?: ErrorType;
  /** Failures on new errors in the `NEW_ERROR_MEMORY_MS` before it... */
  newErrors: number;
  /** ...among this many runs of the fleet: those started in the `NEW_ERROR_MEMORY_MS` of whole hours before its hour. */
  runs: number;
  /**
   * The chance that a run fails on a new error, as often as the fleet's runs did lately: (newErrors
   * + 1) / (runs + 1). One new error a week among 10,000 runs makes a new one a 1-in-5,000 event.
   */
  chance: number;
}

/** Which failure a `NewError` is of: its workflow, start and end. */
export const failureKey = (run: { workflow: string; startedAt: number; endedAt?: number }): string => `${run.workflow}@${run.startedAt}@${run.endedAt}`;

/**
 * Failures that count: those with a message, but not business exceptions (they are about the data
 * a run was given; a new kind of bad input is the business's news, not a broken robot's).
 */
export const countsAsError = (run: FleetFailure): boolean => run.endedAt !== undefined && !!run.errorMessage && run.errorType !== 'business';

/**
 * The fleet's errors of the last `NEW_ERROR_MEMORY_MS`, read in the order the failures ended.
 * A failure on an error not among them is a new error; it is judged (`NewError`) once the memory
 * has watched the fleet that long since the first failed run it read (of any kind). Until then every error is new to it: a
 * first week's errors, and a memory filled afresh from the store, count as the new errors of that
 * week, and no failure is judged new while they do.
 */
export class ErrorMemory {
  /** When each error (its type and pattern) was last met. */
  private readonly lastMet = new Map<string, number>();
  /** The ends of failures on new errors, oldest first. */
  private readonly newAt: number[] = [];
  /** The end of the first failed run it read (of any kind): it has watched the fleet since. */
  private firstFailure?: number;

  /** It has watched the fleet since `time` at least: a failed run ended then, before those it reads. */
  watchedSince(time: number): void {
    this.firstFailure = Math.min(this.firstFailure ?? time, time);
  }

  /**
   * Takes `failures` (ended after the ones before, in the order they ended; those that do not
   * `countsAsError` are passed over): those on new errors, judged, by `failureKey`, when
   * `runsBetween(from, to)` is given to count the fleet's runs started in [from, to) (whole hours;
   * asked only for a failure judged); without it, they are only remembered.
   */
  see(failures: readonly FleetFailure[], runsBetween?: (from: number, to: number) => number): Map<string, NewError> {
    const judged = new Map<string, NewError>();
    for (const failure of failures) {
      if (failure.endedAt !== undefined) this.firstFailure ??= failure.endedAt;
      if (!countsAsError(failure)) continue;
      const at = failure.endedAt!;
      const pattern = fingerprint(failure.errorMessage!);
      const key = `${failure.errorType ?? ''}|${pattern}`;
      const last = this.lastMet.get(key);
      this.lastMet.set(key, at);
      if (last !== undefined && at - last <= NEW_ERROR_MEMORY_MS) continue;
      while (this.newAt.length > 0 && this.newAt[0] < at - NEW_ERROR_MEMORY_MS) this.newAt.shift();
      if (runsBetween && at - this.firstFailure! >= NEW_ERROR_MEMORY_MS) {
        const newErrors = this.newAt.length;
        const hour = Math.floor(at / HOUR) * HOUR;
        const runs = runsBetween(hour - NEW_ERROR_MEMORY_MS, hour);
        judged.set(failureKey(failure), {
          pattern,
          ...(failure.errorType ? { errorType: failure.errorType } : {}),
          newErrors,
          runs,
          chance: (newErrors + 1) / (runs + 1),
        });
      }
      this.newAt.push(at);
    }
    // Errors not met for longer than the memory are as good as never met.
    const last = failures.length ? failures[failures.length - 1].endedAt! : undefined;
    if (last !== undefined && this.lastMet.size > 1000) {
      for (const [key, at] of this.lastMet) if (at < last - NEW_ERROR_MEMORY_MS) this.lastMet.delete(key);
    }
    return judged;
  }
}

/**
 * The failures on new errors among those that ended in [from, to): an `ErrorMemory` filled from
 * two memories before `from` (the first to know the errors, the second to count the new ones
 * before each failure), then judging. `failures(from, to)` reads the fleet's failed runs that
 * ended in [from, to), in the order they ended; `failedBefore(time)` the end of one that ended
 * before `time`, if any did.
 */
export function newErrorsBetween(
  from: number,
  to: number,
  failures: (from: number, to: number) => readonly FleetFailure[],
  runsBetween: (from: number, to: number) => number,
  failedBefore: (time: number) => number | undefined = () => undefined,
): { judged: Map<string, NewError>; memory: ErrorMemory } {
  const memory = new ErrorMemory();
  // A fleet whose runs failed before the memories read has been watched since: whether a failure
  // is judged does not hang on where the reading starts.
  const readFrom = from - 2 * NEW_ERROR_MEMORY_MS;
  const earlier = failedBefore(readFrom);
  if (earlier !== undefined) memory.watchedSince(earlier);
  memory.see(failures(readFrom, from));
  return { judged: memory.see(failures(from, to), runsBetween), memory };
}
