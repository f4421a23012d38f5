import type { Frame, QueryTarget } from '@rpa-analytics/contract';
import type { Execution, ExecutionDetail, Step } from '@rpa-analytics/contract';
import type { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import type { StoreReader } from '../store/store';
import { incidentsHitting } from './annotations';
import { column, table } from './tables';

type TimeRange = { from: number; to: number };

const ms = 'ms';

/** The workflows a target is about: its filter, or every workflow. */
function workflowsOf(target: QueryTarget, store: StoreReader): string[] {
  return target.workflow?.length ? target.workflow : store.names('workflows');
}

/** The table of one analysis query type (everything but time series). */
export function analysisTable(target: QueryTarget, range: TimeRange, store: StoreReader, performance: PerformanceAnalyzer): Frame {
  const { refId } = target;
  const top = <T>(rows: T[]) => (target.topN ? rows.slice(0, target.topN) : rows);
  switch (target.queryType) {
    case 'stats':
    case 'comparison': {
      const stats = performance.compareWorkflows(workflowsOf(target, store), range).filter((s) => s.runs > 0);
      const rows = top(target.queryType === 'stats' ? stats.sort((a, b) => a.workflow.localeCompare(b.workflow)) : stats);
      return table(refId, target.queryType === 'stats' ? 'Workflow statistics' : 'Workflow comparison', [
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Runs', 'number', rows, (r) => r.runs),
        column('Success rate', 'number', rows, (r) => (r.successRate === null ? null : 100 * r.successRate), 'percent'),
        column('Mean', 'number', rows, (r) => r.avgDurationMs, ms),
        column('Median', 'number', rows, (r) => r.medianDurationMs, ms),
        column('P95', 'number', rows, (r) => r.p95DurationMs, ms),
        column('P99', 'number', rows, (r) => r.p99DurationMs, ms),
        column('Min', 'number', rows, (r) => r.minDurationMs, ms),
        column('Max', 'number', rows, (r) => r.maxDurationMs, ms),
        column('Std dev', 'number', rows, (r) => r.stdDevDurationMs, ms),
      ]);
    }
    case 'bottlenecks': {
      const rows = top(
        workflowsOf(target, store)
          .flatMap((workflow) => performance.bottlenecks(workflow, range).map((b) => ({ workflow, ...b })))
          .filter((b) => !target.step || target.step.includes(b.step))
          .sort((a, b) => b.totalMs - a.totalMs),
      );
      return table(refId, 'Bottleneck steps', [
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Step', 'string', rows, (r) => r.step),
        column('Share of run time', 'number', rows, (r) => r.share, 'percentunit'),
        column('Runs', 'number', rows, (r) => r.count),
        column('Mean', 'number', rows, (r) => r.meanMs, ms),
        column('Median', 'number', rows, (r) => r.medianMs, ms),
        column('P95', 'number', rows, (r) => r.p95Ms, ms),
        column('Total', 'number', rows, (r) => r.totalMs, ms),
        column('Failures', 'number', rows, (r) => r.failures),
      ]);
    }
    case 'degradation': {
      const rows = top(
        workflowsOf(target, store)
          .map((w) => performance.detectDegradation(w, range))
          .filter((d) => d.baseline.runs + d.current.runs > 0),
      );
      return table(refId, 'Degradation', [
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Baseline median', 'number', rows, (r) => r.baseline.medianMs, ms),
        column('Current median', 'number', rows, (r) => r.current.medianMs, ms),
        column('Median change', 'number', rows, (r) => r.medianChangePct, 'percent'),
        column('P95 change', 'number', rows, (r) => r.p95ChangePct, 'percent'),
        column('p-value', 'number', rows, (r) => r.mannWhitney?.pValue),
        column('Effect size', 'number', rows, (r) => r.mannWhitney?.effectSize),
        column('Degraded', 'boolean', rows, (r) => r.degraded),
        column('Change point', 'time', rows, (r) => r.changePoint?.at),
        column('First degraded run', 'string', rows, (r) => r.changePoint?.executionId),
        column('Version', 'string', rows, (r) => r.changePoint?.version),
      ]);
    }
    case 'trend': {
      const rows = top(workflowsOf(target, store).flatMap((w) => performance.trend(w, range) ?? []));
      return table(refId, 'Trend', [
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Slope per day', 'number', rows, (r) => r.slopeMsPerDay, ms),
        column('Slope per day (%)', 'number', rows, (r) => r.slopePctPerDay, 'percent'),
        column('r²', 'number', rows, (r) => r.r2),
        column('p-value', 'number', rows, (r) => r.pValue),
        column('Significant', 'boolean', rows, (r) => r.significant),
        column('Runs', 'number', rows, (r) => r.points),
      ]);
    }
    case 'success': {
      const rows = top(
        workflowsOf(target, store)
          .map((w) => performance.analyzeSuccess(w, range, range.to - range.from))
          .filter((s) => s.runs > 0),
      );
      return table(refId, 'Success and exceptions', [
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Runs', 'number', rows, (r) => r.runs),
        column('Failures', 'number', rows, (r) => r.failures),
        column('Success rate', 'number', rows, (r) => (r.successRate === null ? null : 100 * r.successRate), 'percent'),
        column('Business', 'number', rows, (r) => r.byErrorType.business ?? 0),
        column('Application', 'number', rows, (r) => r.byErrorType.application ?? 0),
        column('System', 'number', rows, (r) => r.byErrorType.system ?? 0),
        column('Timeout', 'number', rows, (r) => r.byErrorType.timeout ?? 0),
        column('Top error', 'string', rows, (r) => r.patterns[0]?.fingerprint),
        column('New error patterns', 'number', rows, (r) => r.patterns.filter((p) => p.isNew).length),
      ]);
    }
    case 'anomalies': {
      const rows = store.listAnomalies({
        ...range,
        workflows: target.workflow,
        hosts: target.host,
        minSeverity: target.minSeverity,
        limit: target.topN ?? 1000,
      });
      return table(refId, 'Anomalies', [
        column('Time', 'time', rows, (r) => r.startedAt),
        column('Time end', 'time', rows, (r) => r.endedAt),
        column('Severity', 'number', rows, (r) => r.severity, 'percentunit'),
        column('Status', 'string', rows, (r) => r.status),
        column('Metric', 'string', rows, (r) => r.metric),
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Step', 'string', rows, (r) => r.step),
        column('Host', 'string', rows, (r) => r.host),
        column('Description', 'string', rows, (r) => r.description),
        column('Recommended action', 'string', rows, (r) => r.recommendedAction),
        column('Incident', 'string', rows, (r) => r.incidentId),
      ]);
    }
    case 'incidents': {
      const rows = top(incidentsHitting(store, { ...range, minSeverity: target.minSeverity, workflows: target.workflow, hosts: target.host }));
      return table(refId, 'Incidents', [
        column('Time', 'time', rows, (r) => r.startedAt),
        column('Time end', 'time', rows, (r) => r.endedAt),
        column('Severity', 'number', rows, (r) => r.severity, 'percentunit'),
        column('Status', 'string', rows, (r) => r.status),
        column('Title', 'string', rows, (r) => r.title),
        column('Workflows', 'string', rows, (r) => r.workflows.join(', ')),
        column('Hosts', 'string', rows, (r) => r.hosts.join(', ')),
        column('Anomalies', 'number', rows, (r) => r.anomalyIds.length),
        column('Id', 'string', rows, (r) => r.id),
      ]);
    }
    case 'insights': {
      const rows = store.listInsights({ workflows: target.workflow, limit: target.topN ?? 1000 });
      return table(refId, 'Insights', [
        column('Priority', 'number', rows, (r) => r.priorityScore),
        column('Category', 'string', rows, (r) => r.category),
        column('Workflow', 'string', rows, (r) => r.workflow),
        column('Title', 'string', rows, (r) => r.title),
        column('Recommendation', 'string', rows, (r) => r.recommendation),
        column('Expected impact', 'string', rows, (r) => r.expectedImpact),
        column('Measured impact', 'number', rows, (r) => r.measuredImpact?.changePct, 'percent'),
        column('Status', 'string', rows, (r) => r.status),
        column('Id', 'string', rows, (r) => r.id),
      ]);
    }
    case 'executions':
      return executionsFrame(target, range, store);
    default:
      throw new Error(`no table for query type ${target.queryType}`);
  }
}

const SEVERITY: Record<Execution['status'], string> = { completed: 'info', running: 'debug', cancelled: 'warning', timeout: 'error', failed: 'error' };

/** Executions, newest first: a table, or log lines for Explore (time, body, severity, labels). */
function executionsFrame(target: QueryTarget, range: TimeRange, store: StoreReader): Frame {
  // Runs named by id (a data link from a run's row): whatever the range, and as logs their own.
  if (target.execution?.length) {
    const runs = target.execution.map((id) => store.getExecution(id)).filter((r) => r !== undefined);
    return target.format === 'logs' ? runLogFrame(target, runs) : executionRowsFrame(target, runs);
  }
  const page = store.listExecutions({
    workflows: target.workflow,
    hosts: target.host,
    robots: target.robot,
    statuses: target.status,
    ...range,
    limit: executionRowLimit(target),
  });
  return executionRowsFrame(
    target,
    page.items.filter((r) => !target.errorType || (r.errorType !== undefined && target.errorType.includes(r.errorType))),
  );
}

const STEP_SEVERITY: Record<Step['status'], string> = { completed: 'info', failed: 'error', skipped: 'debug' };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs' logs for Explore: for each run, a line at its start, one per step (its name, status,
 * duration and error) and one at its end, oldest first, labelled with the workflow and step.
 */
export function runLogFrame(target: QueryTarget, runs: readonly ExecutionDetail[]): Frame {
  const lines: LogLine[] = [];
  for (const run of runs) {
    const where = { workflow: run.workflow, ...(run.robot ? { robot: run.robot } : {}), ...(run.host ? { host: run.host } : {}) };
    const id = run.id;
    lines.push({
      time: run.startedAt,
      body: `${run.workflow} started${run.robot ? ` on ${run.robot}` : ''}${run.host ? ` (${run.host})` : ''}${run.packageVersion ? `, version ${run.packageVersion}` : ''} (${id})`,
      severity: 'info',
      id,
      labels: where,
    });
    for (const step of [...run.steps].sort((a, b) => a.startedAt - b.startedAt || a.index - b.index)) {
      lines.push({
        time: step.startedAt,
        body: `step ${step.index + 1} '${step.name}' ${step.status} in ${seconds(step.durationMs)}${step.error ? `: ${step.error}` : ''}`,
        severity: STEP_SEVERITY[step.status],
        id: `${id}#${step.index}`,
        labels: { ...where, step: step.name, status: step.status },
      });
    }
    if (run.status !== 'running') {
      const end = run.endedAt ?? (run.durationMs !== undefined ? run.startedAt + run.durationMs : run.startedAt);
      const error =
        run.errorType || run.errorMessage ? `: ${run.errorType ? `${run.errorType} error` : 'error'}${run.errorMessage ? ` '${run.errorMessage}'` : ''}` : '';
      lines.push({
        time: end,
        body: `${run.workflow} ${run.status}${run.durationMs !== undefined ? ` in ${seconds(run.durationMs)}` : ''}${error} (${id})`,
        severity: SEVERITY[run.status],
        id: `${id}#end`,
        labels: { ...where, status: run.status },
      });
    }
  }
  lines.sort((a, b) => a.time - b.time);
  return logLinesFrame(target.refId, 'Run log', lines);
}

interface LogLine {
  time: number;
  body: string;
  severity: string;
  id: string;
  labels: Record<string, string>;
}

/** Log lines as Explore reads them: time, body, severity, id and labels. */
function logLinesFrame(refId: string, name: string, lines: readonly LogLine[]): Frame {
  return {
    refId,
    name,
    meta: { type: 'log-lines', typeVersion: [0, 0], preferredVisualisationType: 'logs' },
    fields: [
      { name: 'timestamp', type: 'time', values: lines.map((l) => l.time) },
      { name: 'body', type: 'string', values: lines.map((l) => l.body) },
      { name: 'severity', type: 'string', values: lines.map((l) => l.severity) },
      { name: 'id', type: 'string', values: lines.map((l) => l.id) },
      { name: 'labels', type: 'other', values: lines.map((l) => l.labels) },
    ],
  };
}

/** How many executions an executions query shows (live panels keep as many). */
export function executionRowLimit(target: QueryTarget): number {
  return Math.min(target.topN ?? 100, 1000);
}

/** Whether an execution passes an executions or run time-series query's filters. */
export function executionMatches(target: QueryTarget, execution: Execution): boolean {
  const within = (filter: readonly string[] | undefined, value: string | undefined) => !filter?.length || (value !== undefined && filter.includes(value));
  return (
    within(target.workflow, execution.workflow) &&
    within(target.host, execution.host) &&
    within(target.robot, execution.robot) &&
    within(target.status, execution.status) &&
    within(target.errorType, execution.errorType) &&
    within(target.execution, execution.id)
  );
}

/**
 * The executions frame of these rows (already filtered), in the given order: a table, or log
 * lines. Live panels get their new rows in this same shape; the `Execution` (table) or `id`
 * (logs) field is each row's key.
 */
export function executionRowsFrame(target: QueryTarget, rows: readonly Execution[]): Frame {
  if (target.format === 'logs') {
    return logLinesFrame(
      target.refId,
      'Executions',
      rows.map((r) => ({
        time: r.startedAt,
        body: `${r.workflow} ${r.status}${r.durationMs !== undefined ? ` in ${seconds(r.durationMs)}` : ''}${r.errorMessage ? `: ${r.errorMessage}` : ''} (${r.id})`,
        severity: SEVERITY[r.status],
        id: r.id,
        labels: {
          workflow: r.workflow,
          status: r.status,
          ...(r.robot ? { robot: r.robot } : {}),
          ...(r.host ? { host: r.host } : {}),
          ...(r.errorType ? { error_type: r.errorType } : {}),
        },
      })),
    );
  }
  return table(target.refId, 'Executions', [
    column('Time', 'time', rows, (r) => r.startedAt),
    column('Execution', 'string', rows, (r) => r.id),
    column('Workflow', 'string', rows, (r) => r.workflow),
    column('Robot', 'string', rows, (r) => r.robot),
    column('Host', 'string', rows, (r) => r.host),
    column('Version', 'string', rows, (r) => r.packageVersion),
    column('Status', 'string', rows, (r) => r.status),
    column('Duration', 'number', rows, (r) => r.durationMs, ms),
    column('Error type', 'string', rows, (r) => r.errorType),
    column('Error', 'string', rows, (r) => r.errorMessage),
  ]);
}
