import type { ArrivedRun } from '../../store/store';
import { familyOf, familySubject, lateFamilies } from './latePlan';

const HOUR = 3600_000;
const T = Date.UTC(2026, 10, 20, 12);
const through = { runs: T, hours: T - HOUR, hosts: T - 5 * 60_000 };
const run = (workflow: string, startedAt: number, extra: Partial<ArrivedRun> = {}): ArrivedRun => ({
  workflow,
  startedAt,
  endedAt: startedAt + 60_000,
  status: 'completed',
  placed: true,
  ...extra,
});

describe('lateFamilies', () => {
  it('when everything that arrived is ahead of what was judged, then nothing is late', () => {
    const late = lateFamilies(
      {
        runs: [run('Claims', T + 10 * 60_000), run('Billing', T - HOUR + 1, { endedAt: T + 1, placed: true })],
        hosts: [{ host: 'vm-1', earliest: T }],
        vacated: [],
      },
      through,
    );
    expect(late).toEqual(new Map());
  });

  it.each([
    ['a run that ended before the runs judged', run('Claims', T - 3 * HOUR - 60_000), T - 4 * HOUR],
    ['a run reported only when it ended, 3 hours after its start (its hour was judged)', run('Claims', T - 3 * HOUR + 5, { endedAt: T + 5 }), T - 3 * HOUR],
    ['a new run still running in an hour already judged', run('Claims', T - 2 * HOUR + 7, { endedAt: undefined, status: 'running' }), T - 2 * HOUR],
  ])('when %s arrives, then its workflow is re-judged from the hour it started', (_, arrived, from) => {
    expect(lateFamilies({ runs: [arrived], hosts: [], vacated: [] }, through)).toEqual(new Map([['workflow:Claims', from]]));
  });

  it('when a run already counted in its hour ends on time, then nothing is late', () => {
    expect(lateFamilies({ runs: [run('Claims', T - 3 * HOUR, { endedAt: T + 5, placed: false })], hosts: [], vacated: [] }, through)).toEqual(new Map());
  });

  it('when several late runs and samples arrive, then each family starts at its earliest late point', () => {
    const late = lateFamilies(
      {
        runs: [run('Claims', T - 2 * HOUR), run('Claims', T - 30 * HOUR + 5), run('Billing', T - 5 * HOUR)],
        hosts: [
          { host: 'vm-1', earliest: T - 2 * HOUR - 61_000 },
          { host: 'vm-2', earliest: T },
        ],
        vacated: [],
      },
      through,
    );
    expect(late).toEqual(
      new Map([
        ['workflow:Claims', T - 30 * HOUR],
        ['workflow:Billing', T - 5 * HOUR],
        ['host:vm-1', T - 2 * HOUR - 5 * 60_000],
      ]),
    );
  });

  it('when a run is moved to another workflow, then the workflow it left is late from the hour it was in', () => {
    const moved = run('Billing', T + 10 * 60_000, { placed: true });
    expect(lateFamilies({ runs: [moved], hosts: [], vacated: [{ workflow: 'Claims', startedAt: T - 5 * HOUR + 7 }] }, through)).toEqual(
      new Map([['workflow:Claims', T - 5 * HOUR]]),
    );
  });

  it('names a family by its workflow, else its robot, else its host, and reads its subject back', () => {
    expect(familyOf({ workflow: 'Claims', host: 'vm-1', robot: 'bot-1' })).toBe('workflow:Claims');
    expect(familyOf({ robot: 'bot-1' })).toBe('robot:bot-1');
    expect(familyOf({ host: 'vm-1' })).toBe('host:vm-1');
    expect(familySubject('robot:bot:7')).toEqual({ robot: 'bot:7' });
    expect(familySubject('workflow:Claims')).toEqual({ workflow: 'Claims' });
  });

  it('when a finished run of a robot arrives late, then its robot is re-judged from the hour it started; a late start alone does not touch the robot', () => {
    const ended = run('Claims', T - 3 * HOUR - 60_000, { robot: 'bot-1' });
    const started = run('Billing', T - 2 * HOUR + 7, { robot: 'bot-2', endedAt: undefined, status: 'running' });
    expect(lateFamilies({ runs: [ended, started], hosts: [], vacated: [] }, through)).toEqual(
      new Map([
        ['workflow:Claims', T - 4 * HOUR],
        ['robot:bot-1', T - 4 * HOUR],
        ['workflow:Billing', T - 2 * HOUR],
      ]),
    );
  });
});
