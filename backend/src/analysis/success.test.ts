import type { Execution } from '@rpa-analytics/contract';
import { analyzeWorkflow, durationStats, performanceTrend } from './performance';
import { errorPatterns, fingerprint, peerComparison, peerWording, successRateOverTime } from './success';

const T0 = Date.UTC(2026, 10, 2);
const HOUR = 3600_000;

function run(i: number, fields: Partial<Execution> = {}): Execution {
  return { id: `r${i}`, workflow: 'Claims', startedAt: T0 + i * 60_000, durationMs: 1000, endedAt: T0 + i * 60_000 + 1000, status: 'completed', ...fields };
}

describe('error fingerprints', () => {
  it.each([
    ['Invoice INV-10234 not found in ERP', 'Invoice INV-<n> not found in ERP'],
    ['Vendor 4711 is blocked for posting', 'Vendor <n> is blocked for posting'],
    ['File C:\\in\\a 12.pdf locked by 4711', 'File <path> locked by <n>'],
    ['Cannot open /var/data/in/x_123.csv', 'Cannot open <path>'],
    ['Request 3f2a9c1e-1111-2222-3333-444455556666 failed for bob@corp.com at https://x.y/z?a=1', 'Request <id> failed for <email> at <url>'],
    ["Selector not found: #btnSubmit in window 'SAP Easy Access'", "Selector not found: #btnSubmit in window 'SAP Easy Access'"],
  ])('%s -> %s', (message, expected) => expect(fingerprint(message)).toBe(expected));
});

describe('success and exceptions', () => {
  it('counts patterns with first and last sighting, and marks the ones first seen recently as new', () => {
    const runs = [
      run(0, { status: 'failed', errorType: 'business', errorMessage: 'Vendor 1 is blocked' }),
      run(1, { status: 'failed', errorType: 'business', errorMessage: 'Vendor 22 is blocked' }),
      run(2),
      run(3, { status: 'failed', errorType: 'system', errorMessage: 'Citrix session disconnected (code 1030)' }),
    ];
    expect(errorPatterns(runs, T0 + 3 * 60_000)).toEqual([
      {
        fingerprint: 'Vendor <n> is blocked',
        example: 'Vendor 1 is blocked',
        errorType: 'business',
        count: 2,
        firstSeen: T0,
        lastSeen: T0 + 60_000,
        workflows: ['Claims'],
        isNew: false,
      },
      {
        fingerprint: 'Citrix session disconnected (code <n>)',
        example: 'Citrix session disconnected (code 1030)',
        errorType: 'system',
        count: 1,
        firstSeen: T0 + 180_000,
        lastSeen: T0 + 180_000,
        workflows: ['Claims'],
        isNew: true,
      },
    ]);
  });

  it('gives the success rate per bucket, and no rate (not NaN) for an empty bucket', () => {
    const runs = [run(0), run(1, { status: 'failed' }), run(2), run(3), run(70, { status: 'timeout' })];
    expect(successRateOverTime(runs, T0, T0 + 3 * HOUR, HOUR)).toEqual([
      { time: T0, runs: 4, failures: 1, successRate: 0.75 },
      { time: T0 + HOUR, runs: 1, failures: 1, successRate: 0 },
      { time: T0 + 2 * HOUR, runs: 0, failures: 0, successRate: null },
    ]);
  });

  it('says when a robot fails far more often than its peers on the same workflow', () => {
    const runs: Execution[] = [];
    for (let i = 0; i < 100; i++) runs.push(run(i, { robot: 'bot-a', ...(i % 10 === 0 ? { status: 'failed' } : {}) }));
    for (let i = 100; i < 200; i++) runs.push(run(i, { robot: 'bot-b', ...(i % 10 === 0 ? { status: 'failed' } : {}) }));
    for (let i = 200; i < 300; i++) runs.push(run(i, { robot: 'bot-c', ...(i % 10 < 3 ? { status: 'failed' } : {}) }));
    const [worst] = peerComparison(runs, 'robot');
    expect(worst).toMatchObject({ name: 'bot-c', runs: 100, failureRate: 0.3, peerRuns: 200, peerFailureRate: 0.1, outlier: true });
    expect(worst.ratio).toBeCloseTo(3, 12);
    expect(worst.description).toBe('robot bot-c fails 3.0x as often as its peers on Claims (30 of 100 runs, 30.0%, against 20 of 200, 10.0%)');
    expect(peerComparison(runs, 'robot').filter((p) => p.outlier)).toHaveLength(1);
    // Its peers, each against the two others: less often, never "0.7x more often".
    expect(peerComparison(runs, 'robot').find((p) => p.name === 'bot-a')?.description).toBe(
      'robot bot-a fails less often than its peers on Claims (10 of 100 runs, 10.0%, against 40 of 200, 20.0%)',
    );
  });

  it.each([
    [
      { failures: 5, runs: 50, peerFailures: 10, peerRuns: 100 },
      'robot bot-x fails as often as its peers on Claims (5 of 50 runs, 10.0%, against 10 of 100, 10.0%)',
    ],
    [
      { failures: 4, runs: 40, peerFailures: 0, peerRuns: 100 },
      'robot bot-x fails on Claims while its peers never do (4 of 40 runs, 10.0%, against 0 of 100, 0.0%)',
    ],
    [{ failures: 0, runs: 40, peerFailures: 0, peerRuns: 100 }, 'robot bot-x and its peers on Claims never fail (0 of 40 runs, 0.0%, against 0 of 100, 0.0%)'],
  ])('words a peer comparison by its counts: %o', (counts, text) => {
    expect(peerWording({ dimension: 'robot', name: 'bot-x', workflow: 'Claims', ...counts })).toBe(text);
  });
});

describe('performance edge cases', () => {
  it('with no runs, statistics are null (a defined result), not NaN', () => {
    expect(durationStats([])).toBeNull();
    expect(analyzeWorkflow('Claims', [], [], { from: T0, to: T0 + HOUR })).toEqual({
      workflow: 'Claims',
      from: T0,
      to: T0 + HOUR,
      runs: 0,
      completed: 0,
      successRate: null,
      avgDurationMs: null,
      medianDurationMs: null,
      p95DurationMs: null,
      p99DurationMs: null,
      minDurationMs: null,
      maxDurationMs: null,
      stdDevDurationMs: null,
      slowestSteps: [],
    });
    expect(performanceTrend('Claims', [])).toBeNull();
  });

  it('with a single run, every statistic is that run and the spread is 0', () => {
    expect(durationStats([1234])).toEqual({ count: 1, meanMs: 1234, medianMs: 1234, p95Ms: 1234, p99Ms: 1234, minMs: 1234, maxMs: 1234, stdDevMs: 0 });
  });

  it('leaves running and failed runs out of the duration statistics but not out of the success rate', () => {
    const stats = analyzeWorkflow(
      'Claims',
      [
        run(0, { durationMs: 1000 }),
        run(1, { durationMs: 3000 }),
        run(2, { status: 'failed', durationMs: 10 }),
        run(3, { status: 'running', durationMs: undefined }),
      ],
      [],
      { from: T0, to: T0 + HOUR },
    );
    expect(stats).toMatchObject({ runs: 4, completed: 2, successRate: 2 / 3, avgDurationMs: 2000, medianDurationMs: 2000 });
  });
});
