import { isWeekendDay, localClock, type LocalClock } from '../analysis/localClock';
import { Random } from './random';

export interface SimStep {
  name: string;
  medianMs: number;
  /** Log-space spread of the step's duration. */
  sigma: number;
}

export interface SimWorkflow {
  name: string;
  steps: SimStep[];
  robots: string[];
  /** Average runs per hour at the weekday business-hours peak. */
  peakRunsPerHour: number;
  businessFailureRate: number;
  applicationFailureRate: number;
}

export interface SimRobot {
  name: string;
  host: string;
}

export interface Fleet {
  workflows: SimWorkflow[];
  robots: SimRobot[];
  hosts: string[];
  /** The step that is slow in every run, by design: the bottleneck a user should find first. */
  slowStep: { workflow: string; step: string };
}

const WORKFLOW_NAMES = [
  'Invoice Processing',
  'Purchase Order Matching',
  'Employee Onboarding',
  'Payroll Reconciliation',
  'Customer Address Update',
  'Bank Statement Import',
  'Claims Intake',
  'Credit Check',
  'Vendor Master Sync',
  'Report Distribution',
  'Order to Cash',
  'Ticket Triage',
  'Expense Approval',
  'Inventory Sync',
  'KYC Verification',
  'Price List Update',
];

const MIDDLE_STEPS = [
  'Open work queue',
  'Read input file',
  'Extract data (OCR)',
  'Validate fields',
  'Lookup in ERP',
  'Enter data in form',
  'Submit transaction',
  'Download report',
  'Reconcile totals',
  'Update tracker',
  'Send notification email',
  'Archive documents',
  'Check duplicates',
  'Approve in portal',
];

export const SLOW_STEP_NAME = 'Wait for SAP response';

export interface FleetOptions {
  workflows: number;
  hosts: number;
  robots: number;
  runsPerHour: number;
  /** The time zone of the fleet's business hours and weekends (default UTC). */
  timeZone?: string;
}

/** Builds the fleet: workflows with named steps, robots on hosts. Deterministic for `seed`. */
export function buildFleet(seed: number, options: FleetOptions): Fleet {
  const random = new Random(seed).fork('fleet');
  const hosts = Array.from({ length: options.hosts }, (_, i) => `rpa-vm-${String(i + 1).padStart(2, '0')}`);
  const robots = Array.from({ length: options.robots }, (_, i) => ({
    name: `robot-${String(i + 1).padStart(2, '0')}`,
    host: hosts[i % hosts.length],
  }));
  const workflows = Array.from({ length: options.workflows }, (_, w): SimWorkflow => {
    const base = WORKFLOW_NAMES[w % WORKFLOW_NAMES.length];
    const name = w < WORKFLOW_NAMES.length ? base : `${base} ${Math.floor(w / WORKFLOW_NAMES.length) + 1}`;
    const middle = random.shuffle(MIDDLE_STEPS).slice(0, random.int(4, 7));
    const steps: SimStep[] = ['Launch application', 'Login', ...middle, 'Logout'].map((stepName) => ({
      name: stepName,
      medianMs: Math.round(random.logNormal(3000, 0.8)),
      sigma: random.uniform(0.08, 0.18),
    }));
    if (w === 0) steps.splice(3, 0, { name: SLOW_STEP_NAME, medianMs: 60_000, sigma: 0.15 });
    const robotCount = Math.min(robots.length, random.int(2, 3));
    const firstRobot = (w * 3) % robots.length;
    return {
      name,
      steps,
      robots: Array.from({ length: robotCount }, (_, r) => robots[(firstRobot + r) % robots.length].name),
      peakRunsPerHour: options.runsPerHour * random.uniform(0.7, 1.3),
      businessFailureRate: random.uniform(0.01, 0.04),
      applicationFailureRate: random.uniform(0.005, 0.02),
    };
  });
  return { workflows, robots, hosts, slowStep: { workflow: workflows[0].name, step: SLOW_STEP_NAME } };
}

/** Traffic shape: busy on weekday business hours (of `clock`'s zone), quiet at night, light at weekends. */
export function loadFactor(time: number, clock: LocalClock = localClock()): number {
  const hours = clock.hour(time);
  const hour = hours % 24;
  const weekend = isWeekendDay(Math.floor(hours / 24));
  const hourFactor = hour >= 8 && hour < 18 ? 1 : hour >= 6 && hour < 22 ? 0.5 : 0.2;
  return hourFactor * (weekend ? 0.3 : 1);
}
