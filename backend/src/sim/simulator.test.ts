import fs from 'node:fs';
import path from 'node:path';
import type { IngestBatch } from '@rpa-analytics/contract';
import { startCollector, tempDir } from '../testing/harness';
import { FleetGenerator } from './generator';
import { INCIDENT_KINDS } from './incidents';
import { type GroundTruth, runSimulation, type SimulationOptions } from './simulator';
import { parseIncidents } from './demoCommand';

const END = Date.UTC(2026, 10, 20);
const HOUR = 3600_000;
const options: SimulationOptions = {
  seed: 7,
  days: 7,
  end: END,
  workflows: 12,
  hosts: 6,
  robots: 10,
  runsPerHour: 4,
  incidents: INCIDENT_KINDS,
  sampleIntervalMs: 300_000,
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

describe('fleet simulator', () => {
  it('when run twice with the same seed, then it sends the same records; another seed sends others', async () => {
    const capture = async (seed: number) => {
      const batches: IngestBatch[] = [];
      await runSimulation({ ...options, seed, transport: { send: async (b) => void batches.push(structuredClone(b)) } });
      return batches;
    };
    const first = await capture(7);
    expect(await capture(7)).toEqual(first);
    expect(JSON.stringify(await capture(8))).not.toEqual(JSON.stringify(first));
  });

  describe('sending to a real collector', () => {
    const tmp = tempDir();
    let truth: GroundTruth;
    let collector: Awaited<ReturnType<typeof startCollector>>;

    beforeAll(async () => {
      collector = await startCollector(tmp.dir);
      const truthFile = path.join(tmp.dir, 'truth.json');
      await runSimulation({ ...options, url: collector.url, truthFile });
      truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as GroundTruth;
    });
    afterAll(async () => {
      await collector.stop();
      tmp.cleanup();
    });

    it('when the ground truth says N executions, steps and samples were sent, then the collector holds exactly those', () => {
      expect(truth.totals.executions).toBeGreaterThan(2000);
      expect(collector.store.stats()).toMatchObject({
        executions: truth.totals.executions,
        steps: truth.totals.steps,
        samples: truth.totals.samples,
      });
      for (const workflow of truth.workflows) {
        const runs = collector.store.listExecutions({ workflows: [workflow.name], limit: 100_000 }).items;
        expect({ name: workflow.name, executions: runs.length, failed: runs.filter((r) => r.status !== 'completed').length }).toEqual({
          name: workflow.name,
          executions: workflow.executions,
          failed: workflow.failed,
        });
      }
    });

    it('when an incident is in the ground truth, then the stored data shows it where and when the truth says', () => {
      const incident = (kind: string) => truth.incidents.find((i) => i.kind === kind)!;
      const runsOf = (workflow: string) => collector.store.listExecutions({ workflows: [workflow], limit: 100_000 }).items;
      const inside = (i: { start: number; end?: number }, t: number) => t >= i.start && (i.end === undefined || t < i.end);

      const spike = incident('latency_spike');
      const spikeRuns = runsOf(spike.workflow!);
      const during = spikeRuns.filter((r) => inside(spike, r.startedAt));
      expect(during).toHaveLength(spike.affectedExecutions);
      expect(median(during.map((r) => r.durationMs!)) / median(spikeRuns.filter((r) => !inside(spike, r.startedAt)).map((r) => r.durationMs!))).toBeGreaterThan(
        2.5,
      );

      const burst = incident('failure_burst');
      const burstRuns = runsOf(burst.workflow!).filter((r) => inside(burst, r.startedAt));
      expect(burstRuns.filter((r) => r.errorType === 'system').length / burstRuns.length).toBeGreaterThan(0.4);

      const shift = incident('level_shift');
      const first = collector.store.getExecution(shift.firstAffectedExecution!)!;
      expect(first).toMatchObject({ workflow: shift.workflow, packageVersion: '2.0.0' });
      expect(truth.versionChanges).toContainEqual({ workflow: shift.workflow, version: '2.0.0', at: shift.start });
      expect(runsOf(shift.workflow!).filter((r) => r.packageVersion === '2.0.0')).toHaveLength(shift.affectedExecutions);

      const saturation = incident('cpu_saturation');
      const samples = collector.store.listSamples({ hosts: [saturation.host!], from: saturation.start, to: saturation.end });
      expect(samples.length).toBe((3 * HOUR) / options.sampleIntervalMs);
      expect(Math.min(...samples.map((s) => s.cpuPercent))).toBeGreaterThanOrEqual(92);

      // The stop: a workflow that runs every hour of the day, nights too, has no run for those 4 hours.
      const stop = incident('workflow_stop');
      const stopRuns = runsOf(stop.workflow!);
      expect(stopRuns.filter((r) => inside(stop, r.startedAt))).toEqual([]);
      const hoursWithRuns = new Set(stopRuns.map((r) => new Date(r.startedAt).getUTCHours()));
      expect(hoursWithRuns.size).toBe(24);
      // At its rate right before and after the stop, at night: a third of it or more in each hour.
      for (const hour of [stop.start - HOUR, stop.end!])
        expect(stopRuns.filter((r) => r.startedAt >= hour && r.startedAt < hour + HOUR).length).toBeGreaterThanOrEqual(stop.magnitude / 3);

      // The leak: memory climbs about 9% of the host's an hour, and drops when it is restarted.
      const leak = incident('memory_leak');
      const percent = (from: number, to: number) => {
        const taken = collector.store.listSamples({ hosts: [leak.host!], from, to });
        return median(taken.map((s) => (100 * s.memoryUsedBytes!) / s.memoryTotalBytes!));
      };
      const climbed = percent(leak.end! - HOUR, leak.end!) - percent(leak.start, leak.start + HOUR);
      expect(climbed).toBeGreaterThan(40);
      expect(climbed).toBeLessThan(60);
      expect(percent(leak.end!, leak.end! + HOUR)).toBeLessThan(percent(leak.start, leak.start + HOUR) + 10);

      // The licence: the robot's runs fail at launch, about 80% of them, on every workflow it
      // served meanwhile; its peers on those workflows run as usual.
      const licence = incident('robot_licence');
      const window = truth.workflows
        .filter((w) => licence.workflows!.includes(w.name))
        .flatMap((w) => runsOf(w.name).filter((r) => inside(licence, r.startedAt)));
      const robotRuns = window.filter((r) => r.robot === licence.robot);
      expect(robotRuns).toHaveLength(licence.affectedExecutions);
      expect(new Set(robotRuns.map((r) => r.workflow))).toEqual(new Set(licence.workflows));
      const unlicensed = robotRuns.filter((r) => r.errorMessage === 'Licence expired: this robot has no valid unattended licence');
      expect(unlicensed.length / robotRuns.length).toBeGreaterThan(0.6);
      for (const run of unlicensed) expect(run).toMatchObject({ status: 'failed', errorType: 'system', stepsCompleted: 0 });
      const peers = window.filter((r) => r.robot !== licence.robot);
      expect(peers.length).toBeGreaterThan(3);
      expect(peers.filter((r) => r.status !== 'completed').length / peers.length).toBeLessThan(0.25);

      // The timeout: half the runs wait 120 s at the step, then fail there.
      const timeout = incident('step_timeout');
      const timeoutRuns = runsOf(timeout.workflow!).filter((r) => inside(timeout, r.startedAt));
      expect(timeoutRuns).toHaveLength(timeout.affectedExecutions);
      const timedOut = timeoutRuns.filter((r) => r.status === 'timeout');
      expect(timedOut.length / timeoutRuns.length).toBeGreaterThan(0.3);
      expect(timedOut.length / timeoutRuns.length).toBeLessThan(0.7);
      for (const run of timedOut.slice(0, 5)) {
        const steps = collector.store.getExecution(run.id)!.steps;
        expect(steps.at(-1)).toMatchObject({
          name: timeout.step,
          status: 'failed',
          durationMs: 120_000,
          error: `Step '${timeout.step}' timed out after 120 s waiting for the application`,
        });
      }
      expect(runsOf(timeout.workflow!).filter((r) => r.status === 'timeout' && !inside(timeout, r.startedAt)).length).toBeLessThan(5);
    });

    it('when the truth says when each incident first showed, then that is when the first run it changed ended', () => {
      const incident = (kind: string) => truth.incidents.find((i) => i.kind === kind)!;
      const runsOf = (workflow: string) => collector.store.listExecutions({ workflows: [workflow], limit: 100_000 }).items;
      const inside = (i: { start: number; end?: number }, t: number) => t >= i.start && (i.end === undefined || t < i.end);
      const firstEnd = (runs: ReadonlyArray<{ endedAt?: number }>) => Math.min(...runs.map((r) => r.endedAt!));
      // Every run of a spike is slower: the first to end.
      const spike = incident('latency_spike');
      expect(spike.firstEvidenceAt).toBe(firstEnd(runsOf(spike.workflow!).filter((r) => inside(spike, r.startedAt))));
      // A new version's: its first run's end; a drift's: its first run's (slower by next to nothing yet).
      const shift = incident('level_shift');
      expect(shift.firstEvidenceAt).toBe(collector.store.getExecution(shift.firstAffectedExecution!)!.endedAt);
      const drift = incident('slow_drift');
      expect(drift.firstEvidenceAt).toBe(firstEnd(runsOf(drift.workflow!).filter((r) => r.startedAt >= drift.start)));
      // A burst's or a timeout's: the first run it failed, not the first it let through.
      const burst = incident('failure_burst');
      const citrix = runsOf(burst.workflow!).filter((r) => inside(burst, r.startedAt) && r.errorMessage?.startsWith('Citrix'));
      expect(burst.firstEvidenceAt).toBe(firstEnd(citrix));
      expect(firstEnd(runsOf(burst.workflow!).filter((r) => inside(burst, r.startedAt)))).toBeLessThanOrEqual(burst.firstEvidenceAt!);
      const timeout = incident('step_timeout');
      expect(timeout.firstEvidenceAt).toBe(firstEnd(runsOf(timeout.workflow!).filter((r) => inside(timeout, r.startedAt) && r.status === 'timeout')));
      const licence = incident('robot_licence');
      const unlicensed = licence
        .workflows!.flatMap((w) => runsOf(w))
        .filter((r) => inside(licence, r.startedAt) && r.errorMessage?.startsWith('Licence expired'));
      expect(licence.firstEvidenceAt).toBe(firstEnd(unlicensed));
      // A stop, and a saturated host's samples, show at once; a leak changes no run.
      expect(incident('workflow_stop').firstEvidenceAt).toBe(incident('workflow_stop').start);
      expect(incident('cpu_saturation').firstEvidenceAt).toBe(incident('cpu_saturation').start);
      expect(incident('memory_leak').firstEvidenceAt).toBeUndefined();
    });

    it('when the slow step is named in the truth, then it takes the largest share of its workflow time', () => {
      const runs = collector.store.listExecutions({ workflows: [truth.slowStep.workflow], limit: 50 }).items;
      for (const run of runs.filter((r) => r.status === 'completed')) {
        const steps = collector.store.getExecution(run.id)!.steps;
        const slowest = steps.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
        expect(slowest.name).toBe(truth.slowStep.step);
      }
    });

    it('marks as control only workflows untouched by incidents and the slow step', () => {
      const controls = truth.workflows.filter((w) => w.control).map((w) => w.name);
      expect(controls.length).toBeGreaterThanOrEqual(3);
      for (const i of truth.incidents) expect(controls).not.toContain(i.workflow);
      expect(controls).not.toContain(truth.slowStep.workflow);
    });
  });

  it('keeps generating past its period for live streaming without changing the incident plan', () => {
    const generator = new FleetGenerator({ ...options, from: END - 7 * 24 * HOUR, to: END });
    const plan = JSON.stringify(generator.incidents);
    expect(generator.hour(END).runs).toHaveLength(0);
    generator.continueUntil(END + HOUR);
    expect(generator.hour(END + 0).runs.length).toBeGreaterThan(0);
    const planned = (i: object) => ({ ...i, affectedExecutions: 0, firstAffectedExecution: undefined, firstEvidenceAt: undefined, workflows: undefined });
    expect(JSON.stringify(generator.incidents.map(planned))).toBe(JSON.stringify(JSON.parse(plan).map(planned)));
  });
});

describe('fleet simulator, live', () => {
  it('when --live is on, then after the backfill new runs keep arriving in real time', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir);
    const controller = new AbortController();
    try {
      const simulation = runSimulation({ ...options, end: undefined, days: 0.05, runsPerHour: 3000, url: collector.url, live: controller.signal });
      const backfillEnd = Math.floor(Date.now() / HOUR) * HOUR;
      let live = 0;
      for (let waited = 0; waited < 15_000 && live === 0; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        live = collector.store.listExecutions({ from: backfillEnd, limit: 1000 }).items.length;
      }
      controller.abort();
      await simulation;
      expect(live).toBeGreaterThan(0);
      const runs = collector.store.listExecutions({ from: backfillEnd, limit: 100_000 }).items;
      expect(Math.max(...runs.map((r) => r.startedAt))).toBeLessThanOrEqual(Date.now());
      expect(runs.every((r) => r.status === 'running' || r.endedAt! <= Date.now())).toBe(true);
    } finally {
      controller.abort();
      await collector.stop();
      tmp.cleanup();
    }
  });
});

describe('incident placement', () => {
  it('places an incident at the time given as kind@ISO', () => {
    expect(parseIncidents('failure_burst@2026-11-19T09:00:00Z,latency_spike')).toEqual([
      { kind: 'failure_burst', start: Date.UTC(2026, 10, 19, 9) },
      'latency_spike',
    ]);
    expect(() => parseIncidents('meteor_strike')).toThrow("--incidents: unknown kind 'meteor_strike'");
    expect(() => parseIncidents('failure_burst@yesterday')).toThrow("'yesterday' (after failure_burst@) is not an ISO date-time");
    const generator = new FleetGenerator({ ...options, from: END - 3 * 24 * HOUR, to: END, incidents: [{ kind: 'failure_burst', start: END - 4 * HOUR }] });
    expect(generator.incidents).toEqual([expect.objectContaining({ kind: 'failure_burst', start: END - 4 * HOUR, end: END })]);
  });
});

describe('incident placement over a period that ends on a Monday', () => {
  it('puts every timed incident on a weekday morning, where it hits runs', () => {
    const monday = Date.UTC(2026, 10, 30);
    const generator = new FleetGenerator({ ...options, from: monday - 14 * 24 * HOUR, to: monday });
    const timed = generator.incidents.filter((i) => i.end !== undefined);
    expect(timed.map((i) => i.kind).sort()).toEqual([
      'cpu_saturation',
      'failure_burst',
      'latency_spike',
      'memory_leak',
      'robot_licence',
      'step_timeout',
      'workflow_stop',
    ]);
    for (const incident of timed) {
      expect([incident.kind, new Date(incident.start).getUTCDay()]).not.toEqual([incident.kind, 0]);
      expect([incident.kind, new Date(incident.start).getUTCDay()]).not.toEqual([incident.kind, 6]);
      // At 09:00, but the stop of a workflow that runs around the clock at 02:00, and the step's timeouts at 14:00.
      expect(new Date(incident.start).getUTCHours()).toBe(({ workflow_stop: 2, step_timeout: 14 } as Record<string, number>)[incident.kind] ?? 9);
    }
    // The burst used to land on the Sunday before the period's end, on no run.
    const burst = generator.incidents.find((i) => i.kind === 'failure_burst')!;
    expect(burst.start).toBe(Date.UTC(2026, 10, 27, 9));
    for (let hour = burst.start; hour < burst.end!; hour += HOUR) generator.hour(hour);
    expect(burst.affectedExecutions).toBeGreaterThanOrEqual(8);
  });
});

describe('a fleet in another time zone', () => {
  it("when the fleet is in Tokyo, then its business hours, weekends and incident mornings are Tokyo's", () => {
    const monday = Date.UTC(2026, 10, 30);
    const generator = new FleetGenerator({ ...options, timeZone: 'Asia/Tokyo', from: monday - 14 * 24 * HOUR, to: monday });
    // Runs started per hour of the day in Tokyo (UTC+9, no daylight-saving time), weekdays and weekends apart.
    const weekday = new Array<number>(24).fill(0);
    const weekend = new Array<number>(24).fill(0);
    for (let hour = monday - 14 * 24 * HOUR; hour < monday; hour += HOUR) {
      const tokyo = new Date(hour + 9 * HOUR);
      const runs = generator.hour(hour).runs.length;
      ([0, 6].includes(tokyo.getUTCDay()) ? weekend : weekday)[tokyo.getUTCHours()] += runs;
    }
    const busiest = weekday
      .map((runs, hour) => ({ runs, hour }))
      .sort((a, b) => b.runs - a.runs)
      .slice(0, 10)
      .map((h) => h.hour)
      .sort((a, b) => a - b);
    expect(busiest).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    // Weekends are light (0.3 of a weekday's traffic over 2 days of 7).
    expect(weekend.reduce((a, b) => a + b) / weekday.reduce((a, b) => a + b)).toBeLessThan(0.25);
    // 09:00 on a weekday in Tokyo is 00:00 UTC; the stop at 02:00 there is 17:00 UTC the day before.
    for (const incident of generator.incidents.filter((i) => i.end !== undefined)) {
      const tokyo = new Date(incident.start + 9 * HOUR);
      expect([incident.kind, [0, 6].includes(tokyo.getUTCDay())]).toEqual([incident.kind, false]);
      expect([incident.kind, tokyo.getUTCHours()]).toEqual([
        incident.kind,
        ({ workflow_stop: 2, step_timeout: 14 } as Record<string, number>)[incident.kind] ?? 9,
      ]);
    }
  });
});
