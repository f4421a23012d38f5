import { MetricsCollector } from '@rpa-analytics/sdk';
import { type Figure, figure, repeat } from './measure';

/** SDK `recordStep` cost per call, beside pushing the same object onto a plain array. */
export async function benchSdk(quick: boolean): Promise<Figure[]> {
  const calls = quick ? 200_000 : 1_000_000;
  const runs = quick ? 3 : 7;
  const T0 = Date.UTC(2026, 0, 1);
  const sdkNs = await repeat(runs, () => {
    const sdk = new MetricsCollector({ transport: { send: async () => undefined }, bufferSize: 1e9, maxBufferedRecords: 1e9 });
    sdk.recordExecutionStart('e', 'Invoice Processing', { startedAt: T0 });
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sdk.recordStep('e', 'Login to SAP', 1200, { startedAt: T0 + i, index: i });
    return Number(process.hrtime.bigint() - start) / calls;
  });
  const arrayNs = await repeat(runs, () => {
    const records: unknown[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      records.push({ executionId: 'e', index: i, name: 'Login to SAP', startedAt: T0 + i, durationMs: 1200, status: 'completed' });
    }
    return Number(process.hrtime.bigint() - start) / calls;
  });
  return [
    figure({
      scenario: 'SDK recordStep',
      metric: 'cost per call',
      unit: 'µs',
      value: sdkNs / 1000,
      baselineName: 'Array.push of the same record',
      baseline: arrayNs / 1000,
      target: '< 2 µs',
      met: sdkNs / 1000 < 2,
    }),
  ];
}
