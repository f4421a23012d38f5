import type { Anomaly, Incident as ReportedIncident } from '@rpa-analytics/contract';
import type { Incident as InjectedIncident } from '../../sim/incidents';
import { disagreement, scoreSimulation } from './score';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2026, 10, 1);
const TO = FROM + 14 * DAY;

const injected: InjectedIncident[] = [
  {
    id: 'latency-spike',
    kind: 'latency_spike',
    description: '',
    start: FROM + 10 * DAY,
    end: FROM + 10 * DAY + 2 * HOUR,
    workflow: 'Claims',
    magnitude: 3,
    affectedExecutions: 0,
    // Its first slow run ended 18 minutes in.
    firstEvidenceAt: FROM + 10 * DAY + 18 * 60_000,
  },
  {
    id: 'failure-burst',
    kind: 'failure_burst',
    description: '',
    start: FROM + 11 * DAY,
    end: FROM + 11 * DAY + 4 * HOUR,
    workflow: 'Payroll',
    magnitude: 0.7,
    affectedExecutions: 0,
  },
  {
    id: 'cpu-saturation',
    kind: 'cpu_saturation',
    description: '',
    start: FROM + 12 * DAY,
    end: FROM + 12 * DAY + 3 * HOUR,
    host: 'vm-3',
    magnitude: 92,
    affectedExecutions: 0,
  },
];

let next = 0;
function anomaly(metric: Anomaly['metric'], startedAt: number, subject: Partial<Pick<Anomaly, 'workflow' | 'host' | 'step'>>): Anomaly {
  return {
    id: `a${++next}`,
    seriesKey: metric,
    metric,
    ...subject,
    direction: 'high',
    status: 'closed',
    startedAt,
    lastSeenAt: startedAt,
    severity: 0.5,
    firstSeverity: 0.5,
    peakScore: 5,
    points: 3,
    expected: 1,
    observed: 2,
    escalationLevel: 0,
    description: '',
    recommendedAction: '',
  };
}

function incident(id: string, anomalies: Anomaly[]): ReportedIncident {
  return { id, status: 'closed', startedAt: 0, lastSeenAt: 0, severity: 0.5, anomalyIds: anomalies.map((a) => a.id), workflows: [], hosts: [], title: id };
}

describe('scoring a simulated fleet against its ground truth', () => {
  it('finds an incident by an anomaly on its subject and measure within its window, and measures the delay', () => {
    // Begins 20 minutes in, told when the run that tipped it over ended, 4 minutes later.
    const spike = { ...anomaly('run_duration', FROM + 10 * DAY + 20 * 60_000, { workflow: 'Claims' }), detectedAt: FROM + 10 * DAY + 24 * 60_000 };
    const cpu = anomaly('host_cpu', FROM + 12 * DAY + 5 * 60_000, { host: 'vm-3' });
    // The burst's workflow, but the wrong measure; and the right measure on another workflow.
    const wrongMeasure = anomaly('run_duration', FROM + 11 * DAY + HOUR, { workflow: 'Payroll' });
    const wrongSubject = anomaly('failure_rate', FROM + 11 * DAY + HOUR, { workflow: 'Claims' });
    // After the settling week, explained by nothing: two in the 7 settled days.
    const score = scoreSimulation(
      { from: FROM, to: TO, incidents: injected },
      [spike, cpu, wrongMeasure, wrongSubject],
      [incident('i1', [spike]), incident('i2', [spike, cpu]), incident('i3', [wrongMeasure, wrongSubject]), incident('i4', [cpu, wrongSubject])],
    );
    expect(score.incidents).toEqual([
      {
        id: 'latency-spike',
        kind: 'latency_spike',
        found: true,
        delayMinutes: 20,
        detectedMinutes: 24,
        afterEvidenceMinutes: 6,
        anomalies: 1,
        pureIncidents: 1,
      },
      {
        id: 'failure-burst',
        kind: 'failure_burst',
        found: false,
        delayMinutes: null,
        detectedMinutes: null,
        afterEvidenceMinutes: null,
        anomalies: 0,
        pureIncidents: 0,
      },
      // Without a detection time, its start stands for it.
      {
        id: 'cpu-saturation',
        kind: 'cpu_saturation',
        found: true,
        delayMinutes: 5,
        detectedMinutes: 5,
        afterEvidenceMinutes: null,
        anomalies: 1,
        pureIncidents: 0,
      },
    ]);
    // The median over the two incidents of one workflow (the host's left out), a miss as never;
    // from their first evidence, over those a run showed: the burst failed no run.
    expect(score.medianDetectedMinutes).toBe(Infinity);
    expect(score.medianAfterEvidenceMinutes).toBe(6);
    // Had a run shown the burst, its miss counts as never there too.
    const shown = [injected[0], { ...injected[1], firstEvidenceAt: FROM + 11 * DAY + 15 * 60_000 }, { ...injected[2], firstEvidenceAt: injected[2].start }];
    expect(scoreSimulation({ from: FROM, to: TO, incidents: shown }, [spike, cpu], []).medianAfterEvidenceMinutes).toBe(Infinity);
    // A host's incident, shown at once and found 5 minutes in, stays out of that median: the spike's 6 alone.
    expect(scoreSimulation({ from: FROM, to: TO, incidents: [injected[0], shown[2]] }, [spike, cpu], []).medianAfterEvidenceMinutes).toBe(6);
    // Told by a step before its run ended (at 24 minutes, the run at 26): 0, not -2.
    const byStep = [{ ...injected[0], firstEvidenceAt: FROM + 10 * DAY + 26 * 60_000 }];
    expect(scoreSimulation({ from: FROM, to: TO, incidents: byStep }, [spike], []).incidents[0].afterEvidenceMinutes).toBe(0);
    expect(score).toMatchObject({ injected: 3, found: 2, anomalies: 4, unexplained: 2, reportedIncidents: 4, pure: 1, mixed: 2, noise: 1 });
    expect(score.recall).toBeCloseTo(2 / 3, 10);
    expect(score.unexplainedPerDay).toBeCloseTo(2 / 7, 10);
  });

  it('counts a slowdown of a workflow that ran on a saturated host as that host incident, and no other workflow', () => {
    const saturation = { ...injected[2], workflows: ['Ledger'] };
    const onHost = anomaly('step_duration', FROM + 12 * DAY + HOUR, { workflow: 'Ledger', step: 'Login' });
    const elsewhere = anomaly('run_duration', FROM + 12 * DAY + HOUR, { workflow: 'Claims' });
    const score = scoreSimulation(
      { from: FROM, to: TO, incidents: [saturation] },
      [onHost, elsewhere],
      [incident('i1', [onHost]), incident('i2', [onHost, elsewhere])],
    );
    expect(score).toMatchObject({ found: 1, unexplained: 1, pure: 1, mixed: 1 });
    expect(score.incidents[0]).toEqual({
      id: 'cpu-saturation',
      kind: 'cpu_saturation',
      found: true,
      anomalies: 1,
      delayMinutes: 60,
      detectedMinutes: 60,
      afterEvidenceMinutes: null,
      pureIncidents: 1,
    });
    expect(score.medianDetectedMinutes).toBeNull();
  });

  it("counts a host's memory anomaly for its leak, and a workflow's runs per hour for its stop, nothing else of theirs", () => {
    const leak: InjectedIncident = {
      id: 'memory-leak',
      kind: 'memory_leak',
      description: '',
      start: FROM + 9 * DAY,
      end: FROM + 9 * DAY + 7 * HOUR,
      host: 'vm-2',
      magnitude: 9,
      affectedExecutions: 0,
    };
    const stop: InjectedIncident = {
      id: 'workflow-stop',
      kind: 'workflow_stop',
      description: '',
      start: FROM + 9 * DAY,
      end: FROM + 9 * DAY + 4 * HOUR,
      workflow: 'Queue',
      magnitude: 8,
      affectedExecutions: 0,
    };
    const memory = anomaly('host_memory', FROM + 9 * DAY + 2 * HOUR, { host: 'vm-2' });
    const cpu = anomaly('host_cpu', FROM + 9 * DAY + 2 * HOUR, { host: 'vm-2' });
    const quiet = anomaly('volume', FROM + 9 * DAY, { workflow: 'Queue' });
    const slow = anomaly('run_duration', FROM + 9 * DAY, { workflow: 'Queue' });
    const score = scoreSimulation({ from: FROM, to: TO, incidents: [leak, stop] }, [memory, cpu, quiet, slow], []);
    expect(score.incidents.map((i) => [i.id, i.found, i.anomalies, i.delayMinutes])).toEqual([
      ['memory-leak', true, 1, 120],
      ['workflow-stop', true, 1, 0],
    ]);
    expect(score.unexplained).toBe(2);
  });

  it("takes the median detection delay over the workflows' incidents only", () => {
    const at = (minutes: number) => FROM + 10 * DAY + minutes * 60_000;
    const spike = injected[0];
    const burst = { ...injected[1], start: at(0) };
    const drift: InjectedIncident = {
      id: 'slow-drift',
      kind: 'slow_drift',
      description: '',
      start: at(0),
      workflow: 'Ledger',
      magnitude: 0.08,
      affectedExecutions: 0,
    };
    const found = [
      { ...anomaly('run_duration', at(5), { workflow: 'Claims' }), detectedAt: at(12) },
      { ...anomaly('failure_rate', at(10), { workflow: 'Payroll' }), detectedAt: at(30) },
      { ...anomaly('run_duration', at(2000), { workflow: 'Ledger' }), detectedAt: at(2100) },
      // The host's, found late, is not in the median.
      { ...anomaly('host_cpu', at(2 * 24 * 60 + 500), { host: 'vm-3' }) },
    ];
    const score = scoreSimulation({ from: FROM, to: TO, incidents: [spike, burst, drift, injected[2]] }, found, []);
    expect(score.incidents.map((i) => i.detectedMinutes)).toEqual([12, 30, 2100, 500]);
    expect(score.medianDetectedMinutes).toBe(30);
  });

  it('does not count an anomaly that starts outside the incident window, nor one before the period settles as unexplained', () => {
    const tooEarly = anomaly('run_duration', FROM + 10 * DAY - 2 * HOUR, { workflow: 'Claims' });
    const tooLate = anomaly('run_duration', FROM + 10 * DAY + 9 * HOUR, { workflow: 'Claims' });
    const settling = anomaly('volume', FROM + 2 * DAY, { workflow: 'Claims' });
    const score = scoreSimulation({ from: FROM, to: TO, incidents: injected.slice(0, 1) }, [tooEarly, tooLate, settling], []);
    expect(score).toMatchObject({ found: 0, recall: 0, unexplained: 2, reportedIncidents: 0 });
  });

  it('when anomalies start after the period (the simulated fleet stopped), then they count nowhere, but are told', () => {
    const stopped = anomaly('volume', TO + HOUR, { workflow: 'Claims' });
    const inside = anomaly('volume', TO - HOUR, { workflow: 'Claims' });
    const afterIncident = { ...incident('late', [stopped]), startedAt: TO + HOUR };
    const score = scoreSimulation(
      { from: FROM, to: TO, incidents: [] },
      [stopped, inside],
      [afterIncident, { ...incident('in', [inside]), startedAt: TO - HOUR }],
    );
    expect(score).toMatchObject({ anomalies: 1, afterPeriod: 1, unexplained: 1, reportedIncidents: 1, noise: 1 });
  });

  it('counts the anomalies on control workflows, which no incident touched', () => {
    const onControl = anomaly('run_duration', FROM + 8 * DAY, { workflow: 'Credit Check' });
    const elsewhere = anomaly('run_duration', FROM + 8 * DAY, { workflow: 'Claims' });
    const workflows = [
      { name: 'Credit Check', control: true },
      { name: 'Claims', control: false },
    ];
    expect(scoreSimulation({ from: FROM, to: TO, incidents: [], workflows }, [onControl, elsewhere], []).controlAnomalies).toBe(1);
  });

  it('when the period is no longer than the settling time, then there is no unexplained rate to give', () => {
    const score = scoreSimulation({ from: FROM, to: FROM + 7 * DAY, incidents: [] }, [anomaly('volume', FROM + DAY, { workflow: 'Claims' })], []);
    expect(score).toMatchObject({ recall: 1, unexplained: 0, unexplainedPerDay: null });
  });
});

describe('comparing a live and a preloaded score', () => {
  const score = (found: string[], anomalies: number) => ({
    ...scoreSimulation({ from: FROM, to: TO, incidents: injected }, [], []),
    anomalies,
    incidents: injected.map((i) => ({
      id: i.id,
      kind: i.kind,
      found: found.includes(i.id),
      delayMinutes: null,
      detectedMinutes: null,
      afterEvidenceMinutes: null,
      anomalies: 0,
      pureIncidents: 0,
    })),
  });

  it.each([
    ['the same incidents found and anomaly counts 10% apart agree', score(['latency-spike'], 110), score(['latency-spike'], 100), undefined],
    ['two anomalies apart on a small count agree', score([], 7), score([], 5), undefined],
    [
      'another incident found disagrees',
      score(['latency-spike', 'cpu-saturation'], 100),
      score(['latency-spike'], 100),
      'live found [latency-spike, cpu-saturation], preloaded [latency-spike]',
    ],
    ['anomaly counts more than 10% apart disagree', score([], 112), score([], 100), 'live reports 112 anomalies, preloaded 100'],
  ])('%s', (_, live, preloaded, expected) => {
    expect(disagreement(live, preloaded)).toBe(expected);
  });
});
