import { Counter, Registry } from 'prom-client';
import { Random } from '../sim/random';
import { LabelledCounter } from './labelledCounter';

describe('LabelledCounter', () => {
  it("exposes the same text and JSON as prom-client's Counter given the same increments", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const help = 'Finished workflow executions by workflow, final status and error type.';
    const fast = new LabelledCounter('rpa_executions_total', help, [ours]);
    const reference = new Counter({ name: 'rpa_executions_total', help, labelNames: ['workflow', 'status', 'error_type'], registers: [theirs] });
    const random = new Random(5);
    const workflows = ['Invoices', 'Claims "EU"', 'Payroll\\Nightly', 'Line\nbreak'];
    for (let i = 0; i < 3000; i++) {
      const labels = { workflow: random.pick(workflows), status: random.pick(['completed', 'failed']), error_type: random.pick(['', 'system']) };
      // Ones, and fractions whose sums round.
      const value = random.chance(0.8) ? 1 : random.next() * 10;
      fast.child(labels).inc(value);
      reference.labels(labels).inc(value);
    }
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    const child = fast.child({ workflow: 'Invoices', status: 'completed', error_type: '' });
    expect(() => child.inc(Number.NaN)).toThrow(TypeError);
    expect(() => child.inc(-1)).toThrow('It is not possible to decrease a counter');

    fast.reset();
    reference.reset();
    expect(await ours.metrics()).toEqual(await theirs.metrics());
  });
});
