import { describeFailure } from './collectorErrors';

const URL = 'http://collector:5001';

describe('messages for failed collector requests', () => {
  it.each([
    [{ message: 'Failed to fetch' }, 'Cannot reach the collector at http://collector:5001: Failed to fetch'],
    [
      { status: 502, statusText: 'Bad Gateway', data: { message: 'dial tcp: connection refused' } },
      'Cannot reach the collector at http://collector:5001 (502 from the Grafana proxy): dial tcp: connection refused',
    ],
    [
      { status: 400, data: { error: { code: 'validation_failed', message: 'query A: groupBy step applies to step_duration only' } } },
      'query A: groupBy step applies to step_duration only',
    ],
    [
      { status: 401, data: { error: { message: 'an API token is required' } } },
      'The collector at http://collector:5001 refused the request: no valid API token (401). Set the API token in the data source settings.',
    ],
    [{ status: 403 }, 'The collector at http://collector:5001 refused the request: the API token lacks the read scope (403).'],
    [{ status: 404 }, 'No RPA Analytics API at http://collector:5001 (404): check the collector URL (its base, without /api/v1).'],
    [{ status: 500, statusText: 'Internal Server Error' }, 'The collector at http://collector:5001 answered 500 Internal Server Error'],
  ])('%j -> %s', (failure, message) => expect(describeFailure(failure, URL)).toBe(message));

  it('says when no collector URL is configured', () => {
    expect(describeFailure({ message: 'no route' }, undefined)).toBe('Cannot reach the collector (no collector URL is set): no route');
  });
});
