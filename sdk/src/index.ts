/**
 * The runner SDK: what a robot, a runner or a host installs to report to an RPA Analytics
 * collector. Runs and steps (`MetricsCollector`) over HTTP (`HttpTransport`), host resources
 * (`ResourceCollector`) and the standalone agent. Its only dependency at run time is
 * systeminformation; it imports nothing of the collector.
 *
 * @example
 * import { MetricsCollector, HttpTransport } from '@rpa-analytics/sdk';
 * const analytics = new MetricsCollector({ transport: new HttpTransport({ url: 'http://collector:5001' }) }).start();
 * analytics.recordExecutionStart('exec_123', 'Invoice Processing', { robot: 'bot-1', host: 'vm-7' });
 * analytics.recordStep('exec_123', 'Login to SAP', 1840);
 * analytics.recordExecutionComplete('exec_123', { status: 'completed', stepsTotal: 1, stepsCompleted: 1 });
 * await analytics.shutdown();
 */
export {
  MetricsCollector,
  type MetricsCollectorOptions,
  type ExecutionStartOptions,
  type StepOptions,
  type ExecutionCompleteOptions,
  type ExecutionContextSink,
} from './metricsCollector';
export { HttpTransport, TransportError, type Transport } from './transport';
export { ResourceCollector, type ResourceCollectorOptions } from './resourceCollector';
export { defaultResourceSource, LinuxResourceSource, SystemInformationSource, type ResourceSource, type HostReading } from './resourceSource';
export { runAgent } from './agent';
export { assertCollectorAnswers, CommandError, commandToken, numberOption, parseOptions, UsageError } from './cli';
