import { uipathRuns, validUipathSignature } from './uipath';

describe("UiPath Orchestrator's events as runs", () => {
  it('checks the signature as the base64 HMAC-SHA256 of the raw body (the RFC 4231 style vector, computed with Python)', () => {
    const body = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(validUipathSignature('key', body, '97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=')).toBe(true);
    expect(validUipathSignature('key', body, ' 97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg= ')).toBe(true);
    expect(validUipathSignature('key2', body, '97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=')).toBe(false);
    expect(validUipathSignature('key', Buffer.concat([body, Buffer.from('.')]), '97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=')).toBe(false);
    expect(validUipathSignature('key', body, undefined)).toBe(false);
    expect(validUipathSignature('key', body, '97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg')).toBe(true);
  });

  it('takes a job as `Jobs` (a list, or one object in older versions) or `Job`, and its state over the event type where it is known', () => {
    const job = { Key: 'k1', State: 'Faulted', StartTime: '2026-11-02T09:00:00Z', EndTime: '2026-11-02T09:00:30Z', Info: 'Boom', ReleaseName: 'Claims' };
    const at = '2026-11-02T09:00:31Z';
    const expected = [
      {
        id: 'uipath-k1',
        workflow: 'Claims',
        startedAt: Date.parse(job.StartTime),
        endedAt: Date.parse(job.EndTime),
        durationMs: 30_000,
        status: 'failed',
        errorMessage: 'Boom',
      },
    ];
    for (const jobs of [{ Jobs: [job] }, { Jobs: job }, { Job: job }])
      expect(uipathRuns({ Type: 'job.faulted', Timestamp: at, ...jobs })).toEqual({ runs: expected, skipped: [] });
    // Without times, the event's: a job that ends at once.
    expect(uipathRuns({ Type: 'Job.Stopped', Timestamp: at, Jobs: [{ Key: 'k2', State: 'Stopped', ReleaseName: 'Claims' }] })).toEqual({
      runs: [{ id: 'uipath-k2', workflow: 'Claims', startedAt: Date.parse(at), endedAt: Date.parse(at), durationMs: 0, status: 'cancelled' }],
      skipped: [],
    });
    // A job that cannot be a run is skipped and said; the others are runs. None that can: refused.
    const two = uipathRuns({ Type: 'job.faulted', Timestamp: at, Jobs: [{ Key: 'k3', State: 'Faulted' }, job] });
    expect(two).toEqual({ runs: expected, skipped: [{ job: 0, error: 'Release.Name: a job names its process' }] });
    expect(() => uipathRuns({ Type: 'job.faulted', Timestamp: at, Jobs: [{ Key: 'k3', State: 'Faulted' }] })).toThrow('a job names its process');
    expect(uipathRuns({ Type: 'robot.updated', Timestamp: at })).toBeUndefined();
    // A time without its offset would be read in this server's zone: refused.
    expect(() => uipathRuns({ Type: 'job.completed', Timestamp: at, Jobs: [{ ...job, StartTime: '2026-11-02T09:00:00' }] })).toThrow(
      'not a date-time with an offset',
    );
  });
});
