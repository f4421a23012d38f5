import path from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { tempDir } from '../src/testing/harness';
import { main } from './completeUsage';

describe("the seed's Complete Usage Example, translated", () => {
  it('runs end to end: records the execution, analyses it and prints the figures', async () => {
    const tmp = tempDir();
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      await main(path.join(tmp.dir, 'analytics'));
      const store = new SqliteStore({ file: path.join(tmp.dir, 'analytics', 'rpa-analytics.db') });
      const execution = store.getExecution('exec_123')!;
      store.close();
      expect(execution).toMatchObject({ workflow: 'workflow_abc', status: 'completed', stepsTotal: 10, stepsCompleted: 10 });
      // The example waits 50 ms; Node's timers may fire a millisecond early by the wall clock.
      expect(execution.durationMs).toBeGreaterThanOrEqual(45);
      expect(lines).toEqual([
        `Average duration: ${execution.durationMs!.toFixed(0)}ms`,
        `P95 duration: ${execution.durationMs!.toFixed(0)}ms`,
        'Bottlenecks: 0',
      ]);
    } finally {
      log.mockRestore();
      tmp.cleanup();
    }
  });
});
