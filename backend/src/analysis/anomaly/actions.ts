import type { AnomalyMetric } from '@rpa-analytics/contract';

/** What an ops team should do first about an anomaly of this metric and direction. */
export function recommendedAction(
  metric: AnomalyMetric,
  direction: 'high' | 'low',
  subject: { workflow?: string; step?: string; host?: string; robot?: string },
): string {
  if (metric === 'failure_rate' && subject.robot !== undefined) {
    return `Robot ${subject.robot} fails where the other robots on the same workflows do not: check its licence in the orchestrator, its Windows session (logged on, unlocked, right resolution), its credentials and its machine; take it out of rotation until it runs clean.`;
  }
  const where = subject.workflow ? `'${subject.workflow}'` : 'the workflow';
  switch (metric) {
    case 'run_duration':
      return direction === 'high'
        ? `Open the slowest recent runs of ${where}: find the step whose time grew, check the target application's response times and the host's load, and whether a new package version was deployed.`
        : `Runs of ${where} finish unusually fast: check that they still do all their work (skipped steps, empty work queues, early exits).`;
    case 'step_duration':
      return direction === 'high'
        ? `Step '${subject.step}' of ${where} got slower: check the application or service it talks to, its selectors and waits, and recent changes to it.`
        : `Step '${subject.step}' of ${where} is unusually fast: check that it still processes its items.`;
    case 'failure_rate':
      return `Failures of ${where} rose: group the recent failures by error message, check the availability of the applications it uses and the robots' sessions, and pause the schedule if the failures pile up.`;
    case 'volume':
      return direction === 'low'
        ? `${where} runs far less often than usual at this hour: check its trigger or schedule, its work queue, and whether its robots are connected and licensed.`
        : `${where} runs far more often than usual: check for duplicate triggers or a flood of work items.`;
    case 'host_cpu':
      return `Host ${subject.host} is CPU-saturated: find the processes using it (other jobs, updates, antivirus scans), and move robots or stagger schedules until it recovers.`;
    case 'host_memory':
      return `Host ${subject.host} is short of memory: look for applications the robots leave open, memory leaks in long sessions, and restart them between runs.`;
    case 'host_disk':
      return `Host ${subject.host} is running out of disk space: clear what the robots leave behind (downloads, screenshots, logs, temp files of the applications they drive), then add a clean-up step or more space before it fills and runs fail.`;
  }
}
