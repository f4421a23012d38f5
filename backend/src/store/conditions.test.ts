import { POSTGRES, runConditions as postgresConditions } from './postgres/runConditions';
import { activeBetween, anomalyConditions, insightConditions, runConditions, sampleConditions } from './conditions';
import { SQLITE_LISTS, sqliteConditions } from './sqlite/runConditions';
import type { Dictionaries } from './sqlite/dictionaries';

// A dictionary that knows two workflows and one host, as the SQLite store's would.
const ids: Record<string, Record<string, number>> = { workflows: { Claims: 2, Payroll: 5 }, hosts: { 'vm-1': 7 }, robots: {} };
const dictionaries = Object.fromEntries(Object.entries(ids).map(([kind, known]) => [kind, { find: (name: string) => known[name] }])) as unknown as Dictionaries;

describe('one run filter, two dialects', () => {
  const filter = {
    workflows: ['Claims', 'Unknown'],
    hosts: ['vm-1'],
    statuses: ['failed' as const, 'timeout' as const],
    from: 1000,
    to: 7_200_000,
    by: 'end' as const,
  };

  it('when a filter is written for both stores, then they differ only where their words do: names and statuses, and SQLite’s hours', () => {
    const sqlite = runConditions(sqliteConditions(dictionaries), filter)!;
    const postgres = postgresConditions(filter);
    expect(sqlite.where).toEqual([
      'e.workflow_id IN (?)',
      'e.host_id IN (?)',
      expect.stringContaining('e.started_at / 3600000 IN ('),
      'e.status IN (?,?)',
      'e.ended_at IS NOT NULL',
      'e.ended_at >= ?',
      'e.ended_at < ?',
      'e.started_at < ?',
    ]);
    // Status codes as stored: failed 2, timeout 4; the hours: none first (by end), the last hour 1.
    expect(sqlite.params).toEqual([2, 7, null, 1, 2, 4, 1000, 7_200_000, 7_200_000]);
    expect(postgres.where).toEqual([
      'e.workflow_id IN (SELECT id FROM workflows WHERE name = ANY(?))',
      'e.host_id IN (SELECT id FROM hosts WHERE name = ANY(?))',
      'e.status = ANY(?::int2[])',
      'e.ended_at IS NOT NULL',
      'e.ended_at >= ?',
      'e.ended_at < ?',
      'e.started_at < ?',
    ]);
    expect(postgres.params).toEqual([['Claims', 'Unknown'], ['vm-1'], [2, 4], 1000, 7_200_000, 7_200_000]);
    // The time range is the same words and values on both.
    expect(sqlite.where.slice(-4)).toEqual(postgres.where.slice(-4));
    expect(sqlite.params.slice(-3)).toEqual(postgres.params.slice(-3));
  });

  it('when a list names nothing SQLite knows, then nothing can match and it says so', () => {
    expect(runConditions(sqliteConditions(dictionaries), { robots: ['robot-99'] })).toBeNull();
  });
});

describe('anomalies and incidents active in a range', () => {
  it('when a range, a status and a least severity are asked, then one set of conditions says it for both stores', () => {
    expect(activeBetween({ status: 'closed', from: 1000, to: 5000, minSeverity: 0.5 })).toEqual({
      where: ['status = ?', 'started_at < ?', "(status = 'open' OR last_seen_at >= ?)", 'severity >= ?'],
      params: ['closed', 5000, 1000, 0.5],
    });
    expect(activeBetween({})).toEqual({ where: [], params: [] });
  });
});

describe('anomaly, insight and sample filters, one builder', () => {
  it('when an anomaly filter names lists, then SQLite writes placeholders and PostgreSQL arrays, in the same order', () => {
    const filter = { status: 'open' as const, workflows: ['Claims', 'Payroll'], metrics: ['run_duration' as const], seriesKeys: ['k1'] };
    expect(anomalyConditions(SQLITE_LISTS, filter)).toEqual({
      where: ['status = ?', 'workflow IN (?,?)', 'metric IN (?)', 'series_key IN (?)'],
      params: ['open', 'Claims', 'Payroll', 'run_duration', 'k1'],
    });
    expect(anomalyConditions(POSTGRES, filter)).toEqual({
      where: ['status = ?', 'workflow = ANY(?)', 'metric = ANY(?)', 'series_key = ANY(?)'],
      params: ['open', ['Claims', 'Payroll'], ['run_duration'], ['k1']],
    });
  });

  it('when an insight filter names a status and categories, then both stores say it alike', () => {
    const filter = { status: 'open' as const, categories: ['performance' as const] };
    expect(insightConditions(SQLITE_LISTS, filter)).toEqual({ where: ['status = ?', 'category IN (?)'], params: ['open', 'performance'] });
    expect(insightConditions(POSTGRES, filter)).toEqual({ where: ['status = ?', 'category = ANY(?)'], params: ['open', ['performance']] });
  });

  it('when samples are asked of hosts and a range, then SQLite names the hosts by id and knows when none exists', () => {
    expect(sampleConditions(sqliteConditions(dictionaries), { hosts: ['vm-1'], from: 10, to: 20 })).toEqual({
      where: ['s.host_id IN (?)', 's.ts >= ?', 's.ts < ?'],
      params: [7, 10, 20],
    });
    expect(sampleConditions(sqliteConditions(dictionaries), { hosts: ['vm-404'] })).toBeNull();
    expect(sampleConditions(POSTGRES, { hosts: ['vm-404'], to: 20 })).toEqual({
      where: ['s.host_id IN (SELECT id FROM hosts WHERE name = ANY(?))', 's.ts < ?'],
      params: [['vm-404'], 20],
    });
  });
});
