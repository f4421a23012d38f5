import { changeQueryType, type RpaQuery, withMetric } from './types';

describe('changing the query type', () => {
  it('keeps the fields the new type uses and drops the rest', () => {
    const query: RpaQuery = {
      refId: 'A',
      queryType: 'timeseries',
      workflow: ['$workflow'],
      metric: 'run_duration',
      aggregation: 'p95',
      groupBy: ['host'],
      alias: '{{host}}',
    };
    expect(changeQueryType(query, 'bottlenecks')).toEqual({ refId: 'A', queryType: 'bottlenecks', workflow: ['$workflow'] });
    expect(changeQueryType(query, 'anomalies')).toEqual({ refId: 'A', queryType: 'anomalies', workflow: ['$workflow'] });
  });

  it('gives host resources a host metric', () => {
    expect(changeQueryType({ refId: 'A', queryType: 'timeseries', metric: 'runs', host: ['vm-1'] }, 'resources')).toEqual({
      refId: 'A',
      queryType: 'resources',
      metric: 'host_cpu',
      host: ['vm-1'],
    });
    expect(changeQueryType({ refId: 'A', queryType: 'timeseries', metric: 'net_rx' }, 'resources').metric).toBe('net_rx');
  });

  it('defaults annotations to anomalies', () => {
    expect(changeQueryType({ refId: 'A', minSeverity: 0.7 }, 'annotations')).toEqual({
      refId: 'A',
      queryType: 'annotations',
      annotationType: 'anomalies',
      minSeverity: 0.7,
    });
  });
});

describe('changing the metric', () => {
  it('keeps an aggregation the new metric takes, and otherwise goes to its default', () => {
    const p95: RpaQuery = { refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'p95' };
    expect(withMetric(p95, 'step_duration')).toEqual({ ...p95, metric: 'step_duration' });
    expect(withMetric(p95, 'host_cpu').aggregation).toBe('p95');
    // Runs are counted or a rate; a duration has no rate.
    expect(withMetric(p95, 'runs').aggregation).toBe('count');
    expect(withMetric({ ...p95, metric: 'failures', aggregation: 'rate' }, 'run_duration').aggregation).toBe('avg');
    expect(withMetric({ ...p95, metric: 'failures', aggregation: 'rate' }, 'successes').aggregation).toBe('rate');
    expect(withMetric({ refId: 'A', metric: 'runs' }, 'run_duration')).toEqual({ refId: 'A', metric: 'run_duration' });
  });
});
