import { countBy, groupBy } from './collections';

describe('groupBy and countBy', () => {
  const runs = [
    { robot: 'bot-2', workflow: 'Claims' },
    { robot: undefined, workflow: 'Payroll' },
    { robot: 'bot-1', workflow: 'Claims' },
    { robot: 'bot-2', workflow: 'Payroll' },
  ];

  it('groups items by key in their order, and counts them with keys in the order first met, leaving out undefined keys', () => {
    expect([...groupBy(runs, (r) => r.workflow)]).toEqual([
      ['Claims', [runs[0], runs[2]]],
      ['Payroll', [runs[1], runs[3]]],
    ]);
    expect([...countBy(runs, (r) => r.robot)]).toEqual([
      ['bot-2', 2],
      ['bot-1', 1],
    ]);
    expect(countBy([], (r: { robot?: string }) => r.robot).size).toBe(0);
  });
});
