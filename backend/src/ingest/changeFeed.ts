import type { Store } from '../store/store';

/**
 * Wakes readers of the change feed when something is written after their cursor. Batches this
 * process writes wake them at once (`notify`); writes it cannot see happen (the analysis worker's
 * connection, another collector on the same database) are found by polling the log's head.
 */
export class ChangeFeed {
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly store: Store,
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
      if (this.store.latestChange() > cursor) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.sleep(Math.min(left, this.pollMs), signal);
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

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
