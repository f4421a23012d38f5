import { changeQueryType, type RpaQuery } from './types';

describe('changing the query type', () => {
  it('keeps the fields the new type uses and drops the rest', () => {
    const query: RpaQuery = { refId: 'A', queryType: 'timeseries', workflow: ['$workflow'], metric: 'run_duration', aggregation: 'p95', groupBy: ['host'], alias: '{{host}}' };
    expect(changeQueryType(query, 'bottlenecks')).toEqual({ refId: 'A', queryType: 'bottlenecks', workflow: ['$workflow'] });
    expect(changeQueryType(query, 'anomalies')).toEqual({ refId: 'A', queryType: 'anomalies', workflow: ['$workflow'] });
  });

  it('gives host resources a host metric', () => {
    expect(changeQueryType({ refId: 'A', queryType: 'timeseries', metric: 'runs', host: ['vm-1'] }, 'resources')).toEqual({ refId: 'A', queryType: 'resources', metric: 'host_cpu', host: ['vm-1'] });
    expect(changeQueryType({ refId: 'A', queryType: 'timeseries', metric: 'net_rx' }, 'resources').metric).toBe('net_rx');
  });

  it('defaults annotations to anomalies', () => {
    expect(changeQueryType({ refId: 'A', minSeverity: 0.7 }, 'annotations')).toEqual({ refId: 'A', queryType: 'annotations', annotationType: 'anomalies', minSeverity: 0.7 });
  });
});
