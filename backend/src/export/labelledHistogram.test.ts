import { Histogram, Registry } from 'prom-client';
import { Random } from '../sim/random';
import { LabelledHistogram } from './labelledHistogram';
import { DURATION_BUCKETS } from './prometheus';

describe('LabelledHistogram', () => {
  it("exposes the same text and JSON as prom-client's Histogram given the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new LabelledHistogram('rpa_step_duration_seconds', 'Duration of the steps of finished executions.', DURATION_BUCKETS, [ours]);
    const reference = new Histogram({
      name: 'rpa_step_duration_seconds',
      help: 'Duration of the steps of finished executions.',
      labelNames: ['workflow', 'step'],
      buckets: DURATION_BUCKETS,
      registers: [theirs],
    });
    const random = new Random(3);
    const workflows = ['Invoices', 'Claims "EU"', 'Payroll\\Nightly'];
    const steps = ['Login', 'Read mail', 'Submit\nform'];
    for (let i = 0; i < 5000; i++) {
      const labels = { workflow: random.pick(workflows), step: random.pick(steps) };
      // Exactly on bounds, between them, past the last one, and fractions whose sums round.
      const value = random.chance(0.1) ? random.pick(DURATION_BUCKETS) : random.chance(0.05) ? 20_000 + random.next() : random.logNormal(30, 1.5);
      fast.child(labels).observe(value);
      reference.labels(labels).observe(value);
    }
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(() => fast.child({ workflow: 'Invoices', step: 'Login' }).observe(Number.NaN)).toThrow(TypeError);

    fast.reset();
    reference.reset();
    expect(await ours.metrics()).toEqual(await theirs.metrics());
  });
});
