import { type WorkflowHealth, workflowHealth } from '../analysis/health';
import { groupBy } from '../domain/collections';
import type { RunOutline, StoreReader } from '../store/store';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Runs that make a workflow's "recent" health. */
export const HEALTH_RECENT_RUNS = 20;
/**
 * Every workflow's health is read again at least this often (else only those with new runs): runs
 * that retention deletes, and anything a pass missed, show within the hour.
 */
export const HEALTH_REFRESH_MS = HOUR;
/** The analysis value that holds the health of the latest pass: every collector on the database exports the leader's. */
export const HEALTH_VALUE = 'health';

/** The workflows' health as the latest pass stored it, whichever collector ran it; none before the first pass. */
export function storedHealth(store: Pick<StoreReader, 'analysisValue'>): WorkflowHealth[] {
  const stored = store.analysisValue(HEALTH_VALUE);
  return stored === undefined ? [] : (JSON.parse(stored) as WorkflowHealth[]);
}

/**
 * Each workflow's latest 20 finished runs against the 7 days of runs before them, kept between
 * passes: a pass reads again only the workflows whose runs changed, and every workflow once an hour.
 */
export class HealthRefresh {
  health: WorkflowHealth[] = [];
  private refreshedAt = -Infinity;

  constructor(private readonly store: StoreReader) {}

  /**
   * @param read the runs a pass read that ended in [from, to): where they reach back far enough
   *   (a first pass on months of history), a workflow's health is taken from them, with the few
   *   that ended after `to`; other workflows' runs are read
   * @param changed workflows whose runs changed since the last pass
   */
  refresh(read: { runs: readonly RunOutline[]; from: number; to: number }, changed: ReadonlySet<string>, now: number): WorkflowHealth[] {
    let known: Map<string, RunOutline[]> | undefined;
    if (read.to - read.from > 7 * DAY) known = groupBy([...read.runs, ...this.store.runOutlines({ by: 'end', from: read.to })], (r) => r.workflow);
    const full = now - this.refreshedAt >= HEALTH_REFRESH_MS;
    if (full) this.refreshedAt = now;
    const kept = new Map(full ? [] : this.health.map((h) => [h.workflow, h]));
    for (const workflow of changed) kept.delete(workflow);
    this.health = this.store.names('workflows').map((workflow) => {
      const health = kept.get(workflow);
      if (health) return health;
      const runs = known?.get(workflow) ?? [];
      if (runs.length >= HEALTH_RECENT_RUNS) {
        const recent = runs.slice(-HEALTH_RECENT_RUNS);
        const since = recent[0].endedAt!;
        if (since - 7 * DAY >= read.from)
          return workflowHealth(
            workflow,
            recent,
            runs.filter((r) => r.endedAt! >= since - 7 * DAY && r.endedAt! < since),
          );
      }
      const recent = this.store.runs({ workflows: [workflow], by: 'end', last: HEALTH_RECENT_RUNS });
      const since = recent[0]?.endedAt;
      const baseline = since === undefined ? [] : this.store.runs({ workflows: [workflow], by: 'end', from: since - 7 * DAY, to: since });
      return workflowHealth(workflow, recent, baseline);
    });
    return this.health;
  }
}
