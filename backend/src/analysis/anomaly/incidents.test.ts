import { createHash } from 'node:crypto';
import type { Anomaly } from '@rpa-analytics/contract';
import type { Execution } from '@rpa-analytics/contract';
import { robotContext, workflowContext } from './incidentContext';
import { type AnomalyContext, groupIncidents } from './incidents';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.UTC(2026, 10, 24, 9);

let next = 0;
function anomaly(metric: Anomaly['metric'], startedAt: number, over: Partial<Anomaly> = {}): Anomaly {
  return {
    id: `a${String(++next).padStart(3, '0')}`,
    seriesKey: metric,
    metric,
    direction: 'high',
    status: 'closed',
    startedAt,
    lastSeenAt: startedAt + 30 * MINUTE,
    endedAt: startedAt + 40 * MINUTE,
    severity: 0.6,
    firstSeverity: 0.5,
    peakScore: 6,
    points: 4,
    expected: 10_000,
    observed: 30_000,
    escalationLevel: 1,
    description: '',
    recommendedAction: '',
    ...over,
  };
}

const titles = (anomalies: Anomaly[], contexts: Record<string, AnomalyContext> = {}) =>
  groupIncidents(anomalies, (a) => contexts[a.id] ?? { hosts: a.host ? [a.host] : [] })
    .map((i) => [i.anomalyIds.length, i.title])
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])));

describe('incidents: one per cause', () => {
  it('when a host saturates and an unrelated workflow fails in the same hour, then they are two incidents, each named by its cause', () => {
    const cpu = anomaly('host_cpu', T, { host: 'vm-6', observed: 97, expected: 7 });
    const slowOnIt = anomaly('run_duration', T + 20 * MINUTE, { workflow: 'Bank Import', observed: 72_000, expected: 45_000 });
    const failing = anomaly('failure_rate', T + 10 * MINUTE, { workflow: 'Payroll', observed: 7, trials: 10, expected: 0.034 });
    const spike = anomaly('run_duration', T + 15 * MINUTE, { workflow: 'Purchase Orders', observed: 150_000, expected: 50_000 });
    expect(titles([cpu, slowOnIt, failing, spike], { [slowOnIt.id]: { hosts: ['vm-6'], hostOnly: true } })).toEqual([
      [1, 'Payroll: 7 of 10 runs failed, usually 3.4%'],
      [1, 'Purchase Orders: runs 3.0x slower (2.5 min vs 50.0 s)'],
      [2, 'vm-6: CPU 97%, 1 workflow slower or failing on it (Bank Import)'],
    ]);
  });

  it("when a robot fails on a workflow that drifts slower in the same hour, then they are two incidents: the robot's, and the workflow's slowdown", () => {
    const robot = anomaly('failure_rate', T, { robot: 'robot-08', observed: 4, trials: 10, expected: 0.005 });
    const onWorkflow = anomaly('failure_rate', T + 10 * MINUTE, { workflow: 'Onboarding', observed: 4, trials: 10, expected: 0.011 });
    const drift = anomaly('run_duration', T + 30 * MINUTE, { workflow: 'Onboarding', observed: 38_500, expected: 32_700 });
    const robotContext = { hosts: [], robot: 'robot-08', workflows: ['Onboarding'] };
    const groups = groupIncidents([robot, onWorkflow, drift], (a) => (a === drift ? { hosts: [] } : robotContext)).map((i) => i.anomalyIds.sort());
    expect(groups.sort()).toEqual([[drift.id], [robot.id, onWorkflow.id].sort()].sort());
    // The same failures spread over the workflow's robots: one workflow, one incident with its slowdown.
    const spread = groupIncidents([onWorkflow, drift], () => ({ hosts: [] }));
    expect(spread.map((i) => i.anomalyIds.length)).toEqual([2]);
  });

  it("when a workflow's runs fail on the old version just before a new version slows a step, then they are two incidents; failures on the new version are its incident", () => {
    const failing = anomaly('failure_rate', T, { workflow: 'Onboarding', observed: 4, trials: 4, expected: 0.057 });
    const slower = anomaly('step_duration', T + 10 * MINUTE, { workflow: 'Onboarding', step: 'Enter data in form', observed: 9500, expected: 3800 });
    const slowerContext = { hosts: [], version: '2.0.0' };
    expect(titles([failing, slower], { [failing.id]: { hosts: [], ranVersions: ['1.0.0'] }, [slower.id]: slowerContext })).toEqual([
      [1, "Onboarding 2.0.0: step 'Enter data in form' 2.5x slower (9.5 s vs 3.8 s)"],
      [1, 'Onboarding: 4 of 4 runs failed, usually 5.7%'],
    ]);
    const together = [[2, "Onboarding 2.0.0: 4 of 4 runs failed, usually 5.7%; step 'Enter data in form' 2.5x slower (9.5 s vs 3.8 s)"]];
    // Failed runs on 2.0.0 (with 1.0.0's, as it rolled out), whether or not it was new to the failure's own week before.
    expect(titles([failing, slower], { [failing.id]: { hosts: [], version: '2.0.0', ranVersions: ['1.0.0', '2.0.0'] }, [slower.id]: slowerContext })).toEqual(
      together,
    );
    expect(titles([failing, slower], { [failing.id]: { hosts: [], ranVersions: ['2.0.0'] }, [slower.id]: slowerContext })[0][0]).toBe(2);
    // Failed runs that say no version, or a slowdown that came with none: the workflow's one problem, as before.
    expect(titles([failing, slower], { [failing.id]: { hosts: [] }, [slower.id]: slowerContext })[0][0]).toBe(2);
    expect(titles([failing, slower], { [failing.id]: { hosts: [], ranVersions: ['1.0.0'] }, [slower.id]: { hosts: [] } })[0][0]).toBe(2);
  });

  it("when a workflow's run and steps slow down together, then it is one incident naming the slowest step and the version", () => {
    const run = anomaly('run_duration', T, { workflow: 'Onboarding', observed: 39_800, expected: 33_000, status: 'open', endedAt: undefined });
    const step = anomaly('step_duration', T - 90 * MINUTE, { workflow: 'Onboarding', step: 'Read input file', observed: 8100, expected: 3100 });
    // Hours later, while the run's anomaly is still open: the same slowdown.
    const later = anomaly('step_duration', T + 6 * HOUR, { workflow: 'Onboarding', step: 'Archive documents', observed: 2600, expected: 2000 });
    const version = { hosts: [], version: '2.0.0' };
    expect(titles([run, step, later], { [run.id]: version, [step.id]: version })).toEqual([
      [3, "Onboarding 2.0.0: step 'Read input file' 2.6x slower (8.1 s vs 3.1 s), also step 'Archive documents'; runs 1.2x slower (39.8 s vs 33.0 s)"],
    ]);
    // Once the run's anomaly is over, a step that slows hours later is another incident.
    const closedRun = { ...run, status: 'closed' as const, endedAt: T + HOUR };
    expect(
      titles([closedRun, step, later])
        .map(([count]) => count)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('when the whole fleet stops, then runs per hour down on every workflow is one incident; one workflow failing on a host stays apart', () => {
    const quiet = ['Claims', 'Billing', 'Payroll'].map((workflow, i) =>
      anomaly('volume', T + i * 10 * MINUTE, { workflow, direction: 'low', observed: 0, expected: 4 }),
    );
    const onHost = anomaly('failure_rate', T + 5 * MINUTE, { workflow: 'Ledger', observed: 6, trials: 10, expected: 0.05 });
    expect(titles([...quiet, onHost], { [onHost.id]: { hosts: ['vm-2'], hostOnly: true } })).toEqual([
      [1, 'Ledger: 6 of 10 runs failed, usually 5.0%, on vm-2 only'],
      [3, 'runs per hour down on 3 workflows at once: Claims, Billing, Payroll'],
    ]);
  });

  it("when workflows fall silent one after another while the first's silence lasts, then they are one incident; a silence after it ended is another", () => {
    // The fleet stopped at 09:00: each workflow's silence is found when its runs were due, hours apart.
    const silence = (workflow: string, startedAt: number, over: Partial<Anomaly> = {}) =>
      anomaly('volume', startedAt, { workflow, direction: 'low', observed: 0, expected: 4, ...over });
    const going = { status: 'open' as const, endedAt: undefined };
    expect(titles(['Claims', 'Billing', 'Payroll'].map((workflow, i) => silence(workflow, T + i * 3 * HOUR, going)))).toEqual([
      [3, 'runs per hour down on 3 workflows at once: Claims, Billing, Payroll'],
    ]);
    // The first silence over in 40 minutes: one three hours on has another cause.
    expect(titles([silence('Claims', T), silence('Billing', T + 3 * HOUR)]).map(([count]) => count)).toEqual([1, 1]);
  });

  it('when a slowdown is back to usual at its latest point, then its title does not call that point slower', () => {
    const back = anomaly('run_duration', T, { workflow: 'Claims', observed: 21_100, expected: 21_600 });
    expect(titles([back])).toEqual([[1, 'Claims: runs slower, back to usual at the latest (21.1 s vs 21.6 s)']]);
    const little = anomaly('run_duration', T, { workflow: 'Claims', observed: 23_800, expected: 21_600 });
    expect(titles([little])).toEqual([[1, 'Claims: runs 10% slower (latest 23.8 s vs 21.6 s)']]);
  });

  it("when a spike's runs are back near normal at its latest point, then its title says how slow they were at worst", () => {
    const spike = anomaly('run_duration', T, { workflow: 'Claims', observed: 41_600, expected: 41_000, worst: { observed: 126_000, expected: 41_000 } });
    expect(titles([spike])).toEqual([[1, 'Claims: runs 3.1x slower at worst (2.1 min vs 41.0 s; latest 41.6 s)']]);
    // Its steps, at their worst 3.7x and 3.2x but no slower than the run for its size: the run leads.
    const step = (name: string, worst: number) =>
      anomaly('step_duration', T + MINUTE, { workflow: 'Claims', step: name, observed: 3_900, expected: 3_800, worst: { observed: worst, expected: 3_800 } });
    expect(titles([spike, step('Download report', 14_000), step('Login', 12_200)])).toEqual([
      [3, "Claims: runs 3.1x slower at worst (2.1 min vs 41.0 s; latest 41.6 s), steps 'Download report', 'Login'"],
    ]);
    // A drift of the whole workflow: with three steps slower, the run leads, however slow one step's latest run was.
    const drifting = anomaly('run_duration', T, { workflow: 'Claims', observed: 25_600, expected: 22_400 });
    const onStep = (name: string, observed: number) => anomaly('step_duration', T + MINUTE, { workflow: 'Claims', step: name, observed, expected: 1_200 });
    expect(titles([drifting, onStep('Launch application', 2_300), onStep('Login', 1_400), onStep('Archive', 1_350)])).toEqual([
      [4, "Claims: runs 14% slower (latest 25.6 s vs 22.4 s), steps 'Launch application', 'Login', 'Archive'"],
    ]);
    // ...unless a step is over twice as much slower as the run: a step 10x slower leads.
    const hung = [drifting, onStep('Launch application', 12_000), onStep('Login', 1_400), onStep('Archive', 1_350)];
    expect(titles(hung)[0][1]).toMatch(
      /^Claims: step 'Launch application' 10\.0x slower \(12\.0 s vs 1\.2 s\), also steps 'Login', 'Archive'; runs 14% slower/,
    );
    // A worst point under 1.2x is no spike to tell.
    const mild = anomaly('run_duration', T, { workflow: 'Claims', observed: 15_000, expected: 21_600, worst: { observed: 24_800, expected: 21_600 } });
    expect(titles([mild])).toEqual([[1, 'Claims: runs slower, back to usual at the latest (15.0 s vs 21.6 s)']]);
    // A step's slowdown: its latest point, and its worst as [observed, expected].
    const slowStep = (workflow: string, step: string, observed: number, expected: number, [worstObserved, worstExpected]: [number, number]) =>
      anomaly('step_duration', T, { workflow, step, observed, expected, worst: { observed: worstObserved, expected: worstExpected } });
    // A level shift told by its latest point, not by its one slowest run: 3.0x, not 4.1x.
    const shift = slowStep('Onboarding', 'Submit', 5_900, 2_000, [6_800, 1_650]);
    expect(titles([shift])).toEqual([[1, "Onboarding: step 'Submit' 3.0x slower (5.9 s vs 2.0 s)"]]);
    // A drift at its worst now: as before.
    const drift = anomaly('run_duration', T, { workflow: 'Claims', observed: 25_600, expected: 22_400, worst: { observed: 24_000, expected: 22_400 } });
    expect(titles([drift])).toEqual([[1, 'Claims: runs 14% slower (latest 25.6 s vs 22.4 s)']]);
    // A drift the shift check holds while its latest run is as expected: told at its worst, not "0% slower".
    const held = slowStep('Claims', 'Login', 2_325, 2_315, [3_142, 2_257]);
    expect(titles([held])).toEqual([[1, "Claims: step 'Login' 1.4x slower at worst (3.1 s vs 2.3 s; latest 2.3 s)"]]);
    // A worst no slower than the latest (1.21x only by a lower expectation) adds nothing: the latest tells it.
    const same = slowStep('Claims', 'Login', 26_400, 22_200, [26_400, 21_800]);
    expect(titles([same])).toEqual([[1, "Claims: step 'Login' 19% slower (latest 26.4 s vs 22.2 s)"]]);
    // Under half a percent slower at the latest, with no worst to tell: back to usual, not "0% slower".
    const flat = slowStep('Claims', 'Login', 2_325, 2_315, [2_660, 2_315]);
    expect(titles([flat])).toEqual([[1, "Claims: step 'Login' slower, back to usual at the latest (2.3 s vs 2.3 s)"]]);
  });

  it('when a workflow that runs around the clock stops, then its incident says for how long, and how often it usually runs', () => {
    const stopped = anomaly('volume', T, { workflow: 'Queue Worker', direction: 'low', observed: 0, expected: 12, points: 4 });
    expect(titles([stopped])).toEqual([[1, 'Queue Worker: no runs for 4 hours (usually 12.0 an hour)']]);
    // Told within its first hour, before any hour was judged: for as long as it had lasted then.
    const silent = anomaly('volume', T, {
      workflow: 'Queue Worker',
      direction: 'low',
      observed: 0,
      expected: 30,
      points: 0,
      silentSince: T - 5 * MINUTE,
      detectedAt: T + 19 * MINUTE,
    });
    expect(titles([silent])).toEqual([[1, 'Queue Worker: no runs for 24.0 min (usually 30.0 an hour)']]);
  });

  it('groups the same however the anomalies are ordered, and names the incident after its earliest anomaly', () => {
    const a = anomaly('run_duration', T, { workflow: 'Claims' });
    const b = anomaly('step_duration', T + HOUR, { workflow: 'Claims', step: 'Login' });
    const c = anomaly('host_cpu', T + 30 * MINUTE, { host: 'vm-1', observed: 95 });
    const forward = groupIncidents([a, b, c], (x) => ({ hosts: x.host ? [x.host] : [] }));
    const backward = groupIncidents([c, b, a], (x) => ({ hosts: x.host ? [x.host] : [] }));
    expect(backward).toEqual(forward);
    expect(forward.map((i) => i.anomalyIds)).toEqual([[a.id, b.id], [c.id]]);
    expect(forward.map((i) => i.id)).toEqual([a.id, c.id].map((id) => `in-${createHash('sha1').update(id).digest('hex').slice(0, 16)}`));
  });
});

describe('a slowdown that came with a version, found again on its runs', () => {
  const DAY = 24 * HOUR;
  // A Friday's release slows a step 2.6x; the step's anomaly is accepted as the new level by the
  // Saturday. On Monday the runs' own series, whose weekday hours still hold the level before,
  // opens on runs of the same version.
  const step = anomaly('step_duration', T, { workflow: 'Onboarding', step: 'Read input file', observed: 8_500, expected: 3_200, endedAt: T + 30 * HOUR });
  const released = { hosts: [], version: '2.0.0', ranVersions: ['2.0.0'] };
  const monday = (over: Partial<Anomaly> = {}) => anomaly('run_duration', T + 3 * DAY, { workflow: 'Onboarding', observed: 42_000, expected: 34_200, ...over });
  const group = (later: Anomaly, ran: string[]) =>
    groupIncidents([step, later], (a) => (a === step ? released : { hosts: [], ranVersions: ran })).map((i) => i.anomalyIds);

  it('when the runs slow down days later on that version, then that is the same incident, named by the version', () => {
    const runs = monday();
    expect(group(runs, ['2.0.0'])).toEqual([[step.id, runs.id]]);
    expect(titles([step, runs], { [step.id]: released, [runs.id]: { hosts: [], ranVersions: ['2.0.0'] } })[0]).toEqual([
      2,
      expect.stringMatching(/^Onboarding 2\.0\.0: step 'Read input file' 2\.7x slower/),
    ]);
  });

  it('when the later slowdown is on another version, faster instead, over a week after, or on one host, then it is an incident of its own', () => {
    expect(group(monday(), ['2.0.1'])).toHaveLength(2);
    expect(group(monday({ direction: 'low', observed: 20_000 }), ['2.0.0'])).toHaveLength(2);
    // A baseline's window (7 days) after the release's slowdown, and no further.
    const at = (time: number) => monday({ startedAt: time, lastSeenAt: time + HOUR, endedAt: time + 2 * HOUR });
    expect(group(at(T + 7 * DAY - HOUR), ['2.0.0'])).toHaveLength(1);
    expect(group(at(T + 7 * DAY + HOUR), ['2.0.0'])).toHaveLength(2);
    // Runs slow on one host while the others ran as usual are that host's, whatever they ran.
    const onHost = monday();
    expect(groupIncidents([step, onHost], (a) => (a === step ? released : { hosts: ['vm-6'], hostOnly: true, ranVersions: ['2.0.0'] }))).toHaveLength(2);
  });
});

describe('where a workflow anomaly is', () => {
  const run = (host: string, startedAt: number, ms: number, over: Partial<Execution> = {}): Execution => ({
    id: `${host}-${startedAt}`,
    workflow: 'Bank Import',
    host,
    startedAt,
    endedAt: startedAt + ms,
    status: 'completed',
    packageVersion: '1.0.0',
    ...over,
  });
  const before = Array.from({ length: 40 }, (_, i) => run(i % 2 ? 'vm-1' : 'vm-6', T - 2 * 86_400_000 + i * HOUR, 45_000));

  it('when its runs are slow on one host and as usual on the others, then it is on that host alone', () => {
    const during = [run('vm-6', T, 72_000), run('vm-6', T + 10 * MINUTE, 70_000), run('vm-1', T + 5 * MINUTE, 46_000), run('vm-1', T + 15 * MINUTE, 44_000)];
    expect(workflowContext({ metric: 'run_duration' }, before, during)).toEqual({ hosts: ['vm-6'], hostOnly: true, ranVersions: ['1.0.0'] });
  });

  it('when its runs are slow everywhere, then it is on no host; when only one host ran, then on it, not alone', () => {
    const everywhere = [run('vm-6', T, 140_000), run('vm-1', T + 5 * MINUTE, 150_000)];
    expect(workflowContext({ metric: 'run_duration' }, before, everywhere)).toEqual({ hosts: [], ranVersions: ['1.0.0'] });
    expect(workflowContext({ metric: 'step_duration' }, before, [run('vm-6', T, 140_000)])).toEqual({ hosts: ['vm-6'], ranVersions: ['1.0.0'] });
  });

  it('when failures concentrate on one host, then the failure rate is on it; and a version new since last week is named', () => {
    const failed = (host: string, at: number) => run(host, at, 10_000, { status: 'failed', packageVersion: '2.0.0' });
    const during = [
      failed('vm-6', T),
      failed('vm-6', T + 5 * MINUTE),
      failed('vm-6', T + 9 * MINUTE),
      run('vm-1', T + 2 * MINUTE, 45_000, { packageVersion: '2.0.0' }),
      run('vm-1', T + 7 * MINUTE, 45_000, { packageVersion: '2.0.0' }),
      run('vm-1', T + 12 * MINUTE, 45_000, { packageVersion: '2.0.0' }),
    ];
    // 3 failed of 3 on vm-6, 3 fine on vm-1: a 1-in-20 chance of falling so unevenly.
    expect(workflowContext({ metric: 'failure_rate' }, before, during)).toEqual({ hosts: ['vm-6'], hostOnly: true, version: '2.0.0', ranVersions: ['2.0.0'] });
    expect(workflowContext({ metric: 'failure_rate' }, before, during.slice(3))).toEqual({ hosts: [] });
    // With one fine run on vm-1, a 1-in-4 chance: on vm-6 still, but that could be chance.
    const byChance = workflowContext({ metric: 'failure_rate' }, before, during.slice(0, 4));
    expect(byChance).toEqual({ hosts: ['vm-6'], hostOnly: true, hostByChance: true, version: '2.0.0', ranVersions: ['2.0.0'] });
    // Its incident's title says where only when that is more than chance.
    const failing = anomaly('failure_rate', T + 20 * MINUTE, { workflow: 'Payroll', observed: 3, trials: 4, expected: 0.02 });
    expect(titles([failing], { [failing.id]: workflowContext({ metric: 'failure_rate' }, before, during) })[0][1]).toBe(
      'Payroll 2.0.0: 3 of 4 runs failed, usually 2.0%, on vm-6 only',
    );
    expect(titles([failing], { [failing.id]: byChance })[0][1]).toBe('Payroll 2.0.0: 3 of 4 runs failed, usually 2.0%');
  });

  it("when its runs failed just before a new version came out and ran fine on it, then the failure rate is not the version's; slow runs on it are", () => {
    // Four failures in a row, 8 minutes apart, on 1.0.0 (chance, at 12 runs an hour); 2.0.0 from 35 minutes on, running fine but slower.
    const failed = (i: number) => run(i % 2 ? 'vm-1' : 'vm-6', T + i * 8 * MINUTE, 10_000, { status: 'failed', errorType: 'business' });
    const released = (i: number) => run(i % 2 ? 'vm-1' : 'vm-6', T + 35 * MINUTE + i * 5 * MINUTE, 110_000, { packageVersion: '2.0.0' });
    const during = [failed(0), failed(1), failed(2), failed(3), released(0), released(1), released(2), released(3)];
    expect(workflowContext({ metric: 'failure_rate' }, before, during)).toEqual({ hosts: [], ranVersions: ['1.0.0'] });
    expect(workflowContext({ metric: 'step_duration' }, before, during.slice(4))).toEqual({ hosts: [], version: '2.0.0', ranVersions: ['2.0.0'] });
    // Failures on the new version are its.
    const failingOnIt = [...during.slice(4), run('vm-6', T + 60 * MINUTE, 10_000, { status: 'failed', packageVersion: '2.0.0' })];
    expect(workflowContext({ metric: 'failure_rate' }, before, failingOnIt)).toMatchObject({ version: '2.0.0' });
  });

  it("when half a workflow's runs time out and 3 of a robot's 6 runs failed while its peer's 3 ran fine, then the title does not blame the robot: chance spreads them so unevenly 1 time in 4", () => {
    const at = (i: number) => T + i * 10 * MINUTE;
    const timedOut = (robot: string, i: number) =>
      run('vm-5', at(i), 120_000, { robot, status: 'timeout', errorType: 'timeout', errorMessage: "Step 'Extract data (OCR)' timed out after 120 s" });
    const fine = (robot: string, host: string, i: number) => run(host, at(i), 45_000, { robot });
    const during = [
      fine('robot-05', 'vm-5', 0),
      run('vm-5', at(1), 30_000, { robot: 'robot-05', status: 'failed', errorType: 'application', errorMessage: "Element 'Save' not clickable" }),
      fine('robot-04', 'vm-4', 2),
      fine('robot-04', 'vm-4', 3),
      fine('robot-05', 'vm-5', 4),
      timedOut('robot-05', 5),
      fine('robot-04', 'vm-4', 6),
      timedOut('robot-05', 7),
      fine('robot-05', 'vm-5', 8),
    ];
    const untold = workflowContext({ metric: 'failure_rate' }, before, during);
    expect(untold).toMatchObject({ robot: 'robot-05', robotByChance: true, hosts: ['vm-5'], hostByChance: true });
    const failing = anomaly('failure_rate', T + 80 * MINUTE, { workflow: 'Ticket Triage', observed: 4, trials: 10, expected: 0.009, systemErrors: true });
    expect(titles([failing], { [failing.id]: untold })).toEqual([
      [
        1,
        "Ticket Triage: 4 of 10 runs failed on a system error, usually 0.9%; 2 of 3 failures in its hours: timeout error 'Step 'Extract data (OCR)' timed out after … s'",
      ],
    ]);
    // One more fine run of the peer: 3 of 6 failed against 0 of 4, 1 in 6: still chance.
    expect(workflowContext({ metric: 'failure_rate' }, before, [...during, fine('robot-04', 'vm-4', 9)])).toMatchObject({ robotByChance: true });
    // The peer's next three runs fine too: 3 of 6 failed against 0 of 6, 1 in 11: the robot's.
    const told = [...during, fine('robot-04', 'vm-4', 9), fine('robot-04', 'vm-4', 10), fine('robot-04', 'vm-4', 11)];
    const context = workflowContext({ metric: 'failure_rate' }, before, told);
    expect(context).toEqual({ ...untold, robotByChance: undefined, hostByChance: undefined });
    expect(titles([failing], { [failing.id]: context })[0][1]).toMatch(
      /^robot robot-05: failing while its peers run fine, on Ticket Triage \(4 of 10 runs failed/,
    );
  });

  it("when one robot's runs fail on two workflows while its peers' do not, then that is one incident, named by the robot", () => {
    const licence = (workflow: string, at: number) =>
      run('vm-2', at, 5000, { workflow, robot: 'robot-07', status: 'failed', errorType: 'system', errorMessage: `Robot licence expired (robot-07, ${at})` });
    const fine = (workflow: string, at: number) => run('vm-1', at, 45_000, { workflow, robot: 'robot-01' });
    const during = (workflow: string) => [
      licence(workflow, T),
      fine(workflow, T + MINUTE),
      licence(workflow, T + 5 * MINUTE),
      fine(workflow, T + 6 * MINUTE),
      licence(workflow, T + 9 * MINUTE),
    ];
    const context = workflowContext({ metric: 'failure_rate' }, before, during('Bank Import'));
    expect(context).toMatchObject({ robot: 'robot-07', hosts: ['vm-2'], hostOnly: true, error: { count: 3, failed: 3 } });
    const failing = (workflow: string, at: number): Anomaly => ({ ...anomaly('failure_rate', at, { workflow, observed: 3, trials: 5, expected: 0.04 }) });
    const onBank = failing('Bank Import', T);
    const onTickets = failing('Ticket Triage', T + 40 * MINUTE);
    const contexts = { [onBank.id]: context, [onTickets.id]: workflowContext({ metric: 'failure_rate' }, before, during('Ticket Triage')) };
    expect(titles([onBank, onTickets], contexts)).toEqual([
      [
        2,
        "robot robot-07: failing while its peers run fine, on Bank Import, Ticket Triage; all 3 failures in its hours: system error 'Robot licence expired (robot-…, …)'",
      ],
    ]);
  });

  it("when one robot fails while one of its peers had one business error in few runs, then it is still the robot's: its peers are judged together", () => {
    const at = (i: number) => T + i * 5 * MINUTE;
    const on = (robot: string, host: string, i: number, failed = false) =>
      run(host, at(i), 45_000, { robot, ...(failed ? { status: 'failed' as const, errorType: 'system' as const, errorMessage: 'Licence expired' } : {}) });
    const during = [
      on('robot-07', 'vm-2', 0, true),
      on('robot-07', 'vm-2', 3, true),
      on('robot-07', 'vm-2', 6, true),
      on('robot-07', 'vm-2', 9),
      // One business error in four runs of one peer (25%), none in the other's four: 1 in 8 together.
      run('vm-1', at(1), 45_000, { robot: 'robot-01', status: 'failed', errorType: 'business', errorMessage: 'Vendor 4711 is blocked' }),
      on('robot-01', 'vm-1', 4),
      on('robot-01', 'vm-1', 7),
      on('robot-01', 'vm-1', 10),
      on('robot-02', 'vm-1', 2),
      on('robot-02', 'vm-1', 5),
      on('robot-02', 'vm-1', 8),
      on('robot-02', 'vm-1', 11),
    ];
    expect(workflowContext({ metric: 'failure_rate' }, before, during)).toMatchObject({ robot: 'robot-07', hosts: ['vm-2'], hostOnly: true });
    // Peers failing one run in four together on system errors: not the robot's alone.
    const peersFailing = during.map((r) =>
      r.robot === 'robot-02' && (r.startedAt === at(5) || r.startedAt === at(8)) ? { ...r, status: 'failed' as const, errorType: 'system' as const } : r,
    );
    expect(workflowContext({ metric: 'failure_rate' }, before, peersFailing).robot).toBeUndefined();
    // Its licence renewed within the window, the robot's later runs succeed: 3 of its 7 runs failed, still its own.
    const renewed = [...during, on('robot-07', 'vm-2', 12), on('robot-07', 'vm-2', 13), on('robot-07', 'vm-2', 14)];
    expect(workflowContext({ metric: 'failure_rate' }, before, renewed)).toMatchObject({ robot: 'robot-07' });
    // ...unless their failures are business exceptions: the data they were given, not where they ran.
    const peersWithBadData = during.map((r) =>
      r.robot === 'robot-02' && (r.startedAt === at(5) || r.startedAt === at(8)) ? { ...r, status: 'failed' as const, errorType: 'business' as const } : r,
    );
    expect(workflowContext({ metric: 'failure_rate' }, before, peersWithBadData)).toMatchObject({ robot: 'robot-07' });
  });

  it("when a robot's own series opens, then its incident names the robot, the workflows it failed on and the error, and takes in the workflow's failures it caused", () => {
    const licence = (workflow: string, at: number) =>
      run('vm-2', at, 900, {
        workflow,
        robot: 'robot-07',
        status: 'failed',
        errorType: 'system',
        errorMessage: 'Licence expired: this robot has no valid unattended licence',
      });
    const during = [
      licence('Bank Import', T),
      run('vm-2', T + MINUTE, 45_000, { robot: 'robot-07' }),
      licence('Ticket Triage', T + 5 * MINUTE),
      licence('Bank Import', T + 9 * MINUTE),
    ];
    const own = anomaly('failure_rate', T + 9 * MINUTE, { seriesKey: 'failure_rate||||robot-07', robot: 'robot-07', observed: 3, trials: 4, expected: 0.005 });
    const context = robotContext(own, during);
    expect(context).toEqual({
      hosts: [],
      robot: 'robot-07',
      workflows: ['Bank Import', 'Ticket Triage'],
      error: { pattern: 'Licence expired: this robot has no valid unattended licence', type: 'system', count: 3, failed: 3 },
    });
    expect(titles([own], { [own.id]: context })).toEqual([
      [
        1,
        "robot robot-07: failing while its peers run fine, on Bank Import, Ticket Triage; all 3 failures in its hours: system error 'Licence expired: this robot has no valid unattended licence'",
      ],
    ]);
    // The workflow's failure rate, found on the same robot's failures an hour on: the same incident.
    const onBank = anomaly('failure_rate', T + 70 * MINUTE, { workflow: 'Bank Import', observed: 4, trials: 10, expected: 0.02 });
    const incidents = groupIncidents([own, onBank], (a) => (a.id === own.id ? context : { hosts: [], robot: 'robot-07' }));
    expect(incidents.map((i) => [i.anomalyIds, i.workflows])).toEqual([
      [
        [own.id, onBank.id],
        ['Bank Import', 'Ticket Triage'],
      ],
    ]);
    // Found three hours on, while the robot's own anomaly is still open: the same incident too.
    const ongoing = { ...own, status: 'open' as const, endedAt: undefined, lastSeenAt: T + 4 * HOUR };
    const onTickets = anomaly('failure_rate', T + 3 * HOUR, { workflow: 'Ticket Triage', observed: 5, trials: 10, expected: 0.03 });
    expect(groupIncidents([ongoing, onTickets], (a) => (a.id === own.id ? context : { hosts: [], robot: 'robot-07' }))).toHaveLength(1);
    expect(groupIncidents([own, onTickets], (a) => (a.id === own.id ? context : { hosts: [], robot: 'robot-07' }))).toHaveLength(2);
    // Another robot failing in the same hour is another incident.
    const other = anomaly('failure_rate', T + 20 * MINUTE, {
      seriesKey: 'failure_rate||||robot-02',
      robot: 'robot-02',
      observed: 3,
      trials: 5,
      expected: 0.005,
    });
    expect(groupIncidents([own, other], (a) => ({ hosts: [], robot: a.robot! }))).toHaveLength(2);
  });

  it('when most failures share an error, then the failure rate carries it, and its incident says it', () => {
    const citrix = (host: string, at: number, code: number) =>
      run(host, at, 10_000, { status: 'failed', errorType: 'system', errorMessage: `Citrix session disconnected (code ${code})` });
    const during = [
      citrix('vm-1', T, 1041),
      citrix('vm-6', T + 5 * MINUTE, 1007),
      citrix('vm-1', T + 9 * MINUTE, 1090),
      run('vm-6', T + 12 * MINUTE, 10_000, { status: 'failed', errorType: 'business', errorMessage: 'Vendor 4711 is blocked' }),
    ];
    const context = workflowContext({ metric: 'failure_rate' }, before, during);
    expect(context).toEqual({
      hosts: [],
      ranVersions: ['1.0.0'],
      error: { pattern: 'Citrix session disconnected (code <n>)', type: 'system', count: 3, failed: 4 },
    });
    const failing: Anomaly = {
      id: 'f1',
      seriesKey: 'failure_rate|Payroll||',
      metric: 'failure_rate' as const,
      workflow: 'Payroll',
      direction: 'high' as const,
      status: 'open' as const,
      startedAt: T,
      lastSeenAt: T,
      severity: 0.6,
      firstSeverity: 0.6,
      peakScore: 5,
      points: 2,
      expected: 0.034,
      observed: 5,
      trials: 10,
      escalationLevel: 1,
      description: '',
      recommendedAction: '',
    };
    expect(groupIncidents([failing], () => context)[0].title).toBe(
      "Payroll: 5 of 10 runs failed, usually 3.4%; 3 of 4 failures in its hours: system error 'Citrix session disconnected (code …)'",
    );
    // Found by its failures on system errors alone: their count and their own usual rate.
    const onSystem: Anomaly = { ...failing, observed: 3, trials: 4, expected: 0.01, systemErrors: true };
    expect(groupIncidents([onSystem], () => context)[0].title).toBe(
      "Payroll: 3 of 4 runs failed on a system error, usually 1.0%; 3 of 4 failures in its hours: system error 'Citrix session disconnected (code …)'",
    );
    // Failures with nothing in common: no error named.
    expect(workflowContext({ metric: 'failure_rate' }, before, during.slice(2)).error).toBeUndefined();
    // One failure, on an error new to the fleet, that opened it: too few to share an error, the new one named.
    const one = workflowContext({ metric: 'failure_rate' }, before, during.slice(0, 1));
    expect(one.error).toBeUndefined();
    const opened: Anomaly = {
      ...failing,
      observed: 1,
      expected: 0.005,
      newError: { pattern: 'Citrix session disconnected (code <n>)', errorType: 'system', newErrors: 0, runs: 12_000 },
    };
    expect(groupIncidents([opened], () => one)[0].title).toBe(
      "Payroll: 1 of 10 runs failed, usually 0.5%; new on the fleet: system error 'Citrix session disconnected (code …)'",
    );
    // Once its hours have failures that share an error, they are told, and whether that one was new.
    expect(groupIncidents([{ ...opened, observed: 5 }], () => context)[0].title).toBe(
      "Payroll: 5 of 10 runs failed, usually 0.5%; 3 of 4 failures in its hours: system error 'Citrix session disconnected (code …)', new on the fleet",
    );
    const otherNew = { ...opened, observed: 5, newError: { ...opened.newError!, pattern: 'Licence expired' } };
    expect(groupIncidents([otherNew], () => context)[0].title).toBe(
      "Payroll: 5 of 10 runs failed, usually 0.5%; 3 of 4 failures in its hours: system error 'Citrix session disconnected (code …)'",
    );
  });
});
