import { Random } from '../sim/random';
import { ingestBatchSchema, parseUsualBatch } from '@rpa-analytics/contract';

const T0 = Date.UTC(2026, 10, 2, 8);

const execution = (i: number) => ({
  id: `run-${i}`,
  workflow: 'Invoice Processing',
  robot: 'bot-1',
  host: 'vm-1',
  packageVersion: '2.1.0',
  startedAt: T0 + i,
  endedAt: T0 + i + 5000,
  durationMs: 5000,
  status: 'failed',
  errorType: 'application',
  errorMessage: 'Selector not found',
  stepsTotal: 3,
  stepsCompleted: 2,
});
const step = (i: number) => ({ executionId: `run-${i}`, index: 2, name: 'Submit', startedAt: T0 + i, durationMs: 1200.5, status: 'failed', error: 'timeout' });
const sample = (i: number) => ({
  host: 'vm-1',
  time: T0 + i,
  cpuPercent: 55.5,
  memoryUsedBytes: 4e9,
  memoryTotalBytes: 8e9,
  gpuPercent: 10,
  gpuMemoryUsedBytes: 1e9,
  diskUsedBytes: 6e10,
  diskTotalBytes: 1e11,
  diskReadBytesPerSec: 1000,
  diskWriteBytesPerSec: 2000,
  netRxBytesPerSec: 300,
  netTxBytesPerSec: 400,
  workflow: 'Invoice Processing',
  executionId: `run-${i}`,
});

/** Values a field may be replaced with: valid, invalid, and the kinds only the schema handles. */
const REPLACEMENTS: unknown[] = [
  undefined,
  null,
  '',
  ' padded ',
  'x'.repeat(257),
  'x'.repeat(129),
  '\u00a0nbsp',
  'Ünïcode ✓',
  'ok',
  0,
  -1,
  1.5,
  100,
  101,
  100_001,
  1e15,
  1e16,
  T0,
  T0 / 1000,
  T0 + 0.5,
  T0 - 10_000,
  Date.UTC(2101, 0, 1),
  '2026-11-02T08:00:00Z',
  '2026-11-02T08:00:00+02:00',
  'yesterday',
  31 * 86_400_000 + 1,
  'completed',
  'running',
  'skipped',
  'timeout',
  'business',
  'bogus',
  true,
  [],
  {},
  { team: 'finance' },
  ['a'],
];

describe('the usual-batch check beside the ingest schema', () => {
  it('when batches are valid or broken in every way tried, then it accepts only what the schema accepts, with the same result', () => {
    const random = new Random(17);
    let accepted = 0;
    let rejectedBySchema = 0;
    for (let trial = 0; trial < 4000; trial++) {
      const batch: Record<string, unknown> = {
        executions: Array.from({ length: random.int(0, 3) }, (_, i) => execution(i)),
        steps: Array.from({ length: random.int(0, 3) }, (_, i) => step(i)),
        samples: Array.from({ length: random.int(0, 2) }, (_, i) => sample(i)),
      };
      // Most trials break one field (or add one); some leave the batch whole, some drop a list.
      const mutation = random.int(0, 9);
      const lists = (['executions', 'steps', 'samples'] as const).filter((k) => (batch[k] as unknown[]).length > 0);
      if (mutation < 7 && lists.length) {
        const list = batch[random.pick(lists)] as Array<Record<string, unknown>>;
        const record = list[random.int(0, list.length - 1)];
        const keys = [...Object.keys(record), 'tags', 'extra'];
        const key = random.pick(keys);
        const value = random.pick(REPLACEMENTS);
        if (value === undefined) delete record[key];
        else record[key] = value;
      } else if (mutation === 7) {
        delete batch[random.pick(['executions', 'steps', 'samples'])];
      } else if (mutation === 8) {
        batch[random.pick(['executions', 'steps', 'samples', 'other'])] = random.pick(REPLACEMENTS);
      }
      const text = JSON.stringify(batch);
      const expected = ingestBatchSchema.safeParse(JSON.parse(text));
      const fast = parseUsualBatch(JSON.parse(text));
      if (!expected.success) {
        rejectedBySchema++;
        expect({ text, fast }).toEqual({ text, fast: undefined });
      } else if (fast) {
        accepted++;
        expect(fast).toEqual(expected.data);
      }
    }
    // Both sides were exercised: plenty of batches taken the quick way, plenty refused.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejectedBySchema).toBeGreaterThan(1000);
  });

  it('when a step has no status, then it gets completed, as the schema defaults it', () => {
    const { status: _status, ...bare } = step(1);
    expect(parseUsualBatch({ steps: [bare] })).toEqual({ executions: [], steps: [{ ...bare, status: 'completed' }], samples: [] });
  });

  it('when a batch needs the schema (ISO times, tags, names to trim), then it is left to it', () => {
    expect(parseUsualBatch({ executions: [{ ...execution(1), startedAt: '2026-11-02T08:00:00Z', endedAt: undefined }] })).toBeUndefined();
    expect(parseUsualBatch({ executions: [{ ...execution(1), tags: { team: 'finance' } }] })).toBeUndefined();
    expect(parseUsualBatch({ steps: [{ ...step(1), name: ' Submit ' }] })).toBeUndefined();
    expect(parseUsualBatch([])).toBeUndefined();
  });
});
