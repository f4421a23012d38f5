/**
 * The seed module's "Complete Usage Example", translated line by line to this package.
 * Run it with `npx tsx backend/examples/completeUsage.ts` (it writes data/analytics/).
 */
import { MetricsCollector, ResourceCollector, TimeSeriesStore, PerformanceAnalyzer, AnomalyDetector, InsightGenerator } from '../src';

const DAY = 24 * 3600_000;
const HOUR = 3600_000;

export async function main(dataDir = 'data/analytics'): Promise<void> {
  // 1. Initialize storage
  const store = new TimeSeriesStore(dataDir);

  // 2. Initialize collectors
  const metricsCollector = new MetricsCollector({
    storageCallback: store.writeMetrics,
    bufferSize: 1000,
    flushIntervalMs: 5000,
  });
  const resourceCollector = new ResourceCollector({
    storageCallback: store.writeMetrics,
    sampleIntervalMs: 1000,
  });

  // 3. Start collectors
  metricsCollector.start();
  resourceCollector.start();

  // 4. Initialize analytics engines
  const perfAnalyzer = new PerformanceAnalyzer(store);
  const anomalyDetector = new AnomalyDetector(store, { sensitivity: 2.0 });
  const insightGenerator = new InsightGenerator(perfAnalyzer, anomalyDetector);

  // 5. Record workflow execution
  metricsCollector.recordExecutionStart('exec_123', 'workflow_abc');
  resourceCollector.setContext('workflow_abc', 'exec_123');

  // ... workflow executes ...
  await new Promise((resolve) => setTimeout(resolve, 50));

  metricsCollector.recordExecutionComplete('exec_123', {
    status: 'completed',
    stepsTotal: 10,
    stepsCompleted: 10,
  });
  // The records are buffered (as in the seed): flush so the analysis below sees them.
  await metricsCollector.flush();

  // 6. Analyze performance
  const endTime = Date.now();
  const startTime = endTime - 7 * DAY;

  const perfStats = perfAnalyzer.analyzeWorkflow('workflow_abc', startTime, endTime);

  console.log(`Average duration: ${perfStats.avgDurationMs?.toFixed(0)}ms`);
  console.log(`P95 duration: ${perfStats.p95DurationMs?.toFixed(0)}ms`);
  console.log(`Bottlenecks: ${perfStats.slowestSteps.length}`);

  // 7. Detect anomalies
  anomalyDetector.updateBaseline('workflow_abc', { stablePeriodDays: 7 });

  const metrics = store.queryRange({
    startTime: Date.now() - HOUR,
    endTime: Date.now(),
    workflowId: 'workflow_abc',
  });

  const anomalies = anomalyDetector.detectAnomalies('workflow_abc', metrics.execution, { metricName: 'durationMs' });

  for (const anomaly of anomalies) {
    console.log(`⚠️ ${anomaly.description}`);
    console.log(`  Severity: ${anomaly.severity.toFixed(2)}`);
    console.log(`  Action: ${anomaly.recommendedAction}`);
  }

  // 8. Generate insights
  const insights = insightGenerator.generateInsights('workflow_abc', { analysisPeriodDays: 30 });

  for (const insight of insights.slice(0, 3)) {
    // Top 3
    console.log(`\n💡 ${insight.title}`);
    console.log(`  Category: ${insight.category}`);
    console.log(`  Priority: ${insight.priorityScore.toFixed(2)}`);
    console.log(`  ${insight.description}`);
    console.log(`  Recommendation: ${insight.recommendation}`);
    console.log(`  Expected Impact: ${insight.expectedImpact}`);
  }

  // Not in the seed, which never stopped: stop the collectors and close the store.
  resourceCollector.stop();
  await metricsCollector.shutdown();
  store.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
