import type { ChangeLog } from '../store/store';

/**
 * Wakes readers of the change feed when something is written after their cursor. Batches this
 * process writes wake them at once (`notify`); writes it cannot see happen (the analysis worker's
 * connection, another collector on the same database) are found by one poll of the log's head,
 * shared by every waiting reader and running only while someone waits.
 */
export class ChangeFeed {
  private readonly waiters = new Set<() => void>();
  private poll?: NodeJS.Timeout;
  private seen = 0;
  private closed = false;

  constructor(
    private readonly store: Pick<ChangeLog, 'latestChange'>,
    private readonly pollMs = 500,
  ) {}

  /** Called after a write committed. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * Resolves true once the feed has something after `cursor`, false when `waitMs` passed
   * first, the signal aborted or the feed closed.
   */
  async waitForChange(cursor: number, waitMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (!this.closed && !signal?.aborted) {
      const latest = this.store.latestChange();
      if (latest > cursor) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.sleep(left, latest, signal);
    }
    return false;
  }

  /** Wakes every reader and refuses to wait again: the collector is stopping. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Until a write after `latest` is seen (here or by the poll), `ms` passes, or the signal aborts. */
  private sleep(ms: number, latest: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        if (this.waiters.size === 0) this.stopPolling();
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
      this.startPolling(latest);
    });
  }

  /** `latest`: the head the first waiter saw, so a write landing just after it still wakes it. */
  private startPolling(latest: number): void {
    if (this.poll) return;
    this.seen = latest;
    this.poll = setInterval(() => {
      const latest = this.store.latestChange();
      if (latest === this.seen) return;
      this.seen = latest;
      this.notify();
    }, this.pollMs);
    this.poll.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }
}
